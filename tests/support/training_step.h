// One Caduceus training step as the benchmarks time it: forward, masked-LM cross-entropy on
// 15% of the positions (a mean over every rank's masked positions), backward, gradient
// clipping, AdamW on f32 master weights, zeroing the gradients. Alone on one device, or on
// this rank's slice of rows cut over a ring (platform/layers/sequence_parallel.h), the
// gradients then summed over the ring in buckets during backward, as training does.
#pragma once

#include <optional>
#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/distributed/gradient_buckets.h"
#include "platform/models/caduceus.h"

namespace spindle::testing {

class TrainingStep {
 public:
  // `length` positions of `batch` rows on this rank (its slice when `ring` is given; the
  // tokens differ per ring rank). `activations`: bf16 on CUDA, f32 on the CPU. The ring
  // (collective: every rank constructs together) must outlive the step.
  TrainingStep(const CaduceusConfig& config, Device device, DType activations, int64_t batch, int64_t length,
               bool recompute, Communicator* ring = nullptr);

  // Queues one step on `stream` (which must be the ring's stream order when sharded).
  void run(const Stream& stream);

 private:
  Caduceus model_;
  DType activations_;
  int64_t batch_, length_, masked_ = 0, step_ = 0;
  Tensor ids_, targets_;
  std::vector<Tensor> m_, v_;
  std::vector<Tensor*> gradients_;
  std::optional<GradientBuckets> sums_;  // with a ring
};

}  // namespace spindle::testing
