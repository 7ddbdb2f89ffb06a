#include "platform/ops/fft_conv.h"

#include <string>

#include "kernels/fft_conv.h"
#include "platform/ops/dtype_dispatch.h"
#include "platform/ops/optional_data.h"

namespace spindle::ops {
namespace {

constexpr const char* kForward = "fft_conv_forward";
constexpr const char* kBackward = "fft_conv_backward";

// Validates the arguments shared by forward and backward and returns the problem shape.
kernels::FftConvShape check_arguments(const char* op, const Tensor& u, const Tensor& k_fwd, const FftConvArgs& args) {
  SPINDLE_CHECK(u.dim() == 3, std::string(op) + ": u", u.describe(), "a (batch, channels, length) tensor");
  SPINDLE_CHECK(args.channels_per_chunk >= 0, std::string(op) + ": channels_per_chunk",
                std::to_string(args.channels_per_chunk), "0 (automatic) or a positive count");
  const kernels::FftConvShape shape{u.size(0), u.size(1), u.size(2), args.k_bwd != nullptr, args.channels_per_chunk,
                                    args.path};
  SPINDLE_CHECK(kernels::fft_conv_path_supported(args.path, shape.length), std::string(op) + ": path",
                std::string(kernels::fft_conv_path_name(args.path)) + " at length " + std::to_string(shape.length),
                "a power-of-two length from 1024 to 16384 for one_block, from 16384 to 524288 for own_rows");
  const Device device = u.device();
  check_tensor(op, "u", u, u.shape(), device);
  check_float_dtype(op, "u", u);
  const Shape kernel_shape{shape.channels, shape.length};
  for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"k_fwd", &k_fwd}, {"k_bwd", args.k_bwd}}) {
    if (!t) continue;
    check_tensor(op, name, *t, kernel_shape, device);
    if (device.is_cpu()) {
      check_same_dtype(op, name, *t, u);
    } else {
      check_dtype(op, name, *t, {DType::f32});
    }
  }
  if (args.D) {
    check_tensor(op, "D", *args.D, {shape.channels}, device);
    check_same_dtype(op, "D", *args.D, k_fwd);
  }
  return shape;
}

#if SPINDLE_WITH_CUDA
// Device scratch of `bytes` from the stream-ordered pool, freed in stream order.
Tensor scratch(size_t bytes, Device device, const Stream& stream) {
  return Tensor::empty({static_cast<int64_t>(bytes)}, DType::u8, device, &stream);
}
#endif

}  // namespace

void fft_conv_forward(const Tensor& u, const Tensor& k_fwd, Tensor& y, const FftConvArgs& args,
                      const Stream* stream) {
  const kernels::FftConvShape shape = check_arguments(kForward, u, k_fwd, args);
  check_tensor(kForward, "y", y, u.shape(), u.device());
  check_same_dtype(kForward, "y", y, u);
  if (u.device().is_cpu()) {
    visit_cpu_float(u, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::fft_conv_forward_cpu(u.data<T>(), k_fwd.data<T>(), optional_data<T>(args.k_bwd),
                                    optional_data<T>(args.D), y.data<T>(), shape);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(u.device());
  const Stream cuda = op_stream(kForward, u.device(), stream);
  const Tensor workspace = scratch(kernels::fft_conv_forward_workspace_bytes(shape), u.device(), cuda);
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::fft_conv_forward_cuda(u.data<T>(), k_fwd.data<float>(), optional_data<float>(args.k_bwd),
                                   optional_data<float>(args.D), y.data<T>(), shape, workspace.raw_data(),
                                   cuda.cuda());
  };
  u.dtype() == DType::bf16 ? run(TypeTag<bfloat16>{}) : run(TypeTag<float>{});
#else
  (void)stream;
#endif
}

void fft_conv_backward(const Tensor& u, const Tensor& k_fwd, const Tensor& dy, Tensor& du, Tensor& dk_fwd,
                       Tensor* dk_bwd, Tensor* dD, const FftConvArgs& args, const Stream* stream) {
  const kernels::FftConvShape shape = check_arguments(kBackward, u, k_fwd, args);
  const Device device = u.device();
  for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"dy", &dy}, {"du", &du}}) {
    check_tensor(kBackward, name, *t, u.shape(), device);
    check_same_dtype(kBackward, name, *t, u);
  }
  check_tensor(kBackward, "dk_fwd", dk_fwd, k_fwd.shape(), device);
  check_same_dtype(kBackward, "dk_fwd", dk_fwd, k_fwd);
  SPINDLE_CHECK((dk_bwd != nullptr) == shape.bidirectional, kBackward,
                dk_bwd ? "dk_bwd given for a causal convolution" : "no dk_bwd for a bidirectional convolution",
                "dk_bwd exactly when k_bwd is given");
  if (dk_bwd) {
    check_tensor(kBackward, "dk_bwd", *dk_bwd, k_fwd.shape(), device);
    check_same_dtype(kBackward, "dk_bwd", *dk_bwd, k_fwd);
  }
  if (dD) {
    SPINDLE_CHECK(args.D, kBackward, "dD given without D", "D when its gradient is asked for");
    check_tensor(kBackward, "dD", *dD, {shape.channels}, device);
    check_same_dtype(kBackward, "dD", *dD, k_fwd);
  }
  if (device.is_cpu()) {
    visit_cpu_float(u, [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::fft_conv_backward_cpu(u.data<T>(), k_fwd.data<T>(), optional_data<T>(args.k_bwd),
                                     optional_data<T>(args.D), dy.data<T>(), du.data<T>(), dk_fwd.data<T>(),
                                     optional_data<T>(dk_bwd), optional_data<T>(dD), shape);
    });
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(device);
  const Stream cuda = op_stream(kBackward, device, stream);
  const Tensor workspace = scratch(kernels::fft_conv_backward_workspace_bytes(shape), device, cuda);
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::fft_conv_backward_cuda(u.data<T>(), k_fwd.data<float>(), optional_data<float>(args.k_bwd),
                                    optional_data<float>(args.D), dy.data<T>(), du.data<T>(), dk_fwd.data<float>(),
                                    optional_data<float>(dk_bwd), optional_data<float>(dD), shape,
                                    workspace.raw_data(), cuda.cuda());
  };
  u.dtype() == DType::bf16 ? run(TypeTag<bfloat16>{}) : run(TypeTag<float>{});
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
