// Argument checks shared by the Tensor-level ops in platform/ops/. Each throws
// spindle::Error naming the op and the argument.
#pragma once

#include <initializer_list>
#include <string>

#include "platform/stream.h"
#include "platform/tensor.h"

namespace spindle::ops {

// `tensor` (argument `name` of `op`) is defined, contiguous, on `device`, of `shape`.
void check_tensor(const char* op, const char* name, const Tensor& tensor, const Shape& shape, Device device);
// `tensor`'s dtype is one of `allowed`.
void check_dtype(const char* op, const char* name, const Tensor& tensor, std::initializer_list<DType> allowed);
// Two tensors share a dtype.
void check_same_dtype(const char* op, const char* name, const Tensor& tensor, const Tensor& reference);
// The stream device work of `op` runs on: `stream` if given (it must be on `device`), else
// the per-thread stream of `device`.
Stream op_stream(const char* op, Device device, const Stream* stream);

}  // namespace spindle::ops
