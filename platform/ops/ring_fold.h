// Sequence parallelism's fold of the ranks' slice summaries (kernels/ring_fold.h defines it).
// values, decays: (ranks, rows x width), rank k's summary in row k (views with a row pitch
// allowed: two halves of one gathered tensor); first_rank: per row, the rank the fold starts
// from; out: (rows, width) written, contiguous. CPU: f32 or f64; CUDA: f32. One dtype, one
// device.
#pragma once

#include <vector>

#include "platform/tensor.h"

namespace spindle::ops {

void ring_fold(const Tensor& values, const Tensor& decays, const std::vector<int>& first_rank, int rank, Tensor& out,
               const Stream* stream = nullptr);

}  // namespace spindle::ops
