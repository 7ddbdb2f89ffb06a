#include "platform/ops/activation.h"

#include "platform/ops/dtype_dispatch.h"

namespace spindle::ops {
namespace {

void check_like(const char* op, const char* name, const Tensor& tensor, const Tensor& x) {
  check_tensor(op, name, tensor, x.shape(), x.device());
  check_same_dtype(op, name, tensor, x);
}

}  // namespace

void activation_forward(const Tensor& x, Tensor& y, Activation kind, const Stream* stream) {
  constexpr const char* op = "activation_forward";
  check_tensor(op, "x", x, x.shape(), x.device());
  check_float_dtype(op, "x", x);
  check_like(op, "y", y, x);
  if (x.device().is_cpu()) {
    visit_cpu_float(x, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::activation_forward_cpu(x.data<T>(), y.data<T>(), x.numel(), kind);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda_float(op, x, stream, [&](auto tag, cudaStream_t cuda) {
    using T = typename decltype(tag)::type;
    kernels::activation_forward_cuda(x.data<T>(), y.data<T>(), x.numel(), kind, cuda);
  });
#else
  (void)stream;
#endif
}

void activation_backward(const Tensor& x, const Tensor& dy, Tensor& dx, Activation kind, const Stream* stream) {
  constexpr const char* op = "activation_backward";
  check_tensor(op, "x", x, x.shape(), x.device());
  check_float_dtype(op, "x", x);
  check_like(op, "dy", dy, x);
  check_like(op, "dx", dx, x);
  if (x.device().is_cpu()) {
    visit_cpu_float(x, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::activation_backward_cpu(x.data<T>(), dy.data<T>(), dx.data<T>(), x.numel(), kind);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda_float(op, x, stream, [&](auto tag, cudaStream_t cuda) {
    using T = typename decltype(tag)::type;
    kernels::activation_backward_cuda(x.data<T>(), dy.data<T>(), dx.data<T>(), x.numel(), kind, cuda);
  });
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
