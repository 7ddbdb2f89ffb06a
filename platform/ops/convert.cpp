#include "platform/ops/convert.h"

#include <type_traits>

#include "kernels/convert.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {
namespace {

template <typename From, typename To>
void run(const Tensor& src, Tensor& dst, const Stream* stream) {
  if constexpr (std::is_same_v<From, To>) {
    dst.copy_from(src, stream);
    return;
  }
  const From* in = static_cast<const From*>(src.raw_data());
  To* out = static_cast<To*>(dst.raw_data());
  if (src.device().is_cpu()) {
    kernels::convert_cpu(in, out, src.numel());
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(src.device());
  kernels::convert_cuda(in, out, src.numel(), op_stream("convert", src.device(), stream).cuda());
#else
  (void)stream;
#endif
}

template <typename From>
void run_from(const Tensor& src, Tensor& dst, const Stream* stream) {
  switch (dst.dtype()) {
    case DType::f64: return run<From, double>(src, dst, stream);
    case DType::f32: return run<From, float>(src, dst, stream);
    default: return run<From, bfloat16>(src, dst, stream);
  }
}

}  // namespace

void convert(const Tensor& src, Tensor& dst, const Stream* stream) {
  check_tensor("convert", "src", src, src.shape(), src.device());
  check_tensor("convert", "dst", dst, src.shape(), src.device());
  check_dtype("convert", "src", src, {DType::f64, DType::f32, DType::bf16});
  check_dtype("convert", "dst", dst, {DType::f64, DType::f32, DType::bf16});
  if (src.dtype() == dst.dtype()) {
    dst.copy_from(src, stream);
    return;
  }
  switch (src.dtype()) {
    case DType::f64: return run_from<double>(src, dst, stream);
    case DType::f32: return run_from<float>(src, dst, stream);
    default: return run_from<bfloat16>(src, dst, stream);
  }
}

Tensor converted(const Tensor& src, DType dtype, const Stream* stream) {
  if (src.dtype() == dtype) return src;
  Tensor dst = Tensor::empty(src.shape(), dtype, src.device(), stream);
  convert(src, dst, stream);
  return dst;
}

}  // namespace spindle::ops
