#include "platform/distributed/mpi_communicator.h"

#include <mpi.h>

#include <climits>

namespace spindle {

struct MpiCommunicator::Handle {
  MPI_Comm comm = MPI_COMM_NULL;

  int rank() const {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    return rank;
  }
  int size() const {
    int size = 0;
    MPI_Comm_size(comm, &size);
    return size;
  }
};

namespace {

constexpr int kTag = 0;  // every transfer of a group; MPI keeps their order per pair of ranks

MPI_Datatype element_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::bf16:
    case DType::f16: return MPI_UINT16_T;  // moved as bits; never summed
    case DType::i32: return MPI_INT32_T;
    case DType::i64: return MPI_INT64_T;
    case DType::u8: return MPI_UINT8_T;
  }
  throw Error("MpiCommunicator", "dtype " + std::to_string(static_cast<int>(dtype)) + " has no MPI type",
              "a spindle DType");
}

// MPI counts are int (OpenMPI 4 has no large-count calls).
int element_count(const Tensor& tensor, const std::string& where) {
  SPINDLE_CHECK(tensor.numel() <= INT_MAX, where, tensor.describe() + " has more elements than an MPI count holds",
                "at most " + std::to_string(INT_MAX) + " elements per call");
  return static_cast<int>(tensor.numel());
}

}  // namespace

MpiCommunicator::MpiCommunicator(std::unique_ptr<Handle> handle, const std::string& name)
    : Communicator(handle->rank(), handle->size(), Device::cpu(), name + " (MPI)"), handle_(std::move(handle)) {}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&handle_->comm);
}

std::unique_ptr<MpiCommunicator> MpiCommunicator::world() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  SPINDLE_CHECK(initialized, "MpiCommunicator::world", "MPI is not initialized", "an MpiRuntime made first, in main");
  auto handle = std::make_unique<Handle>();
  MPI_Comm_dup(MPI_COMM_WORLD, &handle->comm);
  return std::unique_ptr<MpiCommunicator>(new MpiCommunicator(std::move(handle), "world"));
}

std::unique_ptr<MpiCommunicator> MpiCommunicator::split(int color, int key, const std::string& name) const {
  SPINDLE_CHECK(color >= 0, operation("split"), "color " + std::to_string(color), "a color >= 0");
  auto handle = std::make_unique<Handle>();
  MPI_Comm_split(handle_->comm, color, key, &handle->comm);
  return std::unique_ptr<MpiCommunicator>(new MpiCommunicator(std::move(handle), name));
}

std::vector<DType> MpiCommunicator::summable_dtypes() const {
  return {DType::f32, DType::f64, DType::i32, DType::i64, DType::u8};
}

void MpiCommunicator::exchange_checked(std::span<const PeerTensor> sends, std::span<const PeerTensor> receives,
                                       const Stream&) {
  const std::string where = operation("exchange");
  // Counts first: a tensor too large for MPI is refused before anything is posted.
  std::vector<int> counts;
  for (const PeerTensor& transfer : receives) counts.push_back(element_count(transfer.tensor, where));
  for (const PeerTensor& transfer : sends) counts.push_back(element_count(transfer.tensor, where));
  std::vector<MPI_Request> requests(counts.size());
  for (size_t i = 0; i < receives.size(); ++i) {
    MPI_Irecv(receives[i].tensor.raw_data(), counts[i], element_type(receives[i].tensor.dtype()), receives[i].peer,
              kTag, handle_->comm, &requests[i]);
  }
  for (size_t i = 0, r = receives.size(); i < sends.size(); ++i, ++r) {
    MPI_Isend(sends[i].tensor.raw_data(), counts[r], element_type(sends[i].tensor.dtype()), sends[i].peer, kTag,
              handle_->comm, &requests[r]);
  }
  std::vector<MPI_Status> statuses(requests.size());
  MPI_Waitall(static_cast<int>(requests.size()), requests.data(), statuses.data());
  // A longer message than the buffer aborts in MPI (truncation); a shorter one is caught here.
  for (size_t i = 0; i < receives.size(); ++i) {
    const Tensor& tensor = receives[i].tensor;
    int received = 0;
    MPI_Get_count(&statuses[i], element_type(tensor.dtype()), &received);
    SPINDLE_CHECK(received == tensor.numel(), where + ": received tensor",
                  std::to_string(received) + " elements from rank " + std::to_string(receives[i].peer),
                  std::to_string(tensor.numel()) + " elements (" + tensor.describe() + ")");
  }
}

void MpiCommunicator::all_reduce_sum_checked(Tensor& tensor, const Stream&) {
  MPI_Allreduce(MPI_IN_PLACE, tensor.raw_data(), element_count(tensor, operation("all_reduce_sum")),
                element_type(tensor.dtype()), MPI_SUM, handle_->comm);
}

PendingCollective MpiCommunicator::start_all_reduce_sum_checked(Tensor& tensor, const Stream&) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallreduce(MPI_IN_PLACE, tensor.raw_data(), element_count(tensor, operation("start_all_reduce_sum")),
                 element_type(tensor.dtype()), MPI_SUM, handle_->comm, &request);
  // The handle holds the tensor: MPI writes into its buffer until MPI_Wait returns.
  return PendingCollective([request, tensor]() mutable { MPI_Wait(&request, MPI_STATUS_IGNORE); });
}

void MpiCommunicator::all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place, const Stream&) {
  const int count = element_count(piece, operation("all_gather"));
  const MPI_Datatype type = element_type(piece.dtype());
  MPI_Allgather(in_place ? MPI_IN_PLACE : piece.raw_data(), count, type, whole.raw_data(), count, type, handle_->comm);
}

PendingCollective MpiCommunicator::start_all_gather_checked(const Tensor& piece, Tensor& whole, bool in_place,
                                                           const Stream&) {
  const int count = element_count(piece, operation("start_all_gather"));
  const MPI_Datatype type = element_type(piece.dtype());
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallgather(in_place ? MPI_IN_PLACE : piece.raw_data(), count, type, whole.raw_data(), count, type,
                 handle_->comm, &request);
  // The handle holds both tensors: MPI reads one and writes the other until MPI_Wait returns.
  return PendingCollective([request, piece, whole]() mutable { MPI_Wait(&request, MPI_STATUS_IGNORE); });
}

void MpiCommunicator::broadcast_checked(Tensor& tensor, int root, const Stream&) {
  MPI_Bcast(tensor.raw_data(), element_count(tensor, operation("broadcast")), element_type(tensor.dtype()), root,
            handle_->comm);
}

void MpiCommunicator::barrier_checked(const Stream&) { MPI_Barrier(handle_->comm); }

}  // namespace spindle
