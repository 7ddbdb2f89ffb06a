// Floating-point dtypes of op arguments and dispatch on them.
// On the CPU, ops compute in f32 or f64 (f64 for gradient checks); on CUDA, activations are
// f32 or bf16 and the kernels compute in float.
#pragma once

#include "kernels/bfloat16.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {

template <typename T> struct TypeTag { using type = T; };

// `tensor` (argument `name` of `op`) is f32/f64 on the CPU, f32/bf16 on a GPU.
inline void check_float_dtype(const char* op, const char* name, const Tensor& tensor) {
  if (tensor.device().is_cpu()) {
    check_dtype(op, name, tensor, {DType::f32, DType::f64});
  } else {
    check_dtype(op, name, tensor, {DType::f32, DType::bf16});
  }
}

// Calls f(TypeTag<T>{}) with T = double or float for an f64 or f32 tensor (the CPU types).
template <typename F>
void visit_cpu_float(const Tensor& tensor, F&& f) {
  if (tensor.dtype() == DType::f64) {
    f(TypeTag<double>{});
  } else {
    f(TypeTag<float>{});
  }
}

#if SPINDLE_WITH_CUDA
// Runs device work on `tensor`'s GPU: calls f(TypeTag<T>{}, cuda_stream) under a
// DeviceGuard, with T = bfloat16 or float for a bf16 or f32 tensor (the CUDA types) and
// the stream op_stream(op, device, stream).
template <typename F>
void on_cuda_float(const char* op, const Tensor& tensor, const Stream* stream, F&& f) {
  DeviceGuard guard(tensor.device());
  const cudaStream_t cuda = op_stream(op, tensor.device(), stream).cuda();
  if (tensor.dtype() == DType::bf16) {
    f(TypeTag<bfloat16>{}, cuda);
  } else {
    f(TypeTag<float>{}, cuda);
  }
}
#endif

}  // namespace spindle::ops
