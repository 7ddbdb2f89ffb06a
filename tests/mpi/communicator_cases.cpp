#include "tests/mpi/communicator_cases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "tests/support/tensors.h"

namespace spindle::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Seeds: one family per case, one member per rank.
enum class Case : uint64_t { all_reduce = 1, all_gather, broadcast, forward, backward, send };
uint64_t seed(Case family, int rank) { return static_cast<uint64_t>(family) * 1000 + static_cast<uint64_t>(rank); }

std::string context(const Communicator& comm, DType dtype, const Shape& shape) {
  return comm.name() + " rank " + std::to_string(comm.rank()) + ", " + std::string(dtype_name(dtype)) +
         shape_str(shape);
}

Tensor rank_input(Case family, int rank, const Shape& shape, DType dtype) {
  return random_tensor(shape, dtype, seed(family, rank));
}

}  // namespace

const std::vector<Shape> kAwkwardShapes = {{1}, {7, 13}, {0, 5}, {1000003}};

double sum_tolerance(DType dtype) {
  switch (dtype) {
    case DType::f64: return 1e-15;
    case DType::f32: return 1e-6;
    default: return 1e-2;
  }
}

// The f64 sum of every rank's all_reduce input.
Tensor sum_of_inputs(const Communicator& comm, DType dtype, const Shape& shape) {
  std::vector<double> sum(static_cast<size_t>(shape_numel(shape)), 0.0);
  for (int rank = 0; rank < comm.size(); ++rank) {
    const std::vector<double> input = to_doubles(rank_input(Case::all_reduce, rank, shape, dtype));
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += input[i];
  }
  return Tensor::from_vector(sum, shape);
}

void expect_all_reduce_sum(Communicator& comm, DType dtype, const Shape& shape, double tolerance) {
  const Stream stream = Stream::create(comm.device());
  Tensor tensor = rank_input(Case::all_reduce, comm.rank(), shape, dtype).to(comm.device(), &stream);
  comm.all_reduce_sum(tensor, &stream);
  EXPECT_LE(relative_error(tensor.to(Device::cpu(), &stream), sum_of_inputs(comm, dtype, shape)), tolerance)
      << context(comm, dtype, shape);
}

void expect_started_all_reduce_sums(Communicator& comm, DType dtype, double tolerance) {
  const Stream stream = Stream::create(comm.device());
  std::vector<Tensor> tensors;
  std::vector<PendingCollective> sums;
  for (const Shape& shape : kAwkwardShapes) {
    tensors.push_back(rank_input(Case::all_reduce, comm.rank(), shape, dtype).to(comm.device(), &stream));
    sums.push_back(comm.start_all_reduce_sum(tensors.back(), &stream));
  }
  const Shape blocking_shape{5};
  Tensor blocking = rank_input(Case::all_reduce, comm.rank(), blocking_shape, dtype).to(comm.device(), &stream);
  comm.all_reduce_sum(blocking, &stream);
  for (auto sum = sums.rbegin(); sum != sums.rend(); ++sum) {
    EXPECT_TRUE(sum->pending());
    sum->wait();
    EXPECT_FALSE(sum->pending());
    sum->wait();  // again: nothing
  }
  EXPECT_LE(relative_error(blocking.to(Device::cpu(), &stream), sum_of_inputs(comm, dtype, blocking_shape)), tolerance)
      << "blocking, " << context(comm, dtype, blocking_shape);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Shape& shape = kAwkwardShapes[i];
    EXPECT_LE(relative_error(tensors[i].to(Device::cpu(), &stream), sum_of_inputs(comm, dtype, shape)), tolerance)
        << "started, " << context(comm, dtype, shape);
  }
}

