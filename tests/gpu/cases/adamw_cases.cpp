#include "platform/ops/adamw.h"
#include "platform/ops/clip_grad_norm.h"
#include "tests/gpu/backend_ops.h"
#include "tests/support/tensors.h"

namespace spindle::testing {
namespace {

// Master weights are parameters (f32 on the GPU, f64 on the CPU reference); the working
// copy is bf16 on both. Three steps with fresh gradients; an odd size.
std::vector<std::pair<std::string, Tensor>> run_adamw(const Backend& be, int64_t n) {
  Tensor param = be.parameter({n}, 1);
  Tensor m = Tensor::zeros({n}, be.parameters, be.device), v = Tensor::zeros({n}, be.parameters, be.device);
  Tensor working = poisoned({n}, DType::bf16, be.device);
  for (int step = 1; step <= 3; ++step) {
    const Tensor grad = be.parameter({n}, 10 + step);
    ops::adamw_step(param, grad, m, v, &working, {1e-2, 0.9, 0.999, 1e-8, 0.1, step});
  }
  return {{"param", param}, {"m", m}, {"v", v}, {"working", working}};
}

// Three tensors of awkward sizes; clipped (max_norm below the norm) or not.
std::vector<std::pair<std::string, Tensor>> run_clip(const Backend& be, double max_norm) {
  Tensor a = be.parameter({1000003}, 1), b = be.parameter({1}, 2), c = be.parameter({17, 257}, 3);
  const double norm = ops::clip_grad_norm({&a, &b, &c}, max_norm);
  return {{"norm", Tensor::from_vector<double>({norm}, {1})}, {"a", a}, {"b", b}, {"c", c}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"adamw_n100003", [](const Backend& be) { return run_adamw(be, 100003); }}),
    RegisterOpCase({"adamw_n1", [](const Backend& be) { return run_adamw(be, 1); }}),
    RegisterOpCase({"clip_grad_norm_clipped", [](const Backend& be) { return run_clip(be, 1.0); }}),
    RegisterOpCase({"clip_grad_norm_unclipped", [](const Backend& be) { return run_clip(be, 1e6); }}),
};

}  // namespace
}  // namespace spindle::testing
