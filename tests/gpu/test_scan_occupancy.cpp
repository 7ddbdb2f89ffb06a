// The selective scan's kernels keep the blocks per multiprocessor their layouts were
// measured with (docs/performance.md). A register or shared-memory change that costs blocks
// costs speed without failing a correctness test: session 9 found the backward 10% slower
// after chunk_adjoints_kernel went from 32 to 119 registers (two blocks per multiprocessor
// instead of six). The floors are for sm_90 (H100, H200: 64K registers and 228 KB of shared
// memory per multiprocessor) at d_state 16, at or below what the layouts give there
// (computed from ptxas's registers and the shared memory: session 10 for the fold, the
// adjoints and the gradients, 3, 8, 3; session 20 for the forward's 128-thread blocks,
// chunk_states 8 and chunk_outputs 5; session 29 for chunk_outputs_from_dt, 5, and
// chunk_states, held at 8 by its launch bounds since it writes dt; session 30 for the fold's
// 512-thread blocks, 2, held by its launch bounds).
#include <gtest/gtest.h>

#include "platform/device.h"
#include "tests/support/gpu.h"
#if SPINDLE_WITH_CUDA
#include "kernels/selective_scan.h"
#endif

namespace spindle {
namespace {

TEST(ScanOccupancy, KernelsKeepTheirBlocksPerMultiprocessor) {
  SPINDLE_REQUIRE_GPUS(1);
#if SPINDLE_WITH_CUDA
  if (gpu_properties(0).compute_capability_major != 9) GTEST_SKIP() << "the floors are for sm_90";
  const kernels::ScanOccupancy o = kernels::selective_scan_occupancy_cuda(16);
  EXPECT_GE(o.chunk_states, 8);
  EXPECT_GE(o.fold, 2);  // __launch_bounds__ asks for two
  EXPECT_GE(o.chunk_outputs, 5);
  EXPECT_GE(o.chunk_outputs_from_dt, 5);
  EXPECT_GE(o.chunk_adjoints, 4);
  EXPECT_GE(o.chunk_gradients, 3);  // __launch_bounds__ asks for three
#endif
}

}  // namespace
}  // namespace spindle