void expect_all_gather(Communicator& comm, DType dtype, const Shape& piece_shape) {
  const Stream stream = Stream::create(comm.device());
  const int64_t n = piece_shape[0];
  Shape whole_shape = piece_shape;
  whole_shape[0] *= comm.size();
  std::vector<double> expected;
  for (int rank = 0; rank < comm.size(); ++rank) {
    const std::vector<double> piece = to_doubles(rank_input(Case::all_gather, rank, piece_shape, dtype));
    expected.insert(expected.end(), piece.begin(), piece.end());
  }
  const Tensor mine = rank_input(Case::all_gather, comm.rank(), piece_shape, dtype);
  for (const bool started : {false, true}) {
    // Started: a blocking all-reduce runs while the gather is in flight.
    auto gather = [&](const Tensor& piece, Tensor& whole) {
      if (!started) return comm.all_gather(piece, whole, &stream);
      PendingCollective pending = comm.start_all_gather(piece, whole, &stream);
      Tensor meanwhile = Tensor::zeros({3}, DType::f32, comm.device(), &stream);
      comm.all_reduce_sum(meanwhile, &stream);
      EXPECT_TRUE(pending.pending());
      pending.wait();
    };
    const std::string how = started ? "started, " : "blocking, ";
    Tensor whole = poisoned(whole_shape, dtype, comm.device());
    gather(mine.to(comm.device(), &stream), whole);
    EXPECT_EQ(to_doubles(whole.to(Device::cpu(), &stream)), expected)
        << how << "separate, " << context(comm, dtype, piece_shape);

    Tensor slots = poisoned(whole_shape, dtype, Device::cpu());
    slots.slice(0, comm.rank() * n, (comm.rank() + 1) * n).copy_from(mine);
    Tensor in_place = slots.to(comm.device(), &stream);
    gather(in_place.slice(0, comm.rank() * n, (comm.rank() + 1) * n), in_place);
    EXPECT_EQ(to_doubles(in_place.to(Device::cpu(), &stream)), expected)
        << how << "in place, " << context(comm, dtype, piece_shape);
  }
}

void expect_broadcast_from_every_root(Communicator& comm, DType dtype, const Shape& shape) {
  const Stream stream = Stream::create(comm.device());
  for (int root = 0; root < comm.size(); ++root) {
    Tensor tensor = comm.rank() == root ? rank_input(Case::broadcast, root, shape, dtype).to(comm.device(), &stream)
                                        : poisoned(shape, dtype, comm.device());
    comm.broadcast(tensor, root, &stream);
    EXPECT_EQ(to_doubles(tensor.to(Device::cpu(), &stream)), to_doubles(rank_input(Case::broadcast, root, shape, dtype)))
        << "root " << root << ", " << context(comm, dtype, shape);
  }
}

void expect_ring_shift_both_ways(Communicator& comm, DType dtype, const Shape& shape) {
  const Stream stream = Stream::create(comm.device());
  const int next = (comm.rank() + 1) % comm.size();
  const int previous = (comm.rank() + comm.size() - 1) % comm.size();
  const PeerTensor sends[] = {
      {rank_input(Case::forward, comm.rank(), shape, dtype).to(comm.device(), &stream), next},
      {rank_input(Case::backward, comm.rank(), shape, dtype).to(comm.device(), &stream), previous}};
  const PeerTensor receives[] = {{poisoned(shape, dtype, comm.device()), previous},
                                 {poisoned(shape, dtype, comm.device()), next}};
  comm.exchange(sends, receives, &stream);
  EXPECT_EQ(to_doubles(receives[0].tensor.to(Device::cpu(), &stream)),
            to_doubles(rank_input(Case::forward, previous, shape, dtype)))
      << "forward, " << context(comm, dtype, shape);
  EXPECT_EQ(to_doubles(receives[1].tensor.to(Device::cpu(), &stream)),
            to_doubles(rank_input(Case::backward, next, shape, dtype)))
      << "backward, " << context(comm, dtype, shape);
}

void expect_send_from_first_to_last(Communicator& comm, DType dtype, const Shape& shape) {
  const Stream stream = Stream::create(comm.device());
  const int last = comm.size() - 1;
  if (comm.rank() == 0) comm.send(rank_input(Case::send, 0, shape, dtype).to(comm.device(), &stream), last, &stream);
  if (comm.rank() == last) {
    Tensor received = poisoned(shape, dtype, comm.device());
    comm.recv(received, 0, &stream);
    EXPECT_EQ(to_doubles(received.to(Device::cpu(), &stream)), to_doubles(rank_input(Case::send, 0, shape, dtype)))
        << context(comm, dtype, shape);
  }
  stream.synchronize();
}

