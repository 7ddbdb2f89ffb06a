// Deterministic parameter-gradient sums: kernels that split a reduction over blocks write
// one partial row per block, then these rows are added in order (no float atomics), so a
// run repeats bit for bit.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace spindle::kernels {

// out[j] += rows[0][j] + rows[1][j] + ... + rows[count - 1][j] (added in that order) for
// j < width; rows is (count, width) row-major, device memory.
void add_ordered_row_sums_cuda(const float* rows, int64_t count, int64_t width, float* out, cudaStream_t stream);

}  // namespace spindle::kernels
