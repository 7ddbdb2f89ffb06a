// cuFFT plans made once and reused: batched, out-of-place complex transforms of dense rows
// of n complex values (n apart), forward or inverse. Plans use cuFFT's 64-bit interface
// (cufftMakePlanMany64), so n * batch may exceed 2^31.
//
// Plans are keyed by (device, direction, n, batch) and live until the process ends. They are
// made without a work area of their own: every execution is given one by the caller (from
// the stream-ordered pool, through the op's workspace), so a cached plan holds no device
// memory beyond cuFFT's small plan data.
//
// Thread safety: the cache is guarded by a lock, and each execution sets the plan's stream
// and work area and launches under that plan's own lock, so threads may share plans.
// Only for translation units built with the CUDA backend.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <cstdint>

namespace spindle::kernels {

enum class FftDirection { forward, inverse };

class FftPlan;

// The plan for `batch` rows of length n on the current device, made on first use.
FftPlan& fft_plan(FftDirection direction, int64_t n, int64_t batch);
// Bytes of work area an execution of `plan` needs.
size_t fft_work_bytes(const FftPlan& plan);
// Transforms the rows at `in` into `out`, in `stream`, with `work_area` (fft_work_bytes of
// device memory, unused by anything else until the stream has run the transform). Neither
// direction is normalized: forward then inverse multiplies by n.
void fft_execute(FftPlan& plan, void* in, void* out, void* work_area, cudaStream_t stream);

}  // namespace spindle::kernels
