#include "platform/distributed/process_grid.h"

#include "platform/distributed/nccl_communicator.h"

namespace spindle {
namespace {

// Every rank gathers every rank's (sequence, data, device kind, gradient bucket size) and
// compares them with rank 0's, so all ranks reach the same verdict and throw the same
// message (ranks cutting gradients into different buckets would sum mismatched tensors).
void check_ranks_agree(MpiCommunicator& world, const GridShape& shape, Device device) {
  constexpr int64_t kFields = 4;
  const Tensor mine = Tensor::from_vector<int64_t>(
      {shape.sequence, shape.data, static_cast<int64_t>(device.kind), shape.gradient_bucket_mib}, {1, kFields});
  Tensor all = Tensor::empty({world.size(), kFields}, DType::i64);
  world.all_gather(mine, all);
  const int64_t* fields = all.data<int64_t>();
  const auto shape_of = [&](int rank) {
    return GridShape{static_cast<int>(fields[rank * kFields]), static_cast<int>(fields[rank * kFields + 1])}.str();
  };
  const auto kind_of = [&](int rank) { return fields[rank * kFields + 2] == 0 ? "cpu" : "cuda"; };
  for (int rank = 1; rank < world.size(); ++rank) {
    SPINDLE_CHECK(shape_of(rank) == shape_of(0), shape.where,
                  "ranks disagree on the grid: rank 0 read " + shape_of(0) + ", rank " + std::to_string(rank) +
                      " read " + shape_of(rank),
                  "the same parallel section on every rank (one config for the whole job)");
    SPINDLE_CHECK(fields[rank * kFields + 2] == fields[2], shape.where,
                  "ranks disagree on the device: rank 0 runs on " + std::string(kind_of(0)) + ", rank " +
                      std::to_string(rank) + " on " + kind_of(rank),
                  "every rank on the CPU or every rank on a GPU");
    SPINDLE_CHECK(fields[rank * kFields + 3] == fields[3], shape.where,
                  "ranks disagree on gradient_bucket_mib: rank 0 read " + std::to_string(fields[3]) + ", rank " +
                      std::to_string(rank) + " read " + std::to_string(fields[rank * kFields + 3]),
                  "the same parallel section on every rank (one config for the whole job)");
  }
}

}  // namespace

ProcessGrid ProcessGrid::create(MpiCommunicator& world, const GridShape& shape, Device device) {
  check_ranks_agree(world, shape, device);
  SPINDLE_CHECK(shape.sequence >= 1 && shape.data >= 1, shape.where, shape.str(), "sequence and data >= 1");
  const std::string world_size = std::to_string(world.size());
  SPINDLE_CHECK(shape.ranks() == world.size(), shape.where,
                shape.str() + " needs sequence x data = " + std::to_string(shape.ranks()) +
                    " ranks but the world has " + world_size + " (mpirun -np, srun -n)",
                "sequence x data = " + world_size);
#if !SPINDLE_WITH_CUDA
  SPINDLE_CHECK(device.is_cpu(), "ProcessGrid on " + device.str(), "this build has no CUDA backend (NCCL)",
                "device cpu");
#endif

  ProcessGrid grid;
  grid.shape_ = shape;
  grid.device_ = device;
  grid.ring_index_ = world.rank() / shape.sequence;
  grid.ring_position_ = world.rank() % shape.sequence;
  const std::string ring_name = "ring " + std::to_string(grid.ring_index_);
  const std::string data_name = "data group " + std::to_string(grid.ring_position_);
  grid.host_world_ = &world;
  grid.host_ring_ = world.split(grid.ring_index_, world.rank(), ring_name);
  grid.host_data_ = world.split(grid.ring_position_, world.rank(), data_name);
#if SPINDLE_WITH_CUDA
  if (device.is_cuda()) {
    auto device_world = NcclCommunicator::create(world, device, "world");
    grid.device_ring_ = device_world->split(grid.ring_index_, world.rank(), ring_name);
    grid.device_data_ = device_world->split(grid.ring_position_, world.rank(), data_name);
    grid.device_world_ = std::move(device_world);
  }
#endif
  return grid;
}

}  // namespace spindle
