// Sequence parallelism (platform/layers/sequence_parallel.h) on the CPU: the sharded Mamba
// block's and BiMamba's backward against central finite differences in float64 of the
// sharded forward itself. Each rank of an in-process ring (one thread per rank, below) holds
// one slice of every row, rows in ring order and against it (sp.reversed), slices uneven;
// the loss is the sum over ranks of sum(out * dout). Checked: every rank's d(slice) (the
// convolution halo's gradient returned to its neighbour, the scan's exchanged initial-state
// gradient) and every parameter gradient summed over the ranks. Tolerance 1e-6 relative
// (max(1, |numeric|)), as the unsharded blocks' checks.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/layers/bimamba.h"
#include "platform/layers/mamba_block.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

// What the ranks of one in-process ring share: a barrier and the messages in transit.
struct Hub {
  explicit Hub(int size) : size(size), slots(static_cast<size_t>(size)) {}
  const int size;
  std::mutex mutex;
  std::condition_variable changed;
  int arrived = 0;
  int64_t generation = 0;
  std::vector<std::vector<char>> slots;                               // each rank's contribution to a collective
  std::map<std::pair<int, int>, std::deque<std::vector<char>>> mail;  // (from, to) -> messages in order

  void barrier() {
    std::unique_lock lock(mutex);
    const int64_t mine = generation;
    if (++arrived == size) {
      arrived = 0;
      ++generation;
      changed.notify_all();
      return;
    }
    if (!changed.wait_for(lock, std::chrono::seconds(20), [&] { return generation != mine; })) {
      throw std::runtime_error("in-process ring: a rank did not reach a collective");
    }
  }
};

std::vector<char> bytes_of(const Tensor& t) {
  const char* p = static_cast<const char*>(t.raw_data());
  return std::vector<char>(p, p + t.nbytes());
}

// A Communicator whose ranks are threads of this process. Collectives complete at once
// (a started one returns a completed handle); every rank makes the same calls in order.
class InProcessRing : public Communicator {
 public:
  InProcessRing(std::shared_ptr<Hub> hub, int rank)
      : Communicator(rank, hub->size, Device::cpu(), "in-process ring"), hub_(std::move(hub)) {}
  std::vector<DType> summable_dtypes() const override { return {DType::f64, DType::f32, DType::i64}; }

 protected:
  void exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                        const Stream&) override {
    {
      std::lock_guard lock(hub_->mutex);
      for (const PeerTensor& s : sends) hub_->mail[{rank(), s.peer}].push_back(bytes_of(s.tensor));
    }
    hub_->barrier();
    {
      std::lock_guard lock(hub_->mutex);
      for (const PeerTensor& r : receives) {
        auto& queue = hub_->mail[{r.peer, rank()}];
        if (queue.empty() || queue.front().size() != r.tensor.nbytes()) {
          throw std::runtime_error("in-process ring: an unmatched receive");
        }
        std::memcpy(r.tensor.raw_data(), queue.front().data(), queue.front().size());
        queue.pop_front();
      }
    }
    hub_->barrier();
  }
  void all_reduce_sum_checked(Tensor& tensor, const Stream&) override {
    contribute(tensor);
    std::vector<double> sum(static_cast<size_t>(tensor.numel()), 0.0);
    for (const std::vector<char>& slot : hub_->slots) {
      for (int64_t i = 0; i < tensor.numel(); ++i) sum[i] += element(slot, tensor.dtype(), i);
    }
    hub_->barrier();
    for (int64_t i = 0; i < tensor.numel(); ++i) {
      if (tensor.dtype() == DType::f64) tensor.data<double>()[i] = sum[i];
      if (tensor.dtype() == DType::f32) tensor.data<float>()[i] = static_cast<float>(sum[i]);
      if (tensor.dtype() == DType::i64) tensor.data<int64_t>()[i] = static_cast<int64_t>(sum[i]);
    }
  }
  PendingCollective start_all_reduce_sum_checked(Tensor& tensor, const Stream& stream) override {
    all_reduce_sum_checked(tensor, stream);
    return PendingCollective();
  }
  void all_gather_checked(const Tensor& piece, Tensor& whole, bool, const Stream&) override {
    contribute(piece);
    for (int r = 0; r < size(); ++r) {
      std::memcpy(static_cast<char*>(whole.raw_data()) + r * piece.nbytes(), hub_->slots[r].data(), piece.nbytes());
    }
    hub_->barrier();
  }
  PendingCollective start_all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place,
                                             const Stream& stream) override {
    all_gather_checked(piece, whole, in_place, stream);
    return PendingCollective();
  }
  void broadcast_checked(Tensor& tensor, int root, const Stream&) override {
    contribute(tensor);
    std::memcpy(tensor.raw_data(), hub_->slots[root].data(), tensor.nbytes());
    hub_->barrier();
  }
  void barrier_checked(const Stream&) override { hub_->barrier(); }

 private:
  // Posts this rank's tensor and waits for every rank's.
  void contribute(const Tensor& tensor) {
    {
      std::lock_guard lock(hub_->mutex);
      hub_->slots[rank()] = bytes_of(tensor);
    }
    hub_->barrier();
  }
  static double element(const std::vector<char>& slot, DType dtype, int64_t i) {
    if (dtype == DType::f64) return reinterpret_cast<const double*>(slot.data())[i];
    if (dtype == DType::f32) return reinterpret_cast<const float*>(slot.data())[i];
    return static_cast<double>(reinterpret_cast<const int64_t*>(slot.data())[i]);
  }
  std::shared_ptr<Hub> hub_;
};

