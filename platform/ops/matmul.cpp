#include "platform/ops/matmul.h"

#include <limits>
#include <string>

#include "kernels/column_sum.h"
#include "kernels/matmul.h"
#include "platform/ops/convert.h"
#include "platform/ops/dtype_dispatch.h"
#include "platform/ops/optional_data.h"

namespace spindle::ops {
namespace {

constexpr const char* kMatmul = "matmul";
constexpr const char* kLinearForward = "linear_forward";
constexpr const char* kLinearBackward = "linear_backward";

// Validates shapes, devices and layout, and returns the problem shape.
kernels::MatmulShape check_shapes(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulArgs& args) {
  const std::string op = kMatmul;
  SPINDLE_CHECK(c.dim() == 2 || c.dim() == 3, op + ": c", c.describe(), "a (m, n) or (batch, m, n) tensor");
  const bool batched = c.dim() == 3;
  for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"a", &a}, {"b", &b}}) {
    SPINDLE_CHECK(t->dim() == 2 || (batched && t->dim() == 3), op + ": " + name, t->describe(),
                  batched ? "a 2-D (shared) or 3-D (batch, ., .) tensor" : "a 2-D tensor (c is 2-D)");
  }
  kernels::MatmulShape s;
  s.transpose_a = args.transpose_a;
  s.transpose_b = args.transpose_b;
  s.batch = batched ? c.size(0) : 1;
  s.m = a.size(args.transpose_a ? -1 : -2);
  s.k = a.size(args.transpose_a ? -2 : -1);
  s.n = b.size(args.transpose_b ? -2 : -1);
  const int64_t k_of_b = b.size(args.transpose_b ? -1 : -2);
  SPINDLE_CHECK(k_of_b == s.k, op + ": b", b.describe() + " against a " + a.describe(),
                "inner dimensions that agree (k = " + std::to_string(s.k) + ")");
  constexpr int64_t kLimit = std::numeric_limits<int32_t>::max();
  for (const int64_t size : {s.m, s.n, s.k, s.batch}) {
    SPINDLE_CHECK(size >= 1 && size <= kLimit, op, "sizes m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                                                   " k=" + std::to_string(s.k) + " batch=" + std::to_string(s.batch),
                  "sizes from 1 to 2^31 - 1");
  }
  const Device device = c.device();
  Shape a_shape = args.transpose_a ? Shape{s.k, s.m} : Shape{s.m, s.k};
  Shape b_shape = args.transpose_b ? Shape{s.n, s.k} : Shape{s.k, s.n};
  Shape c_shape{s.m, s.n};
  if (a.dim() == 3) a_shape.insert(a_shape.begin(), s.batch);
  if (b.dim() == 3) b_shape.insert(b_shape.begin(), s.batch);
  if (batched) c_shape.insert(c_shape.begin(), s.batch);
  check_tensor(kMatmul, "a", a, a_shape, device);
  check_tensor(kMatmul, "b", b, b_shape, device);
  check_tensor(kMatmul, "c", c, c_shape, device);
  if (args.bias) check_tensor(kMatmul, "bias", *args.bias, {s.n}, device);
  s.stride_a = a.dim() == 3 ? s.m * s.k : 0;
  s.stride_b = b.dim() == 3 ? s.k * s.n : 0;
  s.stride_c = s.m * s.n;
  return s;
}

void check_dtypes(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulArgs& args) {
  check_float_dtype(kMatmul, "a", a);
  check_same_dtype(kMatmul, "b", b, a);
  if (c.device().is_cpu()) {
    check_same_dtype(kMatmul, "c", c, a);
    if (args.bias) check_same_dtype(kMatmul, "bias", *args.bias, c);
  } else {
    if (a.dtype() == DType::f32) {
      check_dtype(kMatmul, "c", c, {DType::f32});
    } else {
      check_dtype(kMatmul, "c", c, {DType::bf16, DType::f32});
    }
    if (args.bias) check_dtype(kMatmul, "bias", *args.bias, {DType::f32});
  }
}

#if SPINDLE_WITH_CUDA
template <typename In, typename Out>
void matmul_cuda(const Tensor& a, const Tensor& b, Tensor& c, const MatmulArgs& args, kernels::MatmulShape shape,
                 const Stream& stream) {
  // cuBLASLt adds the bias in the output's type.
  const Tensor bias = args.bias ? converted(*args.bias, dtype_of<Out>(), &stream) : Tensor();
  kernels::matmul_cuda(a.data<In>(), b.data<In>(), bias.defined() ? bias.data<Out>() : nullptr, c.data<Out>(), shape,
                       static_cast<float>(args.alpha), static_cast<float>(args.beta), stream.cuda());
}
#endif