void expect_measured_time_holds_the_wait_for_a_late_rank(Communicator& comm) {
  const Stream stream = Stream::create(comm.device());
  Tensor value = Tensor::zeros({16}, DType::f32, comm.device(), &stream);
  comm.all_reduce_sum(value, &stream);
  EXPECT_EQ(comm.take_measured_ms(), 0.0) << comm.name() << ": not measuring";

  constexpr double kLateMs = 200;
  const bool late = comm.rank() == comm.size() - 1;
  comm.set_measuring(true);
  for (const bool started : {false, true}) {
    comm.barrier(&stream);
    (void)comm.take_measured_ms();  // the barrier's own time
    if (late) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(kLateMs));
    if (started) {
      PendingCollective sum = comm.start_all_reduce_sum(value, &stream);
      sum.wait();
    } else {
      comm.all_reduce_sum(value, &stream);
    }
    stream.synchronize();
    const double measured = comm.take_measured_ms();
    const std::string what = comm.name() + " rank " + std::to_string(comm.rank()) +
                             (started ? ", started all-reduce" : ", all-reduce");
    if (comm.size() > 1 && !late) EXPECT_GE(measured, 0.75 * kLateMs) << what;
    if (late) EXPECT_LT(measured, 0.5 * kLateMs) << what;
    EXPECT_GE(measured, 0.0) << what;
    EXPECT_EQ(comm.take_measured_ms(), 0.0) << what << ": taken again";
  }
  comm.set_measuring(false);
}

void expect_barrier_waits_for_every_rank(Communicator& comm) {
  const Stream stream = Stream::create(comm.device());
  // Rank 0 makes a fresh folder and broadcasts its name.
  constexpr int64_t kPathBytes = 256;
  Tensor path_bytes = Tensor::zeros({kPathBytes}, DType::u8);
  if (comm.rank() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "spindle-barrier-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    ASSERT_LT(pattern.size(), static_cast<size_t>(kPathBytes));
    std::copy(pattern.begin(), pattern.end(), path_bytes.data<uint8_t>());
  }
  Tensor shared = path_bytes.to(comm.device(), &stream);
  comm.broadcast(shared, 0, &stream);
  const std::vector<uint8_t> bytes = shared.to(Device::cpu(), &stream).to_vector<uint8_t>();
  const std::filesystem::path folder(std::string(reinterpret_cast<const char*>(bytes.data())));

  // Higher ranks arrive later: without the barrier, rank 0 would look before they write.
  std::this_thread::sleep_for(std::chrono::milliseconds(100 * comm.rank()));
  std::ofstream(folder / ("rank-" + std::to_string(comm.rank()))) << comm.rank();
  comm.barrier(&stream);
  int found = 0;
  for (int rank = 0; rank < comm.size(); ++rank) found += std::filesystem::exists(folder / ("rank-" + std::to_string(rank)));
  EXPECT_EQ(found, comm.size()) << comm.name() << " rank " << comm.rank();
  comm.barrier(&stream);  // every rank has looked before rank 0 removes the folder
  if (comm.rank() == 0) std::filesystem::remove_all(folder);
}

