// One thread per output element: a ring has few ranks, so each thread walks its terms in order.
#include <algorithm>
#include <string>

#include "kernels/cuda/launch.cuh"
#include "kernels/error.h"
#include "kernels/ring_fold.h"

namespace spindle::kernels {
namespace {

struct FirstRanks {
  int32_t of_row[kRingFoldMaxRows];
};

__global__ void ring_fold_kernel(const float* values, const float* decays, FirstRanks first, float* out,
                                 RingFoldShape s) {
  for (int64_t e = grid_index(); e < s.rows * s.width; e += grid_stride()) {
    const int from = first.of_row[e / s.width], step = from < s.rank ? 1 : -1;
    float acc = 0.0f;
    for (int k = from; k != s.rank; k += step) acc = decays[k * s.decays_pitch + e] * acc + values[k * s.values_pitch + e];
    out[e] = acc;
  }
}

}  // namespace

void ring_fold_cuda(const float* values, const float* decays, const int32_t* first, float* out, RingFoldShape shape,
                    cudaStream_t stream) {
  SPINDLE_CHECK(shape.rows <= kRingFoldMaxRows, "ring_fold (CUDA)", std::to_string(shape.rows) + " rows",
                "at most " + std::to_string(kRingFoldMaxRows));
  if (shape.rows * shape.width == 0) return;
  FirstRanks starts{};
  std::copy(first, first + shape.rows, starts.of_row);
  ring_fold_kernel<<<grid_for(shape.rows * shape.width), kThreadsPerBlock, 0, stream>>>(values, decays, starts, out,
                                                                                      shape);
  check_launch("ring_fold_kernel");
}

}  // namespace spindle::kernels
