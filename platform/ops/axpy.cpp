#include "platform/ops/axpy.h"

#include "kernels/axpy.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {

void axpy(double alpha, const Tensor& x, Tensor& y, const Stream* stream) {
  constexpr const char* kOp = "axpy";
  check_tensor(kOp, "x", x, x.shape(), x.device());
  check_tensor(kOp, "y", y, x.shape(), x.device());
  check_same_dtype(kOp, "y", y, x);
  if (x.device().is_cpu()) {
    check_dtype(kOp, "x", x, {DType::f32, DType::f64});
    if (x.dtype() == DType::f64) {
      kernels::axpy_cpu(alpha, x.data<double>(), y.data<double>(), x.numel());
    } else {
      kernels::axpy_cpu(static_cast<float>(alpha), x.data<float>(), y.data<float>(), x.numel());
    }
    return;
  }
  check_dtype(kOp, "x", x, {DType::f32, DType::bf16});
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(x.device());
  const cudaStream_t cuda = op_stream(kOp, x.device(), stream).cuda();
  if (x.dtype() == DType::bf16) {
    kernels::axpy_cuda(static_cast<float>(alpha), x.data<bfloat16>(), y.data<bfloat16>(), x.numel(), cuda);
  } else {
    kernels::axpy_cuda(static_cast<float>(alpha), x.data<float>(), y.data<float>(), x.numel(), cuda);
  }
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
