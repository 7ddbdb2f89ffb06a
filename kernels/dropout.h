// Dropout with a counter-based mask: nothing is stored between forward and backward.
//   keep(i) = philox::uniform(seed, offset + i) >= p      (p compared as a float)
//   y[i]    = keep(i) ? x[i] / (1 - p) : 0                 forward, written
//   dx[i]   = keep(i) ? dy[i] / (1 - p) : 0                backward, written (same mask)
// over n contiguous elements; p in [0, 1). CPU and GPU draw the same uniform stream
// (kernels/philox.h), so their masks are identical; the caller advances `offset` by n for
// every call that must draw a fresh mask.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/host_device.h"
#include "kernels/philox.h"

namespace spindle::kernels {

struct DropoutArgs {
  double p = 0.0;
  uint64_t seed = 0, offset = 0;
};

// The factor element i is multiplied by: 0 (dropped) or 1 / (1 - p) (kept), given
// keep_scale = 1 / (1 - p) in the compute type.
template <typename T>
SPINDLE_HOST_DEVICE T dropout_factor(DropoutArgs args, int64_t i, T keep_scale) {
  const bool keep = philox::uniform(args.seed, args.offset + static_cast<uint64_t>(i)) >= static_cast<float>(args.p);
  return keep ? keep_scale : T(0);
}

// CPU reference; T is float or double. Forward: in = x, out = y; backward: in = dy, out = dx.
template <typename T>
void dropout_cpu(const T* in, T* out, int64_t n, DropoutArgs args);

#if SPINDLE_WITH_CUDA
// T is float or bfloat16; forward and backward as for the CPU.
template <typename T>
void dropout_cuda(const T* in, T* out, int64_t n, DropoutArgs args, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
