// Sequence-parallel Caduceus on the CPU through MPI (run on 1 to 4 ranks): every rank
// holds a slice of the same rows (ring_slice; uneven where the ranks do not divide the
// length), and its logits and last hidden state, the masked-LM loss (mean over the masked
// positions of the whole ring) and every parameter gradient (summed over the ring) equal
// those of the whole rows in one process, in f32.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "platform/distributed/gradient_sum.h"
#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/sequence_slice.h"
#include "platform/models/caduceus.h"
#include "platform/ops/cross_entropy.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::relative_error;

constexpr double kTolerance = 1e-5;
constexpr int64_t kIgnore = -100;

struct Variant {
  const char* name;
  bool rcps, fused_add_norm, rms_norm, recompute;
};

CaduceusConfig small_config(const Variant& v) {
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

// Values in [0, bound) as int64, the same on every rank.
Tensor random_integers(const Shape& shape, int64_t bound, uint64_t seed) {
  const std::vector<double> u =
      testing::to_doubles(testing::random_tensor(shape, DType::f64, seed, 0.0, static_cast<double>(bound)));
  std::vector<int64_t> values(u.size());
  std::transform(u.begin(), u.end(), values.begin(), [](double x) { return static_cast<int64_t>(x); });
  return Tensor::from_vector(values, shape);
}

// About a third of the positions masked: their target is a random token, the others ignored.
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

struct RunResult {
  Tensor logits, hidden;
  double loss = 0;  // mean over the masked positions
};

// Forward, masked-LM loss over `masked` positions in all, backward.
RunResult run(Caduceus& model, const Tensor& ids, const Tensor& targets, int64_t masked, double* loss_sum) {
  RunResult result;
  model.zero_grad();
  model.forward(ids, DType::f32, result.logits, &result.hidden);
  const int64_t rows = ids.numel(), vocab = result.logits.size(-1);
  Tensor loss = Tensor::empty({rows}, DType::f32);
  Tensor valid = Tensor::empty({1}, DType::i64);
  Tensor dlogits = Tensor::empty(result.logits.shape(), DType::f32);
  Tensor dflat = dlogits.reshape({rows, vocab});
  ops::cross_entropy(result.logits.reshape({rows, vocab}), targets.reshape({rows}), loss, &dflat, valid,
                     {.ignore_index = kIgnore, .dloss_scale = 1.0 / static_cast<double>(masked)});
  model.backward(dlogits);
  const std::vector<float> per_row = loss.to_vector<float>();
  *loss_sum = std::accumulate(per_row.begin(), per_row.end(), 0.0);
  result.loss = *loss_sum / static_cast<double>(masked);
  return result;
}

// Positions [begin, end) of every row of a (batch, length, ...) or (batch, length) tensor.
Tensor positions(const Tensor& t, int64_t begin, int64_t end) {
  if (t.dim() == 2) return t.slice(-1, begin, end).contiguous();
  const int64_t width = t.size(2);
  return t.reshape({t.size(0), t.size(1) * width}).slice(-1, begin * width, end * width).contiguous().reshape(
      {t.size(0), end - begin, width});
}

class SequenceParallelCaduceus : public ::testing::TestWithParam<Variant> {
 protected:
  std::unique_ptr<MpiCommunicator> ring = MpiCommunicator::world();
};

TEST_P(SequenceParallelCaduceus, SlicesGiveTheWholeSequencesOutputsLossAndGradients) {
  const CaduceusConfig config = small_config(GetParam());
  for (const int64_t length : {13, 29}) {
    const std::string context = std::string(GetParam().name) + ", L " + std::to_string(length) + ", rank " +
                                std::to_string(ring->rank()) + " of " + std::to_string(ring->size());
    constexpr int64_t batch = 2;
    const Tensor ids = random_integers({batch, length}, 16, 100 + length);
    const Tensor targets = masked_targets({batch, length}, 200 + length);
    const int64_t masked = count_masked(targets);

    Caduceus whole(config, Device::cpu(), DType::f32);
    RandomStream whole_random{31, 0};
    whole.initialize(whole_random);
    double whole_loss_sum = 0;
    const RunResult expected = run(whole, ids, targets, masked, &whole_loss_sum);

    Caduceus sharded(config, Device::cpu(), DType::f32);
    RandomStream sharded_random{31, 0};
    sharded.initialize(sharded_random);
    sharded.set_recompute(GetParam().recompute);
    sharded.set_sequence_parallel(ring.get());
    const SequenceSlice slice = ring_slice(length, ring->size(), ring->rank(), context);
    const Tensor slice_targets = positions(targets, slice.begin, slice.end);
    // The mean runs over the masked positions of the whole ring.
    Tensor ring_masked = Tensor::from_vector<int64_t>({count_masked(slice_targets)}, {1});
    ring->all_reduce_sum(ring_masked);
    ASSERT_EQ(ring_masked.to_vector<int64_t>()[0], masked) << context;
    double slice_loss_sum = 0;
    const RunResult actual = run(sharded, positions(ids, slice.begin, slice.end), slice_targets, masked, &slice_loss_sum);
    sum_gradients(sharded.parameters(), *ring);
    Tensor loss_sum = Tensor::from_vector<double>({slice_loss_sum}, {1});
    ring->all_reduce_sum(loss_sum);

    EXPECT_LE(relative_error(actual.logits, positions(expected.logits, slice.begin, slice.end)), kTolerance)
        << "logits, " << context;
    EXPECT_LE(relative_error(actual.hidden, positions(expected.hidden, slice.begin, slice.end)), kTolerance)
        << "last hidden state, " << context;
    EXPECT_NEAR(loss_sum.to_vector<double>()[0] / static_cast<double>(masked), expected.loss,
                kTolerance * expected.loss)
        << "loss, " << context;
    const std::vector<Parameter*> expected_parameters = whole.parameters(), actual_parameters = sharded.parameters();
    ASSERT_EQ(actual_parameters.size(), expected_parameters.size());
    double worst = 0;
    for (size_t i = 0; i < actual_parameters.size(); ++i) {
      const double error = relative_error(actual_parameters[i]->grad, expected_parameters[i]->grad);
      worst = std::max(worst, error);
      EXPECT_LE(error, kTolerance) << actual_parameters[i]->name << " gradient, " << context;
    }
    if (ring->rank() == 0) std::cout << "  " << context << ": worst gradient relative error " << worst << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, SequenceParallelCaduceus,
                         ::testing::Values(Variant{"Ph", false, true, true, false},
                                           Variant{"PS", true, true, true, false},
                                           Variant{"PS_unfused_layernorm_recompute", true, false, false, true}),
                         [](const auto& info) { return std::string(info.param.name); });

// Configurations that cannot run fail on every rank with the same message, before any
// rank waits in a collective the others never reach.
TEST(SequenceParallelChecks, SlicesShorterThanTheHaloFailOnEveryRank) {
  const auto ring = MpiCommunicator::world();
  Caduceus model(small_config({"Ph", false, true, true, false}), Device::cpu(), DType::f32);
  model.set_sequence_parallel(ring.get());
  Tensor logits;
  // Rank 0 holds 2 positions, the others enough: every rank refuses.
  const int64_t length = ring->rank() == 0 ? 2 : 5;
  EXPECT_THAT([&] { model.forward(random_integers({1, length}, 16, 1), DType::f32, logits); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr(
                  "Caduceus::forward: rank 0 of world (MPI) holds 2 positions of the sequence (expected at least 3 "
                  "per rank")));
}

TEST(SequenceParallelChecks, RanksHoldingDifferentRowsFailOnEveryRank) {
  const auto ring = MpiCommunicator::world();
  if (ring->size() < 2) GTEST_SKIP() << "needs two ranks";
  Caduceus model(small_config({"Ph", false, true, true, false}), Device::cpu(), DType::f32);
  model.set_sequence_parallel(ring.get());
  Tensor logits;
  const int64_t batch = ring->rank() == 1 ? 2 : 1;
  EXPECT_THAT([&] { model.forward(random_integers({batch, 6}, 16, 1), DType::f32, logits); },
              ::testing::ThrowsMessage<Error>(
                  ::testing::HasSubstr("rank 1 of world (MPI) holds 2 rows, rank 0 1 (expected the same rows")));
}

}  // namespace
}  // namespace spindle
