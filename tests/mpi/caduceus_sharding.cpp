#include "tests/mpi/caduceus_sharding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <numeric>

#include "platform/distributed/gradient_buckets.h"
#include "platform/distributed/sequence_slice.h"
#include "platform/models/caduceus.h"
#include "platform/ops/cross_entropy.h"
#include "tests/support/tensors.h"

namespace spindle::testing {
namespace {

constexpr int64_t kIgnore = -100;
constexpr int64_t kBatch = 2;
constexpr int64_t kBucketBytes = 2048;

// Host int64 values in [0, bound), the same on every rank.
Tensor random_integers(const Shape& shape, int64_t bound, uint64_t seed) {
  const std::vector<double> u = to_doubles(random_tensor(shape, DType::f64, seed, 0.0, static_cast<double>(bound)));
  std::vector<int64_t> values(u.size());
  std::transform(u.begin(), u.end(), values.begin(), [](double x) { return static_cast<int64_t>(x); });
  return Tensor::from_vector(values, shape);
}

// About a third of the positions masked (a random target), the others ignored.
Tensor masked_targets(const Shape& shape, uint64_t seed) {
  std::vector<int64_t> targets = random_integers(shape, 16, seed).to_vector<int64_t>();
  const std::vector<int64_t> pick = random_integers(shape, 3, seed + 1).to_vector<int64_t>();
  for (size_t i = 0; i < targets.size(); ++i) targets[i] = pick[i] == 0 ? targets[i] : kIgnore;
  return Tensor::from_vector(targets, shape);
}

int64_t count_masked(const Tensor& targets) {
  const std::vector<int64_t> t = targets.to_vector<int64_t>();
  return static_cast<int64_t>(std::count_if(t.begin(), t.end(), [](int64_t x) { return x != kIgnore; }));
}

// Rows [row_begin, row_end), positions [begin, end) of a host (batch, length[, width]) tensor.
Tensor part(const Tensor& t, int64_t row_begin, int64_t row_end, int64_t begin, int64_t end) {
  const Tensor rows = t.slice(0, row_begin, row_end);
  if (t.dim() == 2) return rows.slice(-1, begin, end).contiguous();
  const int64_t width = t.size(2);
  return rows.reshape({rows.size(0), t.size(1) * width})
      .slice(-1, begin * width, end * width)
      .contiguous()
      .reshape({rows.size(0), end - begin, width});
}

struct RunResult {
  Tensor logits, hidden;  // host
  double loss_sum = 0;    // cross-entropy summed over the masked positions
};

// Forward, cross-entropy divided by `masked` (the count over every rank), backward (telling
// `final` of the gradients it finishes).
RunResult run(Caduceus& model, const Tensor& ids, const Tensor& targets, int64_t masked,
              const Caduceus::GradientsFinal& final = {}) {
  const Device device = model.device();
  RunResult result;
  Tensor logits, hidden;
  model.zero_grad();
  model.forward(ids.to(device), DType::f32, logits, &hidden);
  const int64_t rows = ids.numel(), vocab = logits.size(-1);
  Tensor loss = Tensor::empty({rows}, DType::f32, device);
  Tensor valid = Tensor::empty({1}, DType::i64, device);
  Tensor dlogits = Tensor::empty(logits.shape(), DType::f32, device);
  Tensor dflat = dlogits.reshape({rows, vocab});
  ops::cross_entropy(logits.reshape({rows, vocab}), targets.reshape({rows}).to(device), loss, &dflat, valid,
                     {.ignore_index = kIgnore, .dloss_scale = 1.0 / static_cast<double>(masked)});
  model.backward(dlogits, nullptr, final);
  const std::vector<float> per_row = loss.to(Device::cpu()).to_vector<float>();
  result.loss_sum = std::accumulate(per_row.begin(), per_row.end(), 0.0);
  result.logits = logits.to(Device::cpu());
  result.hidden = hidden.to(Device::cpu());
  return result;
}

Caduceus initialized(const CaduceusConfig& config, Device device) {
  Caduceus model(config, device, DType::f32);
  RandomStream random{31, 0};
  model.initialize(random);
  return model;
}

}  // namespace

CaduceusConfig sharding_config(const ShardingVariant& v) {
  CaduceusConfig c;
  c.d_model = 8;
  c.n_layer = 2;
  c.ssm = {.d_state = 4, .d_conv = 4, .expand = 2, .dt_rank = 2};
  c.rcps = v.rcps;
  c.fused_add_norm = v.fused_add_norm;
  c.rms_norm = v.rms_norm;
  c.complement_map = {0, 1, 2, 3, 4, 5, 6, 10, 9, 8, 7, 11};
  return c;
}

const std::vector<ShardingVariant> kShardingVariants = {
    {"Ph", false, true, true, false},
    {"PS", true, true, true, false},
    {"PS_unfused_layernorm_recompute", true, false, false, true},
};

void expect_sharded_run_equals_whole(const ShardingVariant& variant, ProcessGrid& grid, double tolerance) {
  const CaduceusConfig config = sharding_config(variant);
  Communicator& ring = grid.ring();
  Communicator& world = grid.world();
  const Device device = grid.device();
  const int64_t rows_per_ring = kBatch / grid.shape().data;
  const int64_t row_begin = grid.ring_index() * rows_per_ring, row_end = row_begin + rows_per_ring;
  for (const int64_t length : {13, 29}) {
    const std::string context = std::string(variant.name) + ", L " + std::to_string(length) + ", grid " +
                                grid.shape().str() + ", ring " + std::to_string(grid.ring_index()) + " position " +
                                std::to_string(grid.ring_position()) + " on " + device.str();
    const Tensor ids = random_integers({kBatch, length}, 16, 100 + length);
    const Tensor targets = masked_targets({kBatch, length}, 200 + length);
    const int64_t masked = count_masked(targets);

    Caduceus whole = initialized(config, device);
    const RunResult expected = run(whole, ids, targets, masked);

    Caduceus sharded = initialized(config, device);
    sharded.set_recompute(variant.recompute);
    sharded.set_sequence_parallel(&ring);
    const SequenceSlice slice = ring_slice(length, ring.size(), ring.rank(), context);
    const Tensor my_targets = part(targets, row_begin, row_end, slice.begin, slice.end);
    // The loss is a mean over the masked positions of every rank.
    Tensor world_masked = Tensor::from_vector<int64_t>({count_masked(my_targets)}, {1}).to(device);
    world.all_reduce_sum(world_masked);
    ASSERT_EQ(world_masked.to(Device::cpu()).to_vector<int64_t>()[0], masked) << context;
    // Gradients summed over the world during backward, a few parameters per bucket (several
    // all-reduces in flight while the ring exchanges halos and states), as training does.
    std::vector<Parameter*> backward_order = sharded.parameters();
    std::reverse(backward_order.begin(), backward_order.end());
    GradientBuckets sums(backward_order, world, kBucketBytes);
    const RunResult actual = run(sharded, part(ids, row_begin, row_end, slice.begin, slice.end), my_targets, masked,
                                 [&](std::span<Parameter* const> ready) { sums.ready(ready); });
    sums.finish();
    Tensor loss_sum = Tensor::from_vector<double>({actual.loss_sum}, {1}).to(device);
    world.all_reduce_sum(loss_sum);

    EXPECT_LE(relative_error(actual.logits, part(expected.logits, row_begin, row_end, slice.begin, slice.end)),
              tolerance)
        << "logits, " << context;
    EXPECT_LE(relative_error(actual.hidden, part(expected.hidden, row_begin, row_end, slice.begin, slice.end)),
              tolerance)
        << "last hidden state, " << context;
    EXPECT_NEAR(loss_sum.to(Device::cpu()).to_vector<double>()[0], expected.loss_sum, tolerance * expected.loss_sum)
        << "loss, " << context;
    const std::vector<Parameter*> expected_parameters = whole.parameters(), actual_parameters = sharded.parameters();
    ASSERT_EQ(actual_parameters.size(), expected_parameters.size());
    double worst = 0;
    for (size_t i = 0; i < actual_parameters.size(); ++i) {
      const double error = relative_error(actual_parameters[i]->grad, expected_parameters[i]->grad);
      worst = std::max(worst, error);
      EXPECT_LE(error, tolerance) << actual_parameters[i]->name << " gradient, " << context;
    }
    if (world.rank() == 0) std::cout << "  " << context << ": worst gradient relative error " << worst << std::endl;
  }
}

}  // namespace spindle::testing
