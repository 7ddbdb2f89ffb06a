// Sequence parallelism's fold of the ranks' slice summaries (platform/layers/sequence_parallel.h).
//
// Each rank k of a ring summarizes its slice of a row, per element e (a channel and state),
// by the affine map x -> decay_k[e] x + value_k[e] the slice applies to a state (forward:
// the state entering it; backward: the gradient leaving it). This rank's element is those
// maps composed from the rank `first` of the row to this rank, this rank excluded:
//   acc = 0;  for k = first, first + step, ... while k != rank:  acc = decay_k acc + value_k
// with step +1 when first < rank and -1 when first > rank (no term when first == rank).
//
// Layout: values and decays hold rank k's rows x width elements at k x pitch (pitch in
// elements; both may be views of one gathered buffer); out is rows x width, contiguous;
// first has one entry per row, in [0, ranks).
#pragma once

#include <cstdint>

#include "kernels/backend.h"

namespace spindle::kernels {

struct RingFoldShape {
  int64_t rows = 0, width = 0;
  int64_t values_pitch = 0, decays_pitch = 0;  // elements between consecutive ranks' summaries
  int rank = 0;                                // the rank whose entering value is folded
};

// CPU reference; T is float or double, accumulated in T.
template <typename T>
void ring_fold_cpu(const T* values, const T* decays, const int32_t* first, T* out, RingFoldShape shape);

#if SPINDLE_WITH_CUDA
// f32, accumulated in f32. `first` is host memory: the start ranks travel in the launches'
// parameters (no upload, so no wait for the stream).
void ring_fold_cuda(const float* values, const float* decays, const int32_t* first, float* out, RingFoldShape shape,
                    cudaStream_t stream);
#endif

}  // namespace spindle::kernels
