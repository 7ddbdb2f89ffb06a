// Random tensors from counter-based Philox streams (kernels/philox.h). For the same seed
// and offset the CPU and every GPU give the same draws, element for element, so a run on
// one device can be compared with a run on another, and a stream can be split across
// devices or ranks by offsets.
#pragma once

#include <cstdint>

#include "platform/tensor.h"

namespace spindle {

struct RandomStream {
  uint64_t seed = 0;
  uint64_t offset = 0;  // index of the next element, in elements drawn
};

// Fills a contiguous f32 tensor with U[0, 1) draws, element i taking stream element
// offset + i, and advances stream.offset by numel. Device work is ordered on `stream`.
void fill_uniform(Tensor& out, RandomStream& random, const Stream* stream = nullptr);
// Same with standard normal draws.
void fill_normal(Tensor& out, RandomStream& random, const Stream* stream = nullptr);

}  // namespace spindle
