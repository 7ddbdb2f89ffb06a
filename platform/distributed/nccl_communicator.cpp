#include "platform/distributed/nccl_communicator.h"

#include <nccl.h>

#include <cstring>
#include <source_location>

namespace spindle {
namespace {

void check_nccl(ncclResult_t status, const char* call, ncclComm_t comm = nullptr,
                std::source_location at = std::source_location::current()) {
  if (status == ncclSuccess) return;
  std::string problem = ncclGetErrorString(status);
  if (const char* detail = comm ? ncclGetLastError(comm) : nullptr; detail && *detail) problem += ": " + std::string(detail);
  throw Error(call, problem, "ncclSuccess", at);
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::bf16: return ncclBfloat16;
    case DType::f16: return ncclFloat16;
    case DType::i32: return ncclInt32;
    case DType::i64: return ncclInt64;
    case DType::u8: return ncclUint8;
  }
  throw Error("NcclCommunicator", "dtype " + std::to_string(static_cast<int>(dtype)) + " has no NCCL type",
              "a spindle DType");
}

size_t element_count(const Tensor& tensor) { return static_cast<size_t>(tensor.numel()); }

}  // namespace

struct NcclCommunicator::Handle {
  ncclComm_t comm = nullptr;

  int rank() const {
    int rank = 0;
    check_nccl(ncclCommUserRank(comm, &rank), "ncclCommUserRank", comm);
    return rank;
  }
  int size() const {
    int size = 0;
    check_nccl(ncclCommCount(comm, &size), "ncclCommCount", comm);
    return size;
  }
};

NcclCommunicator::NcclCommunicator(std::unique_ptr<Handle> handle, Device device, const std::string& name)
    : Communicator(handle->rank(), handle->size(), device, name + " (NCCL, " + device.str() + ")"),
      handle_(std::move(handle)),
      barrier_token_(Tensor::zeros({1}, DType::f32, device)),
      communication_(Stream::create(device)) {
  Stream::per_thread(device).synchronize();  // zeroed before a stream of NCCL's reads it
}

NcclCommunicator::~NcclCommunicator() { ncclCommDestroy(handle_->comm); }

std::unique_ptr<NcclCommunicator> NcclCommunicator::create(MpiCommunicator& bootstrap, Device device,
                                                           const std::string& name) {
  SPINDLE_CHECK(device.is_cuda(), "NcclCommunicator::create(" + name + ")", "device " + device.str(),
                "a cuda:N device");
  Tensor id_bytes = Tensor::zeros({static_cast<int64_t>(sizeof(ncclUniqueId))}, DType::u8);
  ncclUniqueId id;
  if (bootstrap.rank() == 0) {
    check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    std::memcpy(id_bytes.raw_data(), &id, sizeof id);
  }
  bootstrap.broadcast(id_bytes, 0);
  std::memcpy(&id, id_bytes.raw_data(), sizeof id);
  DeviceGuard guard(device);
  auto handle = std::make_unique<Handle>();
  check_nccl(ncclCommInitRank(&handle->comm, bootstrap.size(), id, bootstrap.rank()), "ncclCommInitRank");
  return std::unique_ptr<NcclCommunicator>(new NcclCommunicator(std::move(handle), device, name));
}

std::unique_ptr<NcclCommunicator> NcclCommunicator::split(int color, int key, const std::string& name) const {
  SPINDLE_CHECK(color >= 0, operation("split"), "color " + std::to_string(color), "a color >= 0");
  DeviceGuard guard(device());
  auto handle = std::make_unique<Handle>();
  check_nccl(ncclCommSplit(handle_->comm, color, key, &handle->comm, nullptr), "ncclCommSplit", handle_->comm);
  return std::unique_ptr<NcclCommunicator>(new NcclCommunicator(std::move(handle), device(), name));
}

std::vector<DType> NcclCommunicator::summable_dtypes() const {
  return {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8};
}

void NcclCommunicator::exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                                        const Stream& stream) {
  DeviceGuard guard(device());
  // One group: NCCL starts every transfer together, so none waits for another to finish.
  check_nccl(ncclGroupStart(), "ncclGroupStart");
  for (const PeerTensor& transfer : receives) {
    const Tensor& tensor = transfer.tensor;
    check_nccl(ncclRecv(tensor.raw_data(), element_count(tensor), nccl_type(tensor.dtype()), transfer.peer,
                        handle_->comm, stream.cuda()),
               "ncclRecv", handle_->comm);
  }
  for (const PeerTensor& transfer : sends) {
    const Tensor& tensor = transfer.tensor;
    check_nccl(ncclSend(tensor.raw_data(), element_count(tensor), nccl_type(tensor.dtype()), transfer.peer,
                        handle_->comm, stream.cuda()),
               "ncclSend", handle_->comm);
  }
  check_nccl(ncclGroupEnd(), "ncclGroupEnd", handle_->comm);
}

void NcclCommunicator::all_reduce_sum_checked(Tensor& tensor, const Stream& stream) {
  DeviceGuard guard(device());
  check_nccl(ncclAllReduce(tensor.raw_data(), tensor.raw_data(), element_count(tensor), nccl_type(tensor.dtype()),
                           ncclSum, handle_->comm, stream.cuda()),
             "ncclAllReduce", handle_->comm);
}

// The collective waits on `stream` up to here (the caller's writes into its input); the
// returned handle's wait() makes `stream` wait for it. Its tensors are allocated on the
// caller's stream and freed there, after that wait.
PendingCollective NcclCommunicator::start_on_own_stream(const Stream& stream,
                                                        const std::function<void(const Stream&)>& collective,
                                                        std::vector<Tensor> held) {
  DeviceGuard guard(device());
  Event written(device());
  written.record(stream);
  communication_.wait(written);
  collective(communication_);
  auto done = std::make_shared<Event>(device());
  done->record(communication_);
  return PendingCollective([done, held = std::move(held), stream] { stream.wait(*done); });
}

PendingCollective NcclCommunicator::start_all_reduce_sum_checked(Tensor& tensor, const Stream& stream) {
  return start_on_own_stream(
      stream, [&](const Stream& on) { all_reduce_sum_checked(tensor, on); }, {tensor});
}

// In place, piece already is whole's slot of this rank: NCCL recognizes the pointers.
void NcclCommunicator::all_gather_checked(const Tensor& piece, Tensor& whole, bool, const Stream& stream) {
  DeviceGuard guard(device());
  check_nccl(ncclAllGather(piece.raw_data(), whole.raw_data(), element_count(piece), nccl_type(piece.dtype()),
                           handle_->comm, stream.cuda()),
             "ncclAllGather", handle_->comm);
}

PendingCollective NcclCommunicator::start_all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place,
                                                            const Stream& stream) {
  return start_on_own_stream(
      stream, [&](const Stream& on) { all_gather_checked(piece, whole, in_place, on); }, {piece, whole});
}

void NcclCommunicator::broadcast_checked(Tensor& tensor, int root, const Stream& stream) {
  DeviceGuard guard(device());
  check_nccl(ncclBroadcast(tensor.raw_data(), tensor.raw_data(), element_count(tensor), nccl_type(tensor.dtype()), root,
                           handle_->comm, stream.cuda()),
             "ncclBroadcast", handle_->comm);
}

void NcclCommunicator::barrier_checked(const Stream& stream) {
  DeviceGuard guard(device());
  check_nccl(ncclAllReduce(barrier_token_.raw_data(), barrier_token_.raw_data(), 1, ncclFloat32, ncclSum,
                           handle_->comm, stream.cuda()),
             "ncclAllReduce", handle_->comm);
  stream.synchronize();
}

}  // namespace spindle
