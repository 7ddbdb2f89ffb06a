#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/error.h"
#include "platform/distributed/process_placement.h"

namespace spindle {
namespace {

ProcessPlacement third_of_four() { return {.world_rank = 6, .world_size = 8, .local_rank = 2, .local_size = 4, .host = "gpu07"}; }

TEST(GpuForProcess, EveryGpuVisibleGivesTheLocalRanksGpu) {
  EXPECT_EQ(gpu_for_process(third_of_four(), 4), Device::cuda(2));
  EXPECT_EQ(gpu_for_process(third_of_four(), 8), Device::cuda(2));
}

TEST(GpuForProcess, OneGpuPerProcessFromTheLauncherIsThatGpu) {
  EXPECT_EQ(gpu_for_process(third_of_four(), 1), Device::cuda(0));
}

TEST(GpuForProcess, FewerGpusThanProcessesIsAnError) {
  EXPECT_THAT([] { gpu_for_process(third_of_four(), 2); },
              ::testing::ThrowsMessage<Error>(
                  ::testing::HasSubstr("host gpu07: 4 process(es) on this host, 2 GPU(s) visible to each")));
}

// No GPU at all (a CPU build, a node without GPUs, srun without --gpus) is not cured by
// fewer ranks per node: the error says so, with the CUDA runtime's reason.
TEST(GpuForProcess, NoGpuVisibleSaysWhyNotFewerRanks) {
  const auto none = [] { gpu_for_process(third_of_four(), 0, "spindle was built without CUDA"); };
  EXPECT_THAT(none, ::testing::ThrowsMessage<Error>(::testing::HasSubstr(
                        "host gpu07: no GPU visible to this process (spindle was built without CUDA)")));
  EXPECT_THAT(none, ::testing::ThrowsMessage<Error>(::testing::Not(::testing::HasSubstr("fewer ranks"))));
}

}  // namespace
}  // namespace spindle
