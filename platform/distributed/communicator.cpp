#include "platform/distributed/communicator.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "platform/ops/op_checks.h"

namespace spindle {
namespace {

bool overlap(const Tensor& a, const Tensor& b) {
  const auto a_first = reinterpret_cast<uintptr_t>(a.raw_data());
  const auto b_first = reinterpret_cast<uintptr_t>(b.raw_data());
  return a.nbytes() > 0 && b.nbytes() > 0 && a_first < b_first + b.nbytes() && b_first < a_first + a.nbytes();
}

std::string dtype_names(const std::vector<DType>& dtypes) {
  std::string names;
  for (DType dtype : dtypes) names += (names.empty() ? "" : ", ") + std::string(dtype_name(dtype));
  return names;
}

}  // namespace

PendingCollective::~PendingCollective() {
  try {
    wait();
  } catch (...) {  // a destructor must not throw
  }
}

PendingCollective& PendingCollective::operator=(PendingCollective&& other) noexcept {
  if (this != &other) {
    PendingCollective finished(std::move(*this));  // waits for what this one held
    complete_ = std::exchange(other.complete_, nullptr);
  }
  return *this;
}

void PendingCollective::wait() {
  if (!complete_) return;
  const std::function<void()> complete = std::exchange(complete_, nullptr);
  complete();
}

Communicator::Communicator(int rank, int size, Device device, std::string name)
    : rank_(rank), size_(size), device_(device), name_(std::move(name)) {}

void Communicator::check_tensor(const std::string& operation, const char* argument, const Tensor& tensor) const {
  SPINDLE_CHECK(tensor.defined(), operation + ": " + argument, "undefined tensor", "a tensor on " + device_.str());
  ops::check_tensor(operation.c_str(), argument, tensor, tensor.shape(), device_);
}

void Communicator::check_rank(const std::string& operation, const char* argument, int rank) const {
  SPINDLE_CHECK(rank >= 0 && rank < size_, operation + ": " + argument, "rank " + std::to_string(rank),
                "a rank of this group of " + std::to_string(size_) + " (0 to " + std::to_string(size_ - 1) + ")");
}

void Communicator::check_summable(const std::string& operation, const Tensor& tensor) const {
  check_tensor(operation, "tensor", tensor);
  const std::vector<DType> summable = summable_dtypes();
  SPINDLE_CHECK(std::find(summable.begin(), summable.end(), tensor.dtype()) != summable.end(), operation + ": tensor",
                tensor.describe(), "dtype " + dtype_names(summable) + " (what this backend sums)");
}

void Communicator::exchange(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                            const Stream* stream) {
  checked_exchange("exchange", sends, receives, stream);
}

void Communicator::send(const Tensor& tensor, int peer, const Stream* stream) {
  const PeerTensor transfer{tensor, peer};
  checked_exchange("send", {&transfer, 1}, {}, stream);
}

void Communicator::recv(Tensor& tensor, int peer, const Stream* stream) {
  const PeerTensor transfer{tensor, peer};
  checked_exchange("recv", {}, {&transfer, 1}, stream);
}

void Communicator::checked_exchange(const char* call, std::span<const PeerTensor> sends,
                                    std::span<const PeerTensor> receives, const Stream* stream) {
  const std::string op = operation(call);
  for (const PeerTensor& transfer : sends) {
    check_tensor(op, "sent tensor", transfer.tensor);
    check_rank(op, "destination", transfer.peer);
  }
  for (const PeerTensor& transfer : receives) {
    check_tensor(op, "received tensor", transfer.tensor);
    check_rank(op, "source", transfer.peer);
  }
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  const auto interval = measure(on);
  exchange_checked(sends, receives, on);
}

void Communicator::all_reduce_sum(Tensor& tensor, const Stream* stream) {
  const std::string op = operation("all_reduce_sum");
  check_summable(op, tensor);
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  const auto interval = measure(on);
  all_reduce_sum_checked(tensor, on);
}

PendingCollective Communicator::start_all_reduce_sum(Tensor& tensor, const Stream* stream) {
  const std::string op = operation("start_all_reduce_sum");
  check_summable(op, tensor);
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  return measured_wait(start_all_reduce_sum_checked(tensor, on), on);
}

bool Communicator::check_gather(const std::string& op, const Tensor& piece, const Tensor& whole) const {
  check_tensor(op, "piece", piece);
  check_tensor(op, "whole", whole);
  SPINDLE_CHECK(piece.dim() >= 1, op + ": piece", piece.describe(), "a tensor of at least one axis");
  ops::check_same_dtype(op.c_str(), "whole", whole, piece);
  Shape gathered = piece.shape();
  gathered[0] *= size_;
  SPINDLE_CHECK(whole.shape() == gathered, op + ": whole", whole.describe(),
                "shape " + shape_str(gathered) + ": " + std::to_string(size_) + " pieces of " +
                    shape_str(piece.shape()) + " along the first axis");
  const bool in_place = piece.storage() == whole.storage() && piece.nbytes() > 0 &&
                        piece.raw_data() == static_cast<char*>(whole.raw_data()) + rank_ * piece.nbytes();
  SPINDLE_CHECK(in_place || !overlap(piece, whole), op + ": piece",
                "overlaps whole but is not this rank's slot of it (rank " + std::to_string(rank_) + ")",
                "separate tensors, or piece = whole.slice(0, rank * n, (rank + 1) * n)");
  return in_place;
}

void Communicator::all_gather(const Tensor& piece, Tensor& whole, const Stream* stream) {
  const std::string op = operation("all_gather");
  const bool in_place = check_gather(op, piece, whole);
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  const auto interval = measure(on);
  all_gather_checked(piece, whole, in_place, on);
}

PendingCollective Communicator::start_all_gather(const Tensor& piece, Tensor& whole, const Stream* stream) {
  const std::string op = operation("start_all_gather");
  const bool in_place = check_gather(op, piece, whole);
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  return measured_wait(start_all_gather_checked(piece, whole, in_place, on), on);
}

void Communicator::broadcast(Tensor& tensor, int root, const Stream* stream) {
  const std::string op = operation("broadcast");
  check_tensor(op, "tensor", tensor);
  check_rank(op, "root", root);
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  const auto interval = measure(on);
  broadcast_checked(tensor, root, on);
}

void Communicator::barrier(const Stream* stream) {
  const std::string op = operation("barrier");
  const Stream& on = ops::op_stream(op.c_str(), device_, stream);
  const auto interval = measure(on);
  barrier_checked(on);
}

void Communicator::set_measuring(bool on) { clock_ = on ? std::make_shared<CommunicationClock>() : nullptr; }

double Communicator::take_measured_ms() { return clock_ ? clock_->take_ms() : 0.0; }

std::optional<CommunicationClock::Interval> Communicator::measure(const Stream& stream) {
  if (!clock_) return std::nullopt;
  return std::optional<CommunicationClock::Interval>(std::in_place, *clock_, stream);
}

PendingCollective Communicator::measured_wait(PendingCollective started, const Stream& stream) {
  if (!clock_) return started;
  auto held = std::make_shared<PendingCollective>(std::move(started));
  return PendingCollective([clock = clock_, stream, held] {
    const CommunicationClock::Interval interval(*clock, stream);
    held->wait();
  });
}

}  // namespace spindle
