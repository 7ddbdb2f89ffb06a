// The NCCL backend of Communicator: tensors of one CUDA device, calls enqueued on the
// given stream (complete when the stream reaches them). The started collectives run on the
// communicator's own stream, ordered against the caller's by events. CUDA builds only.
#pragma once

#include "kernels/backend.h"

#if SPINDLE_WITH_CUDA

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "platform/distributed/communicator.h"
#include "platform/distributed/mpi_communicator.h"

namespace spindle {

class NcclCommunicator final : public Communicator {
 public:
  // Collective over `bootstrap`: the same ranks, on `device` (this process's GPU; two
  // ranks may not share one). Rank 0 makes NCCL's unique id and broadcasts it over MPI;
  // no other rendezvous is needed. `name` names the group in errors.
  static std::unique_ptr<NcclCommunicator> create(MpiCommunicator& bootstrap, Device device,
                                                  const std::string& name);
  ~NcclCommunicator() override;  // errors at teardown are dropped

  // Collective over this group (ncclCommSplit): the ranks passing the same `color` (>= 0)
  // form a new group on the same device, ranked by `key`. `name` names it in errors.
  std::unique_ptr<NcclCommunicator> split(int color, int key, const std::string& name) const;

  // Every dtype spindle has (f32, f64, bf16, f16, i32, i64, u8).
  std::vector<DType> summable_dtypes() const override;

 private:
  struct Handle;  // the ncclComm_t; nccl.h stays out of this header
  NcclCommunicator(std::unique_ptr<Handle> handle, Device device, const std::string& name);

  void exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                        const Stream& stream) override;
  void all_reduce_sum_checked(Tensor& tensor, const Stream& stream) override;
  PendingCollective start_all_reduce_sum_checked(Tensor& tensor, const Stream& stream) override;
  void all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place, const Stream& stream) override;
  PendingCollective start_all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place,
                                             const Stream& stream) override;
  void broadcast_checked(Tensor& tensor, int root, const Stream& stream) override;
  void barrier_checked(const Stream& stream) override;

  // Runs `collective` on communication_ after the work queued on `stream` so far; the
  // handle's wait() makes `stream` wait for it. `held` stays alive until then.
  PendingCollective start_on_own_stream(const Stream& stream, const std::function<void(const Stream&)>& collective,
                                        std::vector<Tensor> held);

  std::unique_ptr<Handle> handle_;
  Tensor barrier_token_;  // one f32 on the device, summed by barrier()
  Stream communication_;  // where the started collectives run
};

}  // namespace spindle

#endif  // SPINDLE_WITH_CUDA
