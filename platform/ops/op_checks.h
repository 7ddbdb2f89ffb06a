// Argument checks shared by the Tensor-level ops in platform/ops/. Each throws
// spindle::Error naming the op and the argument.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "platform/stream.h"
#include "platform/tensor.h"

namespace spindle::ops {

// `tensor` (argument `name` of `op`) is defined, contiguous, on `device`, of `shape`.
void check_tensor(const char* op, const char* name, const Tensor& tensor, const Shape& shape, Device device);
// `tensor`'s dtype is one of `allowed`.
void check_dtype(const char* op, const char* name, const Tensor& tensor, std::initializer_list<DType> allowed);
// Two tensors share a dtype.
void check_same_dtype(const char* op, const char* name, const Tensor& tensor, const Tensor& reference);
// No two of a list's tensors (argument `list` of `op`, given by their first elements'
// addresses, in list order) are the same tensor: a list op updates them in parallel. Null
// addresses (empty tensors, which nothing updates) are left out.
void check_distinct(const char* op, const char* list, const std::vector<const void*>& addresses);
// The stream device work of `op` runs on: `stream` if given (it must be on `device`), else
// the per-thread stream of `device`.
Stream op_stream(const char* op, Device device, const Stream* stream);

}  // namespace spindle::ops
