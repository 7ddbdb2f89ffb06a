// The NCCL communicator on CUDA tensors, each rank on its own GPU (cuda:local_rank), run
// by mpirun on 1 and 2 processes: the same cases as the MPI communicator, bf16 sums, and the
// process grid's NCCL rings and data groups. A world of one runs every call through NCCL
// on the one GPU machines have most often.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/distributed/nccl_communicator.h"
#include "platform/distributed/process_placement.h"
#include "tests/mpi/communicator_cases.h"
#include "tests/support/gpu.h"

namespace spindle {
namespace {

using testing::kAwkwardShapes;
using testing::sum_tolerance;

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world = MpiCommunicator::world();
    SPINDLE_REQUIRE_GPUS(world->size());
    device = gpu_for_process(discover_placement(), cuda_device_count());
    comm = NcclCommunicator::create(*world, device, "world");
  }

  std::unique_ptr<MpiCommunicator> world;
  Device device;
  std::unique_ptr<NcclCommunicator> comm;
};

TEST_F(NcclCommunicatorTest, EachRankUsesItsOwnGpu) {
  EXPECT_EQ(comm->rank(), world->rank());
  EXPECT_EQ(comm->size(), world->size());
  EXPECT_EQ(comm->device(), Device::cuda(world->rank()));  // one host: local rank = world rank
  EXPECT_EQ(comm->name(), "world (NCCL, " + device.str() + ")");
}

TEST_F(NcclCommunicatorTest, AllReduceSumEqualsTheSumOfEveryRanksInput) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_all_reduce_sum(*comm, dtype, shape, sum_tolerance(dtype));
  }
}

TEST_F(NcclCommunicatorTest, StartedAllReduceSumsEqualTheSumOfEveryRanksInput) {
  for (DType dtype : {DType::f32, DType::bf16}) testing::expect_started_all_reduce_sums(*comm, dtype, sum_tolerance(dtype));
}

TEST_F(NcclCommunicatorTest, AllGatherConcatenatesPiecesInRankOrder) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_all_gather(*comm, dtype, shape);
  }
}

TEST_F(NcclCommunicatorTest, BroadcastCopiesTheRootsTensor) {
  for (DType dtype : {DType::f32, DType::bf16}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_broadcast_from_every_root(*comm, dtype, shape);
  }
}

TEST_F(NcclCommunicatorTest, ExchangeShiftsTheRingBothWaysAtOnce) {
  for (DType dtype : {DType::f32, DType::bf16}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_ring_shift_both_ways(*comm, dtype, shape);
  }
}

TEST_F(NcclCommunicatorTest, SendReachesTheReceiver) {
  if (world->size() < 2) GTEST_SKIP() << "needs two ranks (a send to itself pairs with a receive only within one exchange)";
  for (const Shape& shape : kAwkwardShapes) testing::expect_send_from_first_to_last(*comm, DType::f32, shape);
}

TEST_F(NcclCommunicatorTest, MeasuredTimeHoldsTheWaitForALateRank) {
  testing::expect_measured_time_holds_the_wait_for_a_late_rank(*comm);
}

TEST_F(NcclCommunicatorTest, BarrierWaitsForEveryRank) { testing::expect_barrier_waits_for_every_rank(*comm); }

TEST_F(NcclCommunicatorTest, BadArgumentsAreRefusedBeforeAnythingIsSent) {
  testing::expect_argument_errors(*comm);
  Tensor host = Tensor::zeros({3}, DType::f32);
  EXPECT_THAT([&] { comm->all_reduce_sum(host); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr(
                  "world (NCCL, " + device.str() + "): all_reduce_sum: tensor: f32[3] on cpu (expected a tensor on " +
                  device.str() + ")")));
  const Stream other_device_stream = Stream::create(Device::cpu());
  Tensor on_device = Tensor::zeros({3}, DType::f32, device);
  EXPECT_THAT([&] { comm->broadcast(on_device, 0, &other_device_stream); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("broadcast: stream on cpu (expected a stream on " + device.str() + ")")));
}

TEST_F(NcclCommunicatorTest, GridRingsAndDataGroupsSplitTheNcclWorld) {
  for (int sequence = 1; sequence <= world->size(); ++sequence) {
    if (world->size() % sequence != 0) continue;
    ProcessGrid grid = ProcessGrid::create(*world, {sequence, world->size() / sequence}, device);
    EXPECT_EQ(grid.ring().name(), "ring " + std::to_string(grid.ring_index()) + " (NCCL, " + device.str() + ")");
    testing::expect_grid_membership(grid, world->rank(), world->size());
    testing::expect_all_reduce_sum(grid.ring(), DType::f32, {1000003}, 1e-6);
    testing::expect_ring_shift_both_ways(grid.ring(), DType::f32, {4, 129});
  }
}

}  // namespace
}  // namespace spindle