// x (..., in) as (rows, in).
Tensor as_rows(const Tensor& x) { return x.reshape({x.numel() / x.cols(), x.cols()}); }

// The arguments every linear op has: weight (out, in), x (..., in), and a bias or bias
// gradient (out) named `bias_name`, or null.
void check_linear(const char* op, const Tensor& x, const Tensor& weight, const char* bias_name, const Tensor* bias) {
  SPINDLE_CHECK(weight.dim() == 2, std::string(op) + ": weight", weight.describe(), "an (out, in) tensor");
  SPINDLE_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), std::string(op) + ": x", x.describe(),
                "a (..., " + std::to_string(weight.size(1)) + ") tensor");
  check_float_dtype(op, "x", x);
  if (x.device().is_cpu()) {
    check_same_dtype(op, "weight", weight, x);
  } else {
    check_dtype(op, "weight", weight, {DType::f32});
  }
  if (bias) {
    check_tensor(op, bias_name, *bias, {weight.size(0)}, x.device());
    check_same_dtype(op, bias_name, *bias, weight);
  }
}

Shape with_last(const Tensor& x, int64_t last) {
  Shape shape = x.shape();
  shape.back() = last;
  return shape;
}

// The weight in the activations' dtype (a bf16 copy for bf16 activations on a GPU).
Tensor weight_for(const Tensor& weight, const Tensor& x, const Stream* stream) {
  return converted(weight, x.dtype(), stream);
}

}  // namespace

void matmul(const Tensor& a, const Tensor& b, Tensor& c, const MatmulArgs& args, const Stream* stream) {
  const kernels::MatmulShape shape = check_shapes(a, b, c, args);
  check_dtypes(a, b, c, args);
  if (c.device().is_cpu()) {
    visit_cpu_float(a, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::matmul_cpu(a.data<T>(), b.data<T>(), optional_data<T>(args.bias), c.data<T>(), shape,
                          static_cast<T>(args.alpha), static_cast<T>(args.beta));
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(c.device());
  const Stream cuda = op_stream(kMatmul, c.device(), stream);
  if (a.dtype() == DType::f32) {
    matmul_cuda<float, float>(a, b, c, args, shape, cuda);
  } else if (c.dtype() == DType::f32) {
    matmul_cuda<bfloat16, float>(a, b, c, args, shape, cuda);
  } else {
    matmul_cuda<bfloat16, bfloat16>(a, b, c, args, shape, cuda);
  }
#else
  (void)stream;
#endif
}

void linear_forward(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& y, const Stream* stream) {
  check_linear(kLinearForward, x, weight, "bias", bias);
  check_tensor(kLinearForward, "y", y, with_last(x, weight.size(0)), x.device());
  check_same_dtype(kLinearForward, "y", y, x);
  Tensor y_rows = as_rows(y);
  matmul(as_rows(x), weight_for(weight, x, stream), y_rows, {.transpose_b = true, .bias = bias}, stream);
}

void linear_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                     Tensor* dbias, const Stream* stream) {
  check_linear(kLinearBackward, x, weight, "dbias", dbias);
  const Device device = x.device();
  check_tensor(kLinearBackward, "dy", dy, with_last(x, weight.size(0)), device);
  check_same_dtype(kLinearBackward, "dy", dy, x);
  check_tensor(kLinearBackward, "dx", dx, x.shape(), device);
  check_same_dtype(kLinearBackward, "dx", dx, x);
  check_tensor(kLinearBackward, "dweight", dweight, weight.shape(), device);
  check_same_dtype(kLinearBackward, "dweight", dweight, weight);
  const Tensor dy_rows = as_rows(dy), x_rows = as_rows(x);
  Tensor dx_rows = as_rows(dx);
  matmul(dy_rows, weight_for(weight, x, stream), dx_rows, {}, stream);             // dx = dy W
  matmul(dy_rows, x_rows, dweight, {.transpose_a = true, .beta = 1.0}, stream);   // dW += dy^T x
  if (!dbias) return;
  const int64_t rows = dy_rows.size(0), cols = dy_rows.size(1);
  if (device.is_cpu()) {
    visit_cpu_float(dy, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::column_sum_accumulate_cpu(dy.data<T>(), dbias->data<T>(), rows, cols);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda_float(kLinearBackward, dy, stream, [&](auto tag, cudaStream_t cuda) {
    using T = typename decltype(tag)::type;
    kernels::column_sum_accumulate_cuda(dy.data<T>(), dbias->data<float>(), rows, cols, cuda);
  });
#endif
}

}  // namespace spindle::ops
