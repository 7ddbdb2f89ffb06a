// Timing of device work for the benchmarks: CUDA events around each run, after warm-up.
#pragma once

#include <functional>

#include "platform/stream.h"

namespace spindle::testing {

// Median over `repeats` runs of the milliseconds `work` takes on `stream` (a device
// stream), measured with events recorded on it; `warmup` untimed runs come first.
double median_ms(const std::function<void()>& work, int repeats, const Stream& stream, int warmup = 3);

}  // namespace spindle::testing
