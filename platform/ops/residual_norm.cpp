#include "platform/ops/residual_norm.h"

#include "platform/ops/dtype_dispatch.h"
#include "platform/ops/optional_data.h"

namespace spindle::ops {
namespace {

constexpr const char* kForward = "residual_norm_forward";
constexpr const char* kBackward = "residual_norm_backward";

// The dtype of the residual stream: f32 on the GPU, the activations' dtype on the CPU.
DType stream_dtype(const Tensor& activations) {
  return activations.device().is_cpu() ? activations.dtype() : DType::f32;
}

// Checks the activations (x or dy, named `name`), weight and bias; returns the problem shape.
kernels::NormShape check_arguments(const char* op, const char* name, const Tensor& activations, const Tensor& weight,
                                   const ResidualNormArgs& args) {
  SPINDLE_CHECK(activations.dim() >= 1, std::string(op) + ": " + name, activations.describe(), "a (..., dim) tensor");
  const Device device = activations.device();
  const int64_t dim = activations.size(-1);
  check_tensor(op, name, activations, activations.shape(), device);
  check_float_dtype(op, name, activations);
  SPINDLE_CHECK(args.eps > 0, op, "eps " + std::to_string(args.eps), "eps > 0");
  const DType parameters = stream_dtype(activations);
  check_tensor(op, "weight", weight, {dim}, device);
  check_dtype(op, "weight", weight, {parameters});
  if (args.bias) {
    check_tensor(op, "bias", *args.bias, {dim}, device);
    check_dtype(op, "bias", *args.bias, {parameters});
  }
  return {activations.numel() / (dim > 0 ? dim : 1), dim, args.kind, args.eps};
}

// A residual-stream tensor: x's shape, the residual-stream dtype.
void check_stream_tensor(const char* op, const char* name, const Tensor& tensor, const Tensor& activations) {
  check_tensor(op, name, tensor, activations.shape(), activations.device());
  check_dtype(op, name, tensor, {stream_dtype(activations)});
}

void check_activation(const char* op, const char* name, const Tensor& tensor, const Tensor& activations) {
  check_tensor(op, name, tensor, activations.shape(), activations.device());
  check_same_dtype(op, name, tensor, activations);
}

template <typename T>
void forward_cpu(const Tensor& x, const Tensor& weight, Tensor& y, Tensor& residual_out, const ResidualNormArgs& args,
                 kernels::NormShape shape) {
  kernels::residual_norm_forward_cpu(x.data<T>(), optional_data<T>(args.residual), weight.data<T>(),
                                     optional_data<T>(args.bias), y.data<T>(), residual_out.data<T>(), shape);
}

template <typename T>
void backward_cpu(const Tensor& residual_out, const Tensor& weight, const Tensor& dy, const Tensor* dresidual_out,
                  Tensor& dx, Tensor* dresidual, Tensor& dweight, Tensor* dbias, kernels::NormShape shape) {
  kernels::residual_norm_backward_cpu(residual_out.data<T>(), weight.data<T>(), dy.data<T>(),
                                      optional_data<T>(dresidual_out), dx.data<T>(), optional_data<T>(dresidual),
                                      dweight.data<T>(), optional_data<T>(dbias), shape);
}

#if SPINDLE_WITH_CUDA
template <typename T>
void forward_cuda(const Tensor& x, const Tensor& weight, Tensor& y, Tensor& residual_out,
                  const ResidualNormArgs& args, kernels::NormShape shape, cudaStream_t stream) {
  kernels::residual_norm_forward_cuda(x.data<T>(), optional_data<float>(args.residual), weight.data<float>(),
                                      optional_data<float>(args.bias), y.data<T>(), residual_out.data<float>(), shape,
                                      stream);
}

template <typename T>
void backward_cuda(const Tensor& residual_out, const Tensor& weight, const Tensor& dy, const Tensor* dresidual_out,
                   Tensor& dx, Tensor* dresidual, Tensor& dweight, Tensor* dbias, kernels::NormShape shape,
                   const Stream& stream) {
  Tensor workspace = Tensor::empty({kernels::residual_norm_backward_workspace(shape)}, DType::f32,
                                   residual_out.device(), &stream);
  kernels::residual_norm_backward_cuda(residual_out.data<float>(), weight.data<float>(), dy.data<T>(),
                                       optional_data<float>(dresidual_out), dx.data<T>(),
                                       optional_data<float>(dresidual), dweight.data<float>(),
                                       optional_data<float>(dbias), workspace.data<float>(), shape, stream.cuda());
}
#endif

}  // namespace

void residual_norm_forward(const Tensor& x, const Tensor& weight, Tensor& y, Tensor& residual_out,
                           const ResidualNormArgs& args, const Stream* stream) {
  const kernels::NormShape shape = check_arguments(kForward, "x", x, weight, args);
  if (args.residual) check_stream_tensor(kForward, "residual", *args.residual, x);
  check_activation(kForward, "y", y, x);
  check_stream_tensor(kForward, "residual_out", residual_out, x);
  if (x.device().is_cpu()) {
    x.dtype() == DType::f64 ? forward_cpu<double>(x, weight, y, residual_out, args, shape)
                            : forward_cpu<float>(x, weight, y, residual_out, args, shape);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(x.device());
  const cudaStream_t cuda = op_stream(kForward, x.device(), stream).cuda();
  x.dtype() == DType::bf16 ? forward_cuda<bfloat16>(x, weight, y, residual_out, args, shape, cuda)
                           : forward_cuda<float>(x, weight, y, residual_out, args, shape, cuda);
#else
  (void)stream;
#endif
}

void residual_norm_backward(const Tensor& residual_out, const Tensor& weight, const Tensor& dy,
                            const Tensor* dresidual_out, Tensor& dx, Tensor* dresidual, Tensor& dweight, Tensor* dbias,
                            const ResidualNormArgs& args, const Stream* stream) {
  const kernels::NormShape shape = check_arguments(kBackward, "dy", dy, weight, args);
  check_stream_tensor(kBackward, "residual_out", residual_out, dy);
  if (dresidual_out) check_stream_tensor(kBackward, "dresidual_out", *dresidual_out, dy);
  check_activation(kBackward, "dx", dx, dy);
  if (dresidual) check_stream_tensor(kBackward, "dresidual", *dresidual, dy);
  check_tensor(kBackward, "dweight", dweight, weight.shape(), dy.device());
  check_same_dtype(kBackward, "dweight", dweight, weight);
  if (dbias) {
    SPINDLE_CHECK(args.bias, kBackward, "dbias given without bias", "a bias when its gradient is asked for");
    check_tensor(kBackward, "dbias", *dbias, weight.shape(), dy.device());
    check_same_dtype(kBackward, "dbias", *dbias, weight);
  }
  const Device device = dy.device();
  if (device.is_cpu()) {
    dy.dtype() == DType::f64
        ? backward_cpu<double>(residual_out, weight, dy, dresidual_out, dx, dresidual, dweight, dbias, shape)
        : backward_cpu<float>(residual_out, weight, dy, dresidual_out, dx, dresidual, dweight, dbias, shape);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(device);
  const Stream on = op_stream(kBackward, device, stream);
  dy.dtype() == DType::bf16
      ? backward_cuda<bfloat16>(residual_out, weight, dy, dresidual_out, dx, dresidual, dweight, dbias, shape, on)
      : backward_cuda<float>(residual_out, weight, dy, dresidual_out, dx, dresidual, dweight, dbias, shape, on);
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
