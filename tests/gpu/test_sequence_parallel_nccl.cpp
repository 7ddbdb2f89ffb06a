// Sequence- and data-parallel Caduceus on GPUs through NCCL (one GPU per rank, mpirun on
// 2 or 4 processes, or one process: a ring of one still runs the sharded path): on every
// grid the world allows, outputs, loss and every parameter gradient equal those of the
// whole batch on one GPU, in f32.
#include <gtest/gtest.h>

#include "platform/device.h"
#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/process_placement.h"
#include "tests/mpi/caduceus_sharding.h"
#include "tests/support/gpu.h"

namespace spindle {
namespace {

using testing::kShardingVariants;
using testing::ShardingVariant;

class ShardedCaduceusOnGpus : public ::testing::TestWithParam<ShardingVariant> {};

TEST_P(ShardedCaduceusOnGpus, EqualsTheWholeBatchOnEveryGrid) {
  const auto world = MpiCommunicator::world();
  SPINDLE_REQUIRE_GPUS(world->size());
  const Device device = gpu_for_process(discover_placement(), cuda_device_count());
  for (const int data : {1, 2}) {  // the batch has 2 rows
    if (world->size() % data != 0) continue;
    ProcessGrid grid = ProcessGrid::create(*world, {world->size() / data, data}, device);
    testing::expect_sharded_run_equals_whole(GetParam(), grid, 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, ShardedCaduceusOnGpus, ::testing::ValuesIn(kShardingVariants),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace spindle