// Runs work(rank) on one thread per rank and rethrows the first failure.
void run_ranks(int ranks, const std::function<void(int)>& work) {
  std::vector<std::exception_ptr> failures(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int k = 0; k < ranks; ++k) {
    threads.emplace_back([&, k] {
      try {
        work(k);
      } catch (...) {
        failures[k] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

struct Case {
  const char* name;
  std::vector<int64_t> slices;  // each rank's positions
  bool bidirectional, recompute;
};

// One mixer per rank: a Mamba block, or BiMamba with its weights tied.
struct Mixer {
  std::unique_ptr<MambaBlock> block;
  std::unique_ptr<BiMamba> bimamba;
  std::vector<Parameter*> parameters() { return block ? block->parameters() : bimamba->parameters(); }
};

class ShardedGradcheck : public ::testing::TestWithParam<Case> {};

TEST_P(ShardedGradcheck, GradientsMatchFiniteDifferences) {
  const Case c = GetParam();
  const int ranks = static_cast<int>(c.slices.size());
  const MambaConfig config{.d_model = 3, .d_state = 2, .d_conv = 3, .expand = 2, .dt_rank = 1};
  auto hub = std::make_shared<Hub>(ranks);
  std::vector<std::unique_ptr<InProcessRing>> rings;
  std::vector<SequenceParallel> sp;
  std::vector<Mixer> mixers(static_cast<size_t>(ranks));
  std::vector<Tensor> hidden, dout, out, dhidden;
  for (int k = 0; k < ranks; ++k) {
    rings.push_back(std::make_unique<InProcessRing>(hub, k));
    sp.push_back({rings.back().get(), {false, true}});  // row 0 in ring order, row 1 against it
    RandomStream random{13, 0};  // the same parameters on every rank
    if (c.bidirectional) {
      mixers[k].bimamba = std::make_unique<BiMamba>(config, true, true, Device::cpu(), DType::f64, "");
      mixers[k].bimamba->initialize(random);
    } else {
      mixers[k].block = std::make_unique<MambaBlock>(config, Device::cpu(), DType::f64);
      mixers[k].block->initialize(random);
    }
    const Shape shape{2, c.slices[k], config.d_model};
    hidden.push_back(testing::random_tensor(shape, DType::f64, 100 + k));
    dout.push_back(testing::random_tensor(shape, DType::f64, 200 + k));
    out.push_back(Tensor::empty(shape, DType::f64));
    dhidden.push_back(testing::poisoned(shape, DType::f64, Device::cpu()));
  }
  auto forward = [&](int k, bool training) {
    Mixer& m = mixers[k];
    if (m.block) return m.block->forward(hidden[k], out[k], training, nullptr, &sp[k]);
    m.bimamba->forward(hidden[k], out[k], training, nullptr, &sp[k]);
  };
  run_ranks(ranks, [&](int k) {
    Mixer& m = mixers[k];
    if (m.block) {
      if (c.recompute) {
        m.block->save_for_backward(hidden[k], nullptr, &sp[k]);
      } else {
        forward(k, true);
      }
      return m.block->backward(dout[k], dhidden[k]);
    }
    if (c.recompute) {
      forward(k, false);
      return m.bimamba->backward_recomputing(hidden[k], dout[k], dhidden[k], nullptr, &sp[k]);
    }
    forward(k, true);
    m.bimamba->backward(dout[k], dhidden[k]);
  });

  // Parameters: rank 0's values are perturbed and copied to the others before each loss;
  // the analytic gradient is the sum of the ranks' shares.
  std::vector<Parameter*> reference = mixers[0].parameters();
  std::vector<Tensor> summed;
  for (size_t p = 0; p < reference.size(); ++p) {
    Tensor total = Tensor::zeros(reference[p]->grad.shape(), DType::f64);
    for (Mixer& m : mixers) {
      const std::vector<double> share = testing::to_doubles(m.parameters()[p]->grad);
      for (int64_t i = 0; i < total.numel(); ++i) total.data<double>()[i] += share[i];
    }
    summed.push_back(total);
  }
  auto loss = [&] {
    for (int k = 1; k < ranks; ++k) {
      std::vector<Parameter*> mine = mixers[k].parameters();
      for (size_t p = 0; p < reference.size(); ++p) mine[p]->value.copy_from(reference[p]->value);
    }
    run_ranks(ranks, [&](int k) { forward(k, false); });
    double sum = 0;
    for (int k = 0; k < ranks; ++k) sum += testing::weighted_sum(out[k], dout[k]);
    return sum;
  };
  std::vector<testing::GradcheckInput> inputs;
  for (int k = 0; k < ranks; ++k) inputs.push_back({"hidden of rank " + std::to_string(k), &hidden[k], &dhidden[k]});
  for (size_t p = 0; p < reference.size(); ++p) {
    inputs.push_back({reference[p]->name, &reference[p]->value, &summed[p]});
  }
  testing::expect_gradients_match(loss, inputs, 1e-6, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Rings, ShardedGradcheck,
                         ::testing::Values(Case{"mamba_two_ranks", {3, 4}, false, false},
                                           Case{"mamba_three_uneven_ranks", {2, 5, 3}, false, false},
                                           Case{"mamba_saved_for_backward", {4, 2}, false, true},
                                           Case{"bimamba_two_ranks", {3, 4}, true, false},
                                           Case{"bimamba_three_ranks_recomputing", {2, 3, 2}, true, true}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace spindle
