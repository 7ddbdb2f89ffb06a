// Element type conversion of tensors between f64, f32 and bf16 (round to nearest even).
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

// dst = src converted to dst's dtype. Same shape and device; contiguous.
void convert(const Tensor& src, Tensor& dst, const Stream* stream = nullptr);
// A new tensor on src's device holding src converted to `dtype` (src itself if it already is).
Tensor converted(const Tensor& src, DType dtype, const Stream* stream = nullptr);

}  // namespace spindle::ops
