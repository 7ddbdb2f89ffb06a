// The process grid on the CPU: membership of rings and data groups for every grid the
// world size allows, and bad grids failing on every rank.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/distributed/process_grid.h"
#include "tests/mpi/communicator_cases.h"

namespace spindle {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

class ProcessGridTest : public ::testing::Test {
 protected:
  std::unique_ptr<MpiCommunicator> world = MpiCommunicator::world();
};

TEST_F(ProcessGridTest, RingsAreConsecutiveRanksAndDataGroupsTheirPositions) {
  for (int sequence = 1; sequence <= world->size(); ++sequence) {
    if (world->size() % sequence != 0) continue;
    ProcessGrid grid = ProcessGrid::create(*world, {sequence, world->size() / sequence}, Device::cpu());
    testing::expect_grid_membership(grid, world->rank(), world->size());
  }
}

TEST_F(ProcessGridTest, GridNotMatchingTheWorldFailsOnEveryRank) {
  const GridShape shape{world->size() + 1, 1, "train.yaml:3: parallel"};
  const std::string world_size = std::to_string(world->size());
  EXPECT_THAT([&] { ProcessGrid::create(*world, shape, Device::cpu()); },
              ThrowsMessage<Error>(AllOf(HasSubstr("train.yaml:3: parallel: {sequence: " +
                                                   std::to_string(world->size() + 1) + ", data: 1} needs"),
                                         HasSubstr("but the world has " + world_size),
                                         HasSubstr("(expected sequence x data = " + world_size + ")"))));
}

TEST_F(ProcessGridTest, RanksReadingDifferentGridsFailTogether) {
  if (world->size() < 2) GTEST_SKIP() << "needs two ranks";
  const GridShape shape = world->rank() == 0 ? GridShape{world->size(), 1, "a.yaml:1: parallel"}
                                             : GridShape{1, world->size(), "b.yaml:1: parallel"};
  EXPECT_THAT([&] { ProcessGrid::create(*world, shape, Device::cpu()); },
              ThrowsMessage<Error>(HasSubstr("ranks disagree on the grid: rank 0 read {sequence: " +
                                             std::to_string(world->size()) + ", data: 1}, rank 1 read {sequence: 1")));
}

TEST_F(ProcessGridTest, RanksReadingDifferentBucketSizesFailTogether) {
  if (world->size() < 2) GTEST_SKIP() << "needs two ranks";
  GridShape shape{world->size(), 1, "a.yaml:1: parallel"};
  shape.gradient_bucket_mib = world->rank() == 0 ? 25 : 50;
  EXPECT_THAT([&] { ProcessGrid::create(*world, shape, Device::cpu()); },
              ThrowsMessage<Error>(HasSubstr("ranks disagree on gradient_bucket_mib: rank 0 read 25, rank 1 read 50")));
}

TEST_F(ProcessGridTest, CommunicatorsStillWorkAfterARefusedGrid) {
  EXPECT_THROW(ProcessGrid::create(*world, {world->size(), 2}, Device::cpu()), Error);
  ProcessGrid grid = ProcessGrid::create(*world, {world->size(), 1}, Device::cpu());
  testing::expect_all_reduce_sum(grid.ring(), DType::f64, {3, 5}, 1e-15);
}

}  // namespace
}  // namespace spindle
