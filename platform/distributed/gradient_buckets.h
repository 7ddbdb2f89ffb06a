// Parameter gradients summed over a group of ranks (the slices of a sequence-parallel ring,
// the replicas of data parallelism, or both at once over the world) while backward still
// runs, as PyTorch's DistributedDataParallel does.
//
// The parameters, listed in the order their gradients become final in backward, are cut
// into buckets of consecutive parameters, each at most `bucket_bytes` bytes of gradient
// (a larger parameter has a bucket of its own); the default is 25 MiB, DDP's. Backward
// reports parameters whose gradient will not change again this step (ready()); once every
// parameter of a bucket is ready, its gradients are packed into the bucket's buffer and the
// buffer's all-reduce is started. Buckets start strictly in bucket order (a bucket completed
// early waits for the ones before it), so every rank starts the same all-reduces in the
// same order whatever order its parameters become ready in, and the sums are as
// deterministic as the backend's all-reduce (the same for the same group and sizes).
// finish() waits for every bucket and writes the sums into the gradients.
//
//   GradientBuckets buckets(parameters_in_backward_order, world);
//   model.backward(dlogits, nullptr, [&](std::span<Parameter* const> p) { buckets.ready(p); });
//   buckets.finish();  // every gradient is now the sum over `world`
//
// Every rank passes the same parameters in the same order; their gradients have one dtype
// and live on the group's device. The buffers (as large as the gradients together) are
// kept from step to step. With NCCL and a sequence-parallel ring, the ring's exchanges (one
// communicator, the compute stream) overlap the buckets' sums (another, its own stream);
// every rank issues both in the same order, as NCCL asks of concurrent communicators.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/layers/parameter.h"

namespace spindle {

class GradientBuckets {
 public:
  static constexpr int64_t kDefaultBucketBytes = int64_t{25} << 20;

  // `group` must outlive this object. `stream` (default: the per-thread stream of the
  // group's device) orders the packing, the all-reduces and the copies back.
  GradientBuckets(std::vector<Parameter*> parameters, Communicator& group,
                  int64_t bucket_bytes = kDefaultBucketBytes, const Stream* stream = nullptr);
  // Waits for buckets still in flight (after an error between ready() and finish()).
  ~GradientBuckets() = default;
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // These parameters' gradients are final for this step; starts the all-reduce of every
  // bucket that is then complete, in bucket order. A parameter not listed, or marked twice
  // before finish(), is an Error naming it (and nothing of this call is marked).
  void ready(std::span<Parameter* const> parameters);
  // Waits for every bucket and copies the sums back into the gradients; the next step then
  // starts with no parameter ready. Every parameter must be ready: else an Error naming
  // the first one that is not.
  void finish();

  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  struct Bucket {
    int64_t first = 0, end = 0;  // parameters_[first, end)
    int64_t waiting = 0;         // parameters not yet ready this step
    Tensor buffer;               // their gradients back to back
    PendingCollective sum;
  };
  // Packs and starts every complete bucket from next_ on.
  void start_complete_buckets();

  std::vector<Parameter*> parameters_;
  std::unordered_map<const Parameter*, int64_t> index_;  // parameter -> its place in parameters_
  std::vector<int64_t> bucket_of_;  // per parameter
  std::vector<bool> ready_;         // per parameter, this step
  Communicator& group_;
  Stream stream_;
  std::vector<Bucket> buckets_;
  int64_t next_ = 0;  // the first bucket not started this step
};

}  // namespace spindle
