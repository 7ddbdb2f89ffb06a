// Communication of tensors among a fixed group of processes (ranks 0 .. size-1).
//
// Two backends behind one interface: MpiCommunicator moves host tensors (a call is complete
// when it returns); NcclCommunicator moves tensors of one CUDA device (a call is enqueued
// on the stream and complete when the stream reaches it). start_all_reduce_sum and
// start_all_gather return before their work is done, with a handle to wait on. Every rank of the
// group makes the same collective calls in the same order with tensors of the same shape
// and dtype; tensors are contiguous. Argument errors are thrown before anything is sent,
// so a rank that passes a bad tensor fails alone and at once (its peers then wait for it:
// callers pass the same arguments everywhere).
//
// Not thread-safe: one thread of the process makes the calls.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "platform/distributed/communication_clock.h"
#include "platform/stream.h"
#include "platform/tensor.h"

namespace spindle {

// One point-to-point transfer: `tensor` goes to, or comes from, rank `peer`.
struct PeerTensor {
  Tensor tensor;
  int peer = 0;
};

// A collective in flight (Communicator::start_all_reduce_sum, start_all_gather). wait()
// completes it: MPI returns when the result is in place; NCCL makes the stream it was
// started from wait for it (work queued there afterwards sees it) without blocking the host. A second
// wait() does nothing. Destroyed unwaited, it waits first (errors dropped): the backend
// must not write into a buffer that is gone.
class PendingCollective {
 public:
  PendingCollective() = default;
  explicit PendingCollective(std::function<void()> complete) : complete_(std::move(complete)) {}
  ~PendingCollective();
  PendingCollective(PendingCollective&& other) noexcept : complete_(std::exchange(other.complete_, nullptr)) {}
  PendingCollective& operator=(PendingCollective&& other) noexcept;
  PendingCollective(const PendingCollective&) = delete;
  PendingCollective& operator=(const PendingCollective&) = delete;

  void wait();
  bool pending() const { return static_cast<bool>(complete_); }

 private:
  std::function<void()> complete_;
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
  // One transfer each. To or from this rank itself only through exchange(), where the send
  // and its receive are posted together (NCCL refuses an unmatched send to self).
  void send(const Tensor& tensor, int peer, const Stream* stream = nullptr);
  void recv(Tensor& tensor, int peer, const Stream* stream = nullptr);

  // tensor = the elementwise sum of every rank's tensor (the dtypes summable_dtypes()).
  void all_reduce_sum(Tensor& tensor, const Stream* stream = nullptr);
  // The same sum, started without waiting for it: complete after the handle's wait().
  // Until then the tensor is the backend's (neither read nor written by the caller); the
  // handle keeps it alive. Several may be in flight, and other calls may be made meanwhile
  // (every rank in the same order). MPI: MPI_Iallreduce (it progresses inside MPI calls).
  // NCCL: enqueued on the communicator's own stream after the work queued on `stream` so
  // far, so later work on `stream` runs alongside it.
  PendingCollective start_all_reduce_sum(Tensor& tensor, const Stream* stream = nullptr);
  // whole = every rank's piece along the first axis, in rank order: whole.size(0) ==
  // size() * piece.size(0), other axes equal. `piece` may be this rank's own slot of
  // `whole` (in place); any other overlap is an error.
  void all_gather(const Tensor& piece, Tensor& whole, const Stream* stream = nullptr);
  // The same gather, started without waiting for it, as start_all_reduce_sum starts its
  // sum: until the handle's wait() neither tensor is written nor `whole` read by the caller.
  // It lets a layer compute what does not depend on the gathered tensor meanwhile.
  PendingCollective start_all_gather(const Tensor& piece, Tensor& whole, const Stream* stream = nullptr);
  // Every rank's tensor = `root`'s tensor.
  void broadcast(Tensor& tensor, int root, const Stream* stream = nullptr);
  // Returns when every rank has reached the barrier (NCCL: and the work queued on
  // `stream` before it has finished).
  void barrier(const Stream* stream = nullptr);

  virtual std::vector<DType> summable_dtypes() const = 0;

  // Measuring (off until turned on): the time the callers' streams spend in this
  // communicator's calls (CommunicationClock), a started collective only while its wait()
  // holds the stream. take_measured_ms returns the milliseconds since the last take (0 when
  // not measuring), waiting for the measured work to finish.
  void set_measuring(bool on);
  double take_measured_ms();

 protected:
  Communicator(int rank, int size, Device device, std::string name);
  // "ring 1 (MPI): all_gather", the `where` of this communicator's errors.
  std::string operation(const char* call) const { return name_ + ": " + call; }

  // Called after the checks: tensors defined, contiguous and on device(), peers and roots
  // in [0, size()), dtypes allowed, the stream on device().
  virtual void exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                                const Stream& stream) = 0;
  virtual void all_reduce_sum_checked(Tensor& tensor, const Stream& stream) = 0;
  virtual PendingCollective start_all_reduce_sum_checked(Tensor& tensor, const Stream& stream) = 0;
  // `in_place`: piece is this rank's slot of whole.
  virtual void all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place, const Stream& stream) = 0;
  virtual PendingCollective start_all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place,
                                                      const Stream& stream) = 0;
  virtual void broadcast_checked(Tensor& tensor, int root, const Stream& stream) = 0;
  virtual void barrier_checked(const Stream& stream) = 0;

 private:
  void check_tensor(const std::string& operation, const char* argument, const Tensor& tensor) const;
  void check_rank(const std::string& operation, const char* argument, int rank) const;
  // A defined, contiguous tensor on device() of a dtype summable_dtypes() lists.
  void check_summable(const std::string& operation, const Tensor& tensor) const;
  // exchange, send and recv: checks, then exchange_checked; `call` names the public call.
  void checked_exchange(const char* call, std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                        const Stream* stream);

  // all_gather and start_all_gather: checks; returns whether piece is this rank's slot of whole.
  bool check_gather(const std::string& operation, const Tensor& piece, const Tensor& whole) const;
  // An interval of the clock on `stream` while measuring, else nothing.
  std::optional<CommunicationClock::Interval> measure(const Stream& stream);
  // While measuring, `started` with its wait() timed on `stream` (a started collective
  // counts only while its wait holds the stream); else `started` itself.
  PendingCollective measured_wait(PendingCollective started, const Stream& stream);

  int rank_ = 0;
  int size_ = 1;
  std::shared_ptr<CommunicationClock> clock_;  // shared with started all-reduces' waits
  Device device_;
  std::string name_;
};

}  // namespace spindle
