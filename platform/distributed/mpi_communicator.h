// The MPI backend of Communicator: host tensors, blocking calls (complete when they
// return; the started ones when their handle's wait() returns). It also carries what NCCL
// needs from MPI: NcclCommunicator broadcasts its unique id over one, and ProcessGrid
// splits the world into rings and data groups.
#pragma once

#include <memory>
#include <string>

#include "platform/distributed/communicator.h"

namespace spindle {

class MpiCommunicator final : public Communicator {
 public:
  // Every process of the job, on a duplicate of MPI_COMM_WORLD (spindle's messages never
  // match another library's). Needs an MpiRuntime.
  static std::unique_ptr<MpiCommunicator> world();
  ~MpiCommunicator() override;

  // Collective over this group: the ranks passing the same `color` (>= 0) form a new
  // group, ranked by `key` (ties by rank here). `name` names the new group in errors.
  std::unique_ptr<MpiCommunicator> split(int color, int key, const std::string& name) const;

  // f32, f64, i32, i64 and u8: MPI has no 16-bit floating-point sum.
  std::vector<DType> summable_dtypes() const override;

 private:
  struct Handle;  // the MPI_Comm; mpi.h stays out of this header
  MpiCommunicator(std::unique_ptr<Handle> handle, const std::string& name);

  void exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                        const Stream& stream) override;
  void all_reduce_sum_checked(Tensor& tensor, const Stream& stream) override;
  PendingCollective start_all_reduce_sum_checked(Tensor& tensor, const Stream& stream) override;
  void all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place, const Stream& stream) override;
  PendingCollective start_all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place,
                                             const Stream& stream) override;
  void broadcast_checked(Tensor& tensor, int root, const Stream& stream) override;
  void barrier_checked(const Stream& stream) override;

  std::unique_ptr<Handle> handle_;
};

}  // namespace spindle
