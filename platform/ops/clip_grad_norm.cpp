#include "platform/ops/clip_grad_norm.h"

#include <cmath>

#include "kernels/grad_norm.h"
#include "platform/ops/op_checks.h"

namespace spindle::ops {
namespace {

constexpr const char* kOp = "clip_grad_norm";

template <typename T>
double clip_cpu(const std::vector<Tensor*>& gradients, double max_norm) {
  kernels::KahanSum total;
  for (const Tensor* g : gradients) kernels::add_sum_of_squares_cpu(g->data<T>(), g->numel(), total);
  const double norm = std::sqrt(total.sum);
  const double factor = kernels::clip_factor(norm, max_norm);
  for (Tensor* g : gradients) kernels::scale_cpu(g->data<T>(), g->numel(), factor);
  return norm;
}

#if SPINDLE_WITH_CUDA
double clip_cuda(const std::vector<Tensor*>& gradients, double max_norm, const Stream& stream) {
  std::vector<kernels::GradientRef> refs;
  for (Tensor* g : gradients) refs.push_back({g->data<float>(), g->numel()});
  const int64_t count = kernels::sum_of_squares_partial_count(refs);
  Tensor partials = Tensor::empty({count}, DType::f64, stream.device(), &stream);
  Tensor norm_and_factor = Tensor::empty({2}, DType::f64, stream.device(), &stream);
  kernels::sum_of_squares_partials_cuda(refs, partials.data<double>(), stream.cuda());
  kernels::clip_factor_cuda(partials.data<double>(), count, max_norm, norm_and_factor.data<double>(), stream.cuda());
  kernels::scale_by_device_factor_cuda(refs, norm_and_factor.data<double>() + 1, stream.cuda());
  return norm_and_factor.to(Device::cpu(), &stream).to_vector<double>()[0];
}
#endif

}  // namespace

double clip_grad_norm(const std::vector<Tensor*>& gradients, double max_norm, const Stream* stream) {
  SPINDLE_CHECK(!gradients.empty(), kOp, "no gradients", "at least one gradient tensor");
  SPINDLE_CHECK(max_norm > 0, kOp, "max_norm " + std::to_string(max_norm), "max_norm > 0");
  for (size_t i = 0; i < gradients.size(); ++i) {
    SPINDLE_CHECK(gradients[i], std::string(kOp) + ": gradients[" + std::to_string(i) + "]", "null", "a tensor");
  }
  std::vector<const void*> addresses;
  for (const Tensor* g : gradients) addresses.push_back(g->numel() > 0 ? g->raw_data() : nullptr);
  check_distinct(kOp, "gradients", addresses);
  const Tensor& first = *gradients.front();
  const Device device = first.device();
  for (size_t i = 0; i < gradients.size(); ++i) {
    const std::string name = "gradients[" + std::to_string(i) + "]";
    check_tensor(kOp, name.c_str(), *gradients[i], gradients[i]->shape(), device);
    if (device.is_cpu()) {
      check_dtype(kOp, name.c_str(), *gradients[i], {DType::f32, DType::f64});
      check_same_dtype(kOp, name.c_str(), *gradients[i], first);
    } else {
      check_dtype(kOp, name.c_str(), *gradients[i], {DType::f32});
    }
  }
  if (device.is_cpu()) {
    return first.dtype() == DType::f64 ? clip_cpu<double>(gradients, max_norm) : clip_cpu<float>(gradients, max_norm);
  }
#if SPINDLE_WITH_CUDA
  DeviceGuard guard(device);
  return clip_cuda(gradients, max_norm, op_stream(kOp, device, stream));
#else
  (void)stream;
  return 0.0;
#endif
}

}  // namespace spindle::ops
