#include "platform/ops/adamw.h"

#include <string>
#include <vector>

#include "kernels/adamw.h"
#include "platform/ops/op_checks.h"
#include "platform/ops/optional_data.h"

namespace spindle::ops {
namespace {

constexpr const char* kOp = "adamw_step";

void check_parameter(const AdamWParameter& p, size_t index, Device device, DType dtype) {
  const std::string at = "parameters[" + std::to_string(index) + "].";
  for (const auto& [name, tensor] : {std::pair<const char*, const Tensor*>{"param", p.param},
                                     {"grad", p.grad},
                                     {"m", p.m},
                                     {"v", p.v}}) {
    SPINDLE_CHECK(tensor, std::string(kOp) + ": " + at + name, "null", "a tensor");
    check_tensor(kOp, (at + name).c_str(), *tensor, p.param->shape(), device);  // param checked first
    check_dtype(kOp, (at + name).c_str(), *tensor, {dtype});
  }
  if (p.working) {
    check_tensor(kOp, (at + "working").c_str(), *p.working, p.param->shape(), device);
    check_dtype(kOp, (at + "working").c_str(), *p.working, {DType::bf16});
  }
}

template <typename T>
void step_cpu(std::span<const AdamWParameter> parameters, const AdamWArgs& args) {
  for (const AdamWParameter& p : parameters) {
    AdamWArgs own = args;
    if (!p.decayed) own.weight_decay = 0.0;
    kernels::adamw_cpu(p.param->data<T>(), p.grad->data<T>(), p.m->data<T>(), p.v->data<T>(),
                       optional_data<bfloat16>(p.working), p.param->numel(), own);
  }
}

}  // namespace

void adamw_step(std::span<const AdamWParameter> parameters, const AdamWArgs& args, const Stream* stream) {
  SPINDLE_CHECK(!parameters.empty(), kOp, "no parameters", "at least one");
  SPINDLE_CHECK(parameters[0].param, std::string(kOp) + ": parameters[0].param", "null", "a tensor");
  const Device device = parameters[0].param->device();
  const DType dtype = parameters[0].param->dtype();
  if (device.is_cpu()) {
    check_dtype(kOp, "parameters[0].param", *parameters[0].param, {DType::f32, DType::f64});
  } else {
    check_dtype(kOp, "parameters[0].param", *parameters[0].param, {DType::f32});
  }
  for (size_t i = 0; i < parameters.size(); ++i) check_parameter(parameters[i], i, device, dtype);
  std::vector<const void*> addresses;
  for (const AdamWParameter& p : parameters) addresses.push_back(p.param->numel() > 0 ? p.param->raw_data() : nullptr);
  check_distinct(kOp, "parameters", addresses);
  SPINDLE_CHECK(args.step >= 1, kOp, "step " + std::to_string(args.step), "step >= 1 (the step being taken)");
  SPINDLE_CHECK(args.beta1 >= 0 && args.beta1 < 1 && args.beta2 >= 0 && args.beta2 < 1, kOp,
                "betas " + std::to_string(args.beta1) + ", " + std::to_string(args.beta2), "betas in [0, 1)");
  if (device.is_cpu()) {
    dtype == DType::f64 ? step_cpu<double>(parameters, args) : step_cpu<float>(parameters, args);
    return;
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(device);
  std::vector<kernels::AdamWTensor> tensors;
  tensors.reserve(parameters.size());
  for (const AdamWParameter& p : parameters) {
    tensors.push_back({p.param->data<float>(), p.grad->data<float>(), p.m->data<float>(), p.v->data<float>(),
                       optional_data<bfloat16>(p.working), p.param->numel(), p.decayed});
  }
  kernels::adamw_cuda(tensors, args, op_stream(kOp, device, stream).cuda());
#else
  (void)stream;
#endif
}

void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, Tensor* working, const AdamWArgs& args,
                const Stream* stream) {
  const AdamWParameter one{&param, &grad, &m, &v, working, true};
  adamw_step(std::span(&one, 1), args, stream);
}

}  // namespace spindle::ops
