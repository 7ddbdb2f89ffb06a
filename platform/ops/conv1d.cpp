#include "platform/ops/conv1d.h"

#include "kernels/conv1d.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {
namespace {

constexpr const char* kForward = "causal_conv1d_forward";
constexpr const char* kBackward = "causal_conv1d_backward";

template <typename T>
const T* optional_data(const Tensor* tensor) {
  return tensor ? static_cast<const T*>(tensor->raw_data()) : nullptr;
}
template <typename T>
T* optional_data(Tensor* tensor) {
  return tensor ? static_cast<T*>(tensor->raw_data()) : nullptr;
}

// Validates the arguments shared by forward and backward and returns the problem shape.
kernels::Conv1dShape check_arguments(const char* op, const Tensor& x, const Tensor& weight, const Conv1dArgs& args) {
  SPINDLE_CHECK(x.dim() == 3, std::string(op) + ": x", x.describe(), "a (batch, channels, length) tensor");
  SPINDLE_CHECK(weight.dim() == 2, std::string(op) + ": weight", weight.describe(), "a (channels, width) tensor");
  const kernels::Conv1dShape shape{x.size(0), x.size(1), x.size(2), static_cast<int>(weight.size(1))};
  SPINDLE_CHECK(shape.width >= 1 && shape.width <= kernels::kMaxConvWidth, std::string(op) + ": weight",
                weight.describe(), "width 1.." + std::to_string(kernels::kMaxConvWidth));
  const Device device = x.device();
  check_tensor(op, "x", x, x.shape(), device);
  check_tensor(op, "weight", weight, {shape.channels, shape.width}, device);
  if (args.bias) check_tensor(op, "bias", *args.bias, {shape.channels}, device);
  if (args.context) check_tensor(op, "context", *args.context, {shape.batch, shape.channels, shape.width - 1}, device);
  if (device.is_cpu()) {
    check_dtype(op, "x", x, {DType::f32, DType::f64});
    check_same_dtype(op, "weight", weight, x);
    if (args.bias) check_same_dtype(op, "bias", *args.bias, x);
  } else {
    check_dtype(op, "x", x, {DType::f32, DType::bf16});
    check_dtype(op, "weight", weight, {DType::f32});
    if (args.bias) check_dtype(op, "bias", *args.bias, {DType::f32});
  }
  if (args.context) check_same_dtype(op, "context", *args.context, x);
  return shape;
}

template <typename T>
void forward_cpu(const Tensor& x, const Tensor& weight, Tensor& y, const Conv1dArgs& args,
                 kernels::Conv1dShape shape) {
  kernels::causal_conv1d_forward_cpu(x.data<T>(), weight.data<T>(), optional_data<T>(args.bias),
                                     optional_data<T>(args.context), y.data<T>(), shape, args.silu);
}

template <typename T>
void backward_cpu(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight, Tensor* dbias,
                  Tensor* dcontext, const Conv1dArgs& args, kernels::Conv1dShape shape) {
  kernels::causal_conv1d_backward_cpu(x.data<T>(), weight.data<T>(), optional_data<T>(args.bias),
                                      optional_data<T>(args.context), dy.data<T>(), dx.data<T>(),
                                      dweight.data<T>(), optional_data<T>(dbias), optional_data<T>(dcontext), shape,
                                      args.silu);
}

#if SPINDLE_WITH_CUDA
template <typename T>
void forward_cuda(const Tensor& x, const Tensor& weight, Tensor& y, const Conv1dArgs& args,
                  kernels::Conv1dShape shape, cudaStream_t stream) {
  kernels::causal_conv1d_forward_cuda(x.data<T>(), weight.data<float>(), optional_data<float>(args.bias),
                                      optional_data<T>(args.context), y.data<T>(), shape, args.silu, stream);
}

template <typename T>
void backward_cuda(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                   Tensor* dbias, Tensor* dcontext, const Conv1dArgs& args, kernels::Conv1dShape shape,
                   cudaStream_t stream) {
  kernels::causal_conv1d_backward_cuda(x.data<T>(), weight.data<float>(), optional_data<float>(args.bias),
                                       optional_data<T>(args.context), dy.data<T>(), dx.data<T>(),
                                       dweight.data<float>(), optional_data<float>(dbias), optional_data<T>(dcontext),
                                       shape, args.silu, stream);
}
#endif

}  // namespace

void causal_conv1d_forward(const Tensor& x, const Tensor& weight, Tensor& y, const Conv1dArgs& args,
                           const Stream* stream) {
  const kernels::Conv1dShape shape = check_arguments(kForward, x, weight, args);
  check_tensor(kForward, "y", y, x.shape(), x.device());
  check_same_dtype(kForward, "y", y, x);
  if (x.device().is_cpu()) {
    x.dtype() == DType::f64 ? forward_cpu<double>(x, weight, y, args, shape) : forward_cpu<float>(x, weight, y, args, shape);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(x.device());
  const cudaStream_t cuda = op_stream(kForward, x.device(), stream).cuda();
  x.dtype() == DType::bf16 ? forward_cuda<bfloat16>(x, weight, y, args, shape, cuda)
                           : forward_cuda<float>(x, weight, y, args, shape, cuda);
#else
  (void)stream;
#endif
}

void causal_conv1d_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                            Tensor* dbias, Tensor* dcontext, const Conv1dArgs& args, const Stream* stream) {
  const kernels::Conv1dShape shape = check_arguments(kBackward, x, weight, args);
  const Device device = x.device();
  for (const auto& [name, tensor] : {std::pair<const char*, const Tensor*>{"dy", &dy}, {"dx", &dx}}) {
    check_tensor(kBackward, name, *tensor, x.shape(), device);
    check_same_dtype(kBackward, name, *tensor, x);
  }
  check_tensor(kBackward, "dweight", dweight, weight.shape(), device);
  check_same_dtype(kBackward, "dweight", dweight, weight);
  if (dbias) {
    SPINDLE_CHECK(args.bias, kBackward, "dbias given without bias", "a bias when its gradient is asked for");
    check_tensor(kBackward, "dbias", *dbias, {shape.channels}, device);
    check_same_dtype(kBackward, "dbias", *dbias, weight);
  }
  if (dcontext) {
    check_tensor(kBackward, "dcontext", *dcontext, {shape.batch, shape.channels, shape.width - 1}, device);
    check_same_dtype(kBackward, "dcontext", *dcontext, x);
  }
  if (device.is_cpu()) {
    x.dtype() == DType::f64 ? backward_cpu<double>(x, weight, dy, dx, dweight, dbias, dcontext, args, shape)
                            : backward_cpu<float>(x, weight, dy, dx, dweight, dbias, dcontext, args, shape);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(device);
  const cudaStream_t cuda = op_stream(kBackward, device, stream).cuda();
  x.dtype() == DType::bf16 ? backward_cuda<bfloat16>(x, weight, dy, dx, dweight, dbias, dcontext, args, shape, cuda)
                           : backward_cuda<float>(x, weight, dy, dx, dweight, dbias, dcontext, args, shape, cuda);
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
