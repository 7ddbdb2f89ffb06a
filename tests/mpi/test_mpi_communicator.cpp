// The MPI communicator on host tensors, run by mpirun on 2, 3 and 4 processes and alone
// (a singleton world of one).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/process_placement.h"
#include "tests/mpi/communicator_cases.h"

namespace spindle {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

using testing::kAwkwardShapes;
using testing::sum_tolerance;

class MpiCommunicatorTest : public ::testing::Test {
 protected:
  std::unique_ptr<MpiCommunicator> world = MpiCommunicator::world();
};

TEST_F(MpiCommunicatorTest, AllReduceSumEqualsTheSumOfEveryRanksInput) {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_all_reduce_sum(*world, dtype, shape, sum_tolerance(dtype));
  }
}

TEST_F(MpiCommunicatorTest, StartedAllReduceSumsEqualTheSumOfEveryRanksInput) {
  for (DType dtype : {DType::f32, DType::f64}) testing::expect_started_all_reduce_sums(*world, dtype, sum_tolerance(dtype));
}

TEST_F(MpiCommunicatorTest, AllGatherConcatenatesPiecesInRankOrder) {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_all_gather(*world, dtype, shape);
  }
}

TEST_F(MpiCommunicatorTest, BroadcastCopiesTheRootsTensor) {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_broadcast_from_every_root(*world, dtype, shape);
  }
}

TEST_F(MpiCommunicatorTest, ExchangeShiftsTheRingBothWaysAtOnce) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_ring_shift_both_ways(*world, dtype, shape);
  }
}

TEST_F(MpiCommunicatorTest, SendReachesTheReceiver) {
  if (world->size() < 2) GTEST_SKIP() << "needs two ranks";
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& shape : kAwkwardShapes) testing::expect_send_from_first_to_last(*world, dtype, shape);
  }
}

TEST_F(MpiCommunicatorTest, MeasuredTimeHoldsTheWaitForALateRank) {
  testing::expect_measured_time_holds_the_wait_for_a_late_rank(*world);
}

TEST_F(MpiCommunicatorTest, BarrierWaitsForEveryRank) { testing::expect_barrier_waits_for_every_rank(*world); }

TEST_F(MpiCommunicatorTest, BadArgumentsAreRefusedBeforeAnythingIsSent) {
  testing::expect_argument_errors(*world);
  Tensor half = Tensor::zeros({3}, DType::bf16);
  EXPECT_THAT([&] { world->all_reduce_sum(half); },
              ThrowsMessage<Error>(HasSubstr("world (MPI): all_reduce_sum: tensor: bf16[3] on cpu (expected dtype "
                                             "f32, f64, i32, i64, u8")));
  EXPECT_THAT([&] { world->start_all_reduce_sum(half); },
              ThrowsMessage<Error>(HasSubstr("world (MPI): start_all_reduce_sum: tensor: bf16[3] on cpu (expected dtype "
                                             "f32, f64, i32, i64, u8")));
}

TEST_F(MpiCommunicatorTest, ShorterMessageThanTheReceiveBufferIsAnError) {
  if (world->size() < 2) GTEST_SKIP() << "needs two ranks";
  if (world->rank() == 0) world->send(Tensor::zeros({5}, DType::f32), 1);
  if (world->rank() == 1) {
    Tensor longer = Tensor::zeros({7}, DType::f32);
    EXPECT_THAT([&] { world->recv(longer, 0); },
                ThrowsMessage<Error>(HasSubstr("world (MPI): exchange: received tensor: 5 elements from rank 0")));
  }
}

TEST_F(MpiCommunicatorTest, SplitGroupsRanksByColorInKeyOrder) {
  // Even and odd ranks, each group ranked from its highest world rank down.
  const auto group = world->split(world->rank() % 2, -world->rank(), "parity " + std::to_string(world->rank() % 2));
  const int members = (world->size() + 1 - world->rank() % 2) / 2;
  EXPECT_EQ(group->size(), members);
  EXPECT_EQ(group->rank(), members - 1 - world->rank() / 2);
  EXPECT_EQ(group->name(), "parity " + std::to_string(world->rank() % 2) + " (MPI)");
}

TEST(ProcessPlacement, MpiPlacesEveryProcessOfThisHost) {
  // The tests run on one host: local ranks are the world ranks.
  const auto world = MpiCommunicator::world();
  const ProcessPlacement placement = discover_placement();
  EXPECT_EQ(placement.world_rank, world->rank());
  EXPECT_EQ(placement.world_size, world->size());
  EXPECT_EQ(placement.local_rank, world->rank());
  EXPECT_EQ(placement.local_size, world->size());
  EXPECT_FALSE(placement.host.empty());
}

}  // namespace
}  // namespace spindle
