// Typed data pointers of optional tensor arguments: null for a null tensor.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

template <typename T>
const T* optional_data(const Tensor* tensor) {
  return tensor ? tensor->data<T>() : nullptr;
}
template <typename T>
T* optional_data(Tensor* tensor) {
  return tensor ? tensor->data<T>() : nullptr;
}

}  // namespace spindle::ops
