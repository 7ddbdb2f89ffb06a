// GPU tests skip on machines without a GPU, unless SPINDLE_REQUIRE_GPU=1 is set (as on
// the GPU machine), where finding no GPU at all is a failure. A test needing more GPUs than
// the machine has skips either way (the NCCL tests on a one-GPU machine).
#pragma once

#include <gtest/gtest.h>

namespace spindle::testing {

// Number of CUDA devices; 0 in CPU-only builds or without a driver.
int gpu_count();
bool gpu_required();

}  // namespace spindle::testing

#define SPINDLE_REQUIRE_GPUS(n)                                                             \
  do {                                                                                      \
    const int available = ::spindle::testing::gpu_count();                                  \
    if (available < (n)) {                                                                  \
      if (available == 0 && ::spindle::testing::gpu_required()) {                           \
        FAIL() << "SPINDLE_REQUIRE_GPU=1 but no GPU found";                                 \
      }                                                                                     \
      GTEST_SKIP() << "needs " << (n) << " GPU(s), found " << available;                    \
    }                                                                                       \
  } while (0)
