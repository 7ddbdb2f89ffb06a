#include "platform/ops/dropout.h"

#include "platform/ops/dtype_dispatch.h"

namespace spindle::ops {
namespace {

// Forward and backward apply the same masked scaling: out = mask(in) / (1 - p).
void apply(const char* op, const Tensor& in, Tensor& out, const DropoutArgs& args, const Stream* stream) {
  check_tensor(op, "input", in, in.shape(), in.device());
  check_float_dtype(op, "input", in);
  check_tensor(op, "output", out, in.shape(), in.device());
  check_same_dtype(op, "output", out, in);
  SPINDLE_CHECK(args.p >= 0 && args.p < 1, op, "p = " + std::to_string(args.p), "0 <= p < 1");
  if (in.device().is_cpu()) {
    visit_cpu_float(in, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::dropout_cpu(in.data<T>(), out.data<T>(), in.numel(), args);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda_float(op, in, stream, [&](auto tag, cudaStream_t cuda) {
    using T = typename decltype(tag)::type;
    kernels::dropout_cuda(in.data<T>(), out.data<T>(), in.numel(), args, cuda);
  });
#else
  (void)stream;
#endif
}

}  // namespace

void dropout_forward(const Tensor& x, Tensor& y, const DropoutArgs& args, const Stream* stream) {
  apply("dropout_forward", x, y, args, stream);
}

void dropout_backward(const Tensor& dy, Tensor& dx, const DropoutArgs& args, const Stream* stream) {
  apply("dropout_backward", dy, dx, args, stream);
}

}  // namespace spindle::ops
