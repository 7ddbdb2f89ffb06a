// One thread per output element: a ring has few ranks, so each thread walks its terms in order.
#include <algorithm>

#include "kernels/cuda/launch.cuh"
#include "kernels/ring_fold.h"

namespace spindle::kernels {
namespace {

constexpr int64_t kRowsPerLaunch = 256;  // start ranks per launch, in its parameters

struct FirstRanks {
  int32_t of_row[kRowsPerLaunch];
};

__global__ void ring_fold_kernel(const float* values, const float* decays, FirstRanks first, float* out,
                                 RingFoldShape s) {
  for (int64_t e = grid_index(); e < s.rows * s.width; e += grid_stride()) {
    const int from = first.of_row[e / s.width], step = from < s.rank ? 1 : -1;
    float acc = 0.0f;
    for (int k = from; k != s.rank; k += step)
      acc = decays[k * s.decays_pitch + e] * acc + values[k * s.values_pitch + e];
    out[e] = acc;
  }
}

}  // namespace

void ring_fold_cuda(const float* values, const float* decays, const int32_t* first, float* out, RingFoldShape shape,
                    cudaStream_t stream) {
  for (int64_t row0 = 0; row0 < shape.rows; row0 += kRowsPerLaunch) {
    RingFoldShape part = shape;
    part.rows = std::min(kRowsPerLaunch, shape.rows - row0);
    if (part.rows * part.width == 0) continue;
    FirstRanks starts{};
    std::copy(first + row0, first + row0 + part.rows, starts.of_row);
    const int64_t offset = row0 * shape.width;  // the same element offset in every rank's summary
    ring_fold_kernel<<<grid_for(part.rows * part.width), kThreadsPerBlock, 0, stream>>>(
        values + offset, decays + offset, starts, out + offset, part);
    check_launch("ring_fold_kernel");
  }
}

}  // namespace spindle::kernels