void expect_argument_errors(Communicator& comm) {
  const Device device = comm.device();
  const std::string where = comm.name() + ": ";
  Tensor matrix = Tensor::zeros({4, 6}, DType::f32, device);
  Tensor narrowed = matrix.slice(-1, 0, 3);
  EXPECT_THAT([&] { comm.all_reduce_sum(narrowed); },
              ThrowsMessage<Error>(HasSubstr(where + "all_reduce_sum: tensor: non-contiguous")));
  EXPECT_THAT([&] { comm.start_all_reduce_sum(narrowed); },
              ThrowsMessage<Error>(HasSubstr(where + "start_all_reduce_sum: tensor: non-contiguous")));
  Tensor undefined;
  EXPECT_THAT([&] { comm.broadcast(undefined, 0); }, ThrowsMessage<Error>(HasSubstr(where + "broadcast: tensor: undefined")));
  EXPECT_THAT([&] { comm.broadcast(matrix, comm.size()); },
              ThrowsMessage<Error>(HasSubstr(where + "broadcast: root: rank " + std::to_string(comm.size()))));
  EXPECT_THAT([&] { comm.send(matrix, -1); }, ThrowsMessage<Error>(HasSubstr(where + "send: destination: rank -1")));
  EXPECT_THAT([&] { comm.recv(matrix, comm.size()); }, ThrowsMessage<Error>(HasSubstr(where + "recv: source")));

  Tensor piece = Tensor::zeros({2, 6}, DType::f32, device);
  Tensor too_short = Tensor::zeros({2 * comm.size() - 1, 6}, DType::f32, device);
  EXPECT_THAT([&] { comm.all_gather(piece, too_short); },
              ThrowsMessage<Error>(HasSubstr(where + "all_gather: whole: f32[" + std::to_string(2 * comm.size() - 1))));
  EXPECT_THAT([&] { comm.start_all_gather(piece, too_short); },
              ThrowsMessage<Error>(HasSubstr(where + "start_all_gather: whole: f32[")));
  Tensor wrong_dtype = Tensor::zeros({2 * comm.size(), 6}, DType::f64, device);
  EXPECT_THAT([&] { comm.all_gather(piece, wrong_dtype); }, ThrowsMessage<Error>(HasSubstr("dtype f32")));
  Tensor whole = Tensor::zeros({2 * comm.size() + 1, 6}, DType::f32, device);
  Tensor misplaced = whole.slice(0, 1, 3);  // overlaps whole but is no rank's slot
  Tensor gathered = whole.slice(0, 0, 2 * comm.size());
  EXPECT_THAT([&] { comm.all_gather(misplaced, gathered); },
              ThrowsMessage<Error>(HasSubstr(where + "all_gather: piece: overlaps whole")));
}

void expect_grid_membership(ProcessGrid& grid, int world_rank, int world_size) {
  const int sequence = grid.shape().sequence, data = grid.shape().data;
  const std::string context = "rank " + std::to_string(world_rank) + " of grid " + grid.shape().str();
  EXPECT_EQ(grid.ring_index(), world_rank / sequence) << context;
  EXPECT_EQ(grid.ring_position(), world_rank % sequence) << context;

  std::vector<int64_t> ring_members, data_members;
  for (int position = 0; position < sequence; ++position) ring_members.push_back(grid.ring_index() * sequence + position);
  for (int ring = 0; ring < data; ++ring) data_members.push_back(ring * sequence + grid.ring_position());
  std::vector<int64_t> world_members(static_cast<size_t>(world_size));
  std::iota(world_members.begin(), world_members.end(), 0);

  const struct {
    Communicator& comm;
    int rank;
    const std::vector<int64_t>& members;
  } groups[] = {{grid.world(), world_rank, world_members},     {grid.ring(), grid.ring_position(), ring_members},
                {grid.data(), grid.ring_index(), data_members}, {grid.host_world(), world_rank, world_members},
                {grid.host_ring(), grid.ring_position(), ring_members}, {grid.host_data(), grid.ring_index(), data_members}};
  for (const auto& group : groups) {
    EXPECT_EQ(group.comm.rank(), group.rank) << group.comm.name() << ", " << context;
    ASSERT_EQ(group.comm.size(), static_cast<int>(group.members.size())) << group.comm.name() << ", " << context;
    const Stream stream = Stream::create(group.comm.device());
    const Tensor mine = Tensor::from_vector<int64_t>({world_rank}, {1}).to(group.comm.device(), &stream);
    Tensor members = Tensor::zeros({group.comm.size()}, DType::i64, group.comm.device(), &stream);
    group.comm.all_gather(mine, members, &stream);
    EXPECT_EQ(members.to(Device::cpu(), &stream).to_vector<int64_t>(), group.members)
        << group.comm.name() << ", " << context;
  }
}

}  // namespace spindle::testing
