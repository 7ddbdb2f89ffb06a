#include "platform/ops/flip.h"

#include "kernels/flip.h"
#include "platform/ops/dtype_dispatch.h"

namespace spindle::ops {
namespace {

void check_arguments(const char* op, const Tensor& x, const Tensor& y) {
  SPINDLE_CHECK(x.dim() == 3, std::string(op) + ": x", x.describe(), "a 3-D (batch, ., .) tensor");
  check_tensor(op, "x", x, x.shape(), x.device());
  check_float_dtype(op, "x", x);
  check_tensor(op, "y", y, x.shape(), x.device());
  check_same_dtype(op, "y", y, x);
  SPINDLE_CHECK(x.numel() == 0 || x.raw_data() != y.raw_data(), op, "y is x", "an output apart from the input");
}

void flip(const char* op, const Tensor& x, Tensor& y, kernels::FlipShape shape, const Stream* stream) {
  if (x.device().is_cpu()) {
    visit_cpu_float(x, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::flip_cpu(x.data<T>(), y.data<T>(), shape);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda_float(op, x, stream, [&](auto tag, cudaStream_t cuda) {
    using T = typename decltype(tag)::type;
    kernels::flip_cuda(x.data<T>(), y.data<T>(), shape, cuda);
  });
#else
  (void)op;
  (void)stream;
#endif
}

}  // namespace

void flip_length(const Tensor& x, Tensor& y, SequenceLayout layout, const Stream* stream) {
  constexpr const char* op = "flip_length";
  check_arguments(op, x, y);
  const kernels::FlipShape shape = layout == SequenceLayout::channels_first
                                       ? kernels::FlipShape{x.size(0) * x.size(1), x.size(2), 1}
                                       : kernels::FlipShape{x.size(0), x.size(1), x.size(2)};
  flip(op, x, y, shape, stream);
}

void reverse_complement_channels(const Tensor& x, Tensor& y, const Stream* stream) {
  constexpr const char* op = "reverse_complement_channels";
  check_arguments(op, x, y);
  flip(op, x, y, {x.size(0), x.size(1) * x.size(2), 1}, stream);
}

}  // namespace spindle::ops
