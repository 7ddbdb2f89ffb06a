// Communication of tensors among a fixed group of processes (ranks 0 .. size-1).
//
// Two backends behind one interface: MpiCommunicator moves host tensors (a call is complete
// when it returns); NcclCommunicator moves tensors of one CUDA device (a call is enqueued
// on the stream and complete when the stream reaches it). Every rank of the group makes
// the same collective calls in the same order with tensors of the same shape and dtype;
// tensors are contiguous. Argument errors are thrown before anything is sent, so a rank
// that passes a bad tensor fails alone and at once (its peers then wait for it: callers
// pass the same arguments everywhere).
//
// Not thread-safe: one thread of the process makes the calls.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "platform/stream.h"
#include "platform/tensor.h"

namespace spindle {

// One point-to-point transfer: `tensor` goes to, or comes from, rank `peer`.
struct PeerTensor {
  Tensor tensor;
  int peer = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Where this communicator's tensors live: Device::cpu() for MPI, cuda:N for NCCL.
  Device device() const { return device_; }
  // Names the group and backend in errors: "ring 1 (NCCL, cuda:1)".
  const std::string& name() const { return name_; }

  // Posts every send and receive at once; all are complete together. A ring shift (send
  // to the next rank, receive from the previous) therefore cannot deadlock. Transfers
  // between the same two ranks match in list order. A peer may be this rank itself.
  void exchange(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                const Stream* stream = nullptr);
  void send(const Tensor& tensor, int peer, const Stream* stream = nullptr);
  void recv(Tensor& tensor, int peer, const Stream* stream = nullptr);

  // tensor = the elementwise sum of every rank's tensor (the dtypes summable_dtypes()).
  void all_reduce_sum(Tensor& tensor, const Stream* stream = nullptr);
  // whole = every rank's piece along the first axis, in rank order: whole.size(0) ==
  // size() * piece.size(0), other axes equal. `piece` may be this rank's own slot of
  // `whole` (in place); any other overlap is an error.
  void all_gather(const Tensor& piece, Tensor& whole, const Stream* stream = nullptr);
  // Every rank's tensor = `root`'s tensor.
  void broadcast(Tensor& tensor, int root, const Stream* stream = nullptr);
  // Returns when every rank has reached the barrier (NCCL: and the work queued on
  // `stream` before it has finished).
  void barrier(const Stream* stream = nullptr);

  virtual std::vector<DType> summable_dtypes() const = 0;

 protected:
  Communicator(int rank, int size, Device device, std::string name);
  // "ring 1 (MPI): all_gather", the `where` of this communicator's errors.
  std::string operation(const char* call) const { return name_ + ": " + call; }

  // Called after the checks: tensors defined, contiguous and on device(), peers and roots
  // in [0, size()), dtypes allowed, the stream on device().
  virtual void exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                                const Stream& stream) = 0;
  virtual void all_reduce_sum_checked(Tensor& tensor, const Stream& stream) = 0;
  // `in_place`: piece is this rank's slot of whole.
  virtual void all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place, const Stream& stream) = 0;
  virtual void broadcast_checked(Tensor& tensor, int root, const Stream& stream) = 0;
  virtual void barrier_checked(const Stream& stream) = 0;

 private:
  void check_tensor(const std::string& operation, const char* argument, const Tensor& tensor) const;
  void check_rank(const std::string& operation, const char* argument, int rank) const;
  // exchange, send and recv: checks, then exchange_checked; `call` names the public call.
  void checked_exchange(const char* call, std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                        const Stream* stream);

  int rank_ = 0;
  int size_ = 1;
  Device device_;
  std::string name_;
};

}  // namespace spindle
