// Fills buffers with Philox streams (see kernels/philox.h for the stream definition).
// CPU reference and CUDA versions produce the same values for the same (seed, offset).
//
//   out:    n float32 values, contiguous (host memory for *_cpu, device memory for *_cuda)
//   seed:   64-bit key of the stream
//   offset: index of the first element drawn, in elements (not Philox blocks), so that
//           a stream split into pieces [0, a), [a, b), ... equals the stream drawn whole.
#pragma once

#include <cstdint>

#include "kernels/backend.h"

namespace spindle::kernels {

void fill_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset);
void fill_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset);

#if SPINDLE_WITH_CUDA
void fill_uniform_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream);
void fill_normal_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
