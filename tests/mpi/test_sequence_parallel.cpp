// Sequence- and data-parallel Caduceus on the CPU through MPI (run on 1 to 4 ranks), on
// every grid the world allows: each ring holds its replica's rows, each rank a slice of
// them (uneven where the ranks do not divide the length), and outputs, loss and every
// parameter gradient equal those of the whole batch in one process, in f32.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/distributed/mpi_communicator.h"
#include "platform/models/caduceus.h"
#include "tests/mpi/caduceus_sharding.h"

namespace spindle {
namespace {

using testing::kShardingVariants;
using testing::ShardingVariant;

class ShardedCaduceus : public ::testing::TestWithParam<ShardingVariant> {
 protected:
  std::unique_ptr<MpiCommunicator> world = MpiCommunicator::world();
};

TEST_P(ShardedCaduceus, EqualsTheWholeBatchOnEveryGrid) {
  for (const int data : {1, 2}) {  // the batch has 2 rows
    if (world->size() % data != 0) continue;
    ProcessGrid grid = ProcessGrid::create(*world, {world->size() / data, data}, Device::cpu());
    testing::expect_sharded_run_equals_whole(GetParam(), grid, 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, ShardedCaduceus, ::testing::ValuesIn(kShardingVariants),
                         [](const auto& info) { return std::string(info.param.name); });

// Configurations that cannot run fail on every rank with the same message, before any
// rank waits in a collective the others never reach.
class SequenceParallelChecks : public ::testing::Test {
 protected:
  std::unique_ptr<MpiCommunicator> ring = MpiCommunicator::world();
  Caduceus model{testing::sharding_config(kShardingVariants[0]), Device::cpu(), DType::f32};
  Tensor logits;
};

TEST_F(SequenceParallelChecks, SlicesShorterThanTheHaloFailOnEveryRank) {
  model.set_sequence_parallel(ring.get());
  // Rank 0 holds 2 positions, the others enough (d_conv 4 needs 3).
  const int64_t length = ring->rank() == 0 ? 2 : 5;
  EXPECT_THAT([&] { model.forward(Tensor::zeros({1, length}, DType::i64), DType::f32, logits); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr(
                  "Caduceus::forward: rank 0 of world (MPI) holds 2 positions of the sequence (expected at least 3 "
                  "per rank")));
}

TEST_F(SequenceParallelChecks, RanksHoldingDifferentRowsFailOnEveryRank) {
  if (ring->size() < 2) GTEST_SKIP() << "needs two ranks";
  model.set_sequence_parallel(ring.get());
  const int64_t batch = ring->rank() == 1 ? 2 : 1;
  EXPECT_THAT([&] { model.forward(Tensor::zeros({batch, 6}, DType::i64), DType::f32, logits); },
              ::testing::ThrowsMessage<Error>(
                  ::testing::HasSubstr("rank 1 of world (MPI) holds 2 rows, rank 0 1 (expected the same rows")));
}

}  // namespace
}  // namespace spindle
