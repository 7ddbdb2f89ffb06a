#include "platform/ops/adamw.h"

#include "kernels/adamw.h"
#include "platform/ops/op_checks.h"
#include "platform/ops/optional_data.h"

namespace spindle::ops {
namespace {

constexpr const char* kOp = "adamw_step";

template <typename T>
void step_cpu(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, Tensor* working, const AdamWArgs& args) {
  kernels::adamw_cpu(param.data<T>(), grad.data<T>(), m.data<T>(), v.data<T>(), optional_data<bfloat16>(working),
                     param.numel(), args);
}

}  // namespace

void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, Tensor* working, const AdamWArgs& args,
                const Stream* stream) {
  const Device device = param.device();
  check_tensor(kOp, "param", param, param.shape(), device);
  if (device.is_cpu()) {
    check_dtype(kOp, "param", param, {DType::f32, DType::f64});
  } else {
    check_dtype(kOp, "param", param, {DType::f32});
  }
  for (const auto& [name, tensor] : {std::pair<const char*, const Tensor*>{"grad", &grad}, {"m", &m}, {"v", &v}}) {
    check_tensor(kOp, name, *tensor, param.shape(), device);
    check_same_dtype(kOp, name, *tensor, param);
  }
  if (working) {
    check_tensor(kOp, "working", *working, param.shape(), device);
    check_dtype(kOp, "working", *working, {DType::bf16});
  }
  SPINDLE_CHECK(args.step >= 1, kOp, "step " + std::to_string(args.step), "step >= 1 (the step being taken)");
  SPINDLE_CHECK(args.beta1 >= 0 && args.beta1 < 1 && args.beta2 >= 0 && args.beta2 < 1, kOp,
                "betas " + std::to_string(args.beta1) + ", " + std::to_string(args.beta2), "betas in [0, 1)");
  if (device.is_cpu()) {
    param.dtype() == DType::f64 ? step_cpu<double>(param, grad, m, v, working, args)
                                : step_cpu<float>(param, grad, m, v, working, args);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(device);
  kernels::adamw_cuda(param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(),
                      optional_data<bfloat16>(working), param.numel(), args, op_stream(kOp, device, stream).cuda());
#else
  (void)stream;
#endif
}

}  // namespace spindle::ops
