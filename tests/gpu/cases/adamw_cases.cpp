#include <string>
#include <vector>

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

// A list of 53 parameters (two launch groups of at most 48), sizes from 0 to 1,300,007 so that
// tensors get from one block to the most a tensor may have; every third without weight
// decay, every fourth with a working copy. Two steps. The empty tensor is stepped but not
// compared.
std::vector<std::pair<std::string, Tensor>> run_adamw_list(const Backend& be) {
  constexpr int kCount = 53;
  std::vector<Tensor> params, ms, vs, workings;
  for (int i = 0; i < kCount; ++i) {
    const int64_t n = i == 7 ? 1300007 : i == 30 ? 0 : (i * 7919) % 5003 + 1;
    params.push_back(be.parameter({n}, 100 + i));
    ms.push_back(Tensor::zeros({n}, be.parameters, be.device));
    vs.push_back(Tensor::zeros({n}, be.parameters, be.device));
    workings.push_back(i % 4 == 0 ? poisoned({n}, DType::bf16, be.device) : Tensor());
  }
  for (int step = 1; step <= 2; ++step) {
    std::vector<Tensor> grads;
    std::vector<ops::AdamWParameter> list;
    for (int i = 0; i < kCount; ++i) grads.push_back(be.parameter(params[i].shape(), 1000 * step + i));
    for (int i = 0; i < kCount; ++i) {
      Tensor* working = workings[i].defined() ? &workings[i] : nullptr;
      list.push_back({&params[i], &grads[i], &ms[i], &vs[i], working, i % 3 != 0});
    }
    ops::adamw_step(list, {1e-2, 0.9, 0.999, 1e-8, 0.1, step});
  }
  std::vector<std::pair<std::string, Tensor>> outputs;
  for (int i = 0; i < kCount; ++i) {
    if (params[i].numel() == 0) continue;
    outputs.emplace_back(std::string("param").append(std::to_string(i)), params[i]);
    outputs.emplace_back(std::string("m").append(std::to_string(i)), ms[i]);
    outputs.emplace_back(std::string("v").append(std::to_string(i)), vs[i]);
    if (workings[i].defined()) outputs.emplace_back(std::string("working").append(std::to_string(i)), workings[i]);
  }
  return outputs;
}

// 60 gradients (two launch groups), sizes 0 to 400,009; the empty one is not compared.
std::vector<std::pair<std::string, Tensor>> run_clip_list(const Backend& be) {
  std::vector<Tensor> gradients;
  std::vector<Tensor*> list;
  for (int i = 0; i < 60; ++i) {
    const int64_t n = i == 50 ? 400009 : i == 20 ? 0 : (i * 104729) % 3001 + 1;
    gradients.push_back(be.parameter({n}, 200 + i));
  }
  for (Tensor& g : gradients) list.push_back(&g);
  const double norm = ops::clip_grad_norm(list, 1.0);
  std::vector<std::pair<std::string, Tensor>> outputs{{"norm", Tensor::from_vector<double>({norm}, {1})}};
  for (int i = 0; i < 60; ++i) {
    if (gradients[i].numel() > 0) outputs.emplace_back(std::string("g").append(std::to_string(i)), gradients[i]);
  }
  return outputs;
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
    RegisterOpCase({"adamw_list_53", [](const Backend& be) { return run_adamw_list(be); }}),
    RegisterOpCase({"clip_grad_norm_clipped", [](const Backend& be) { return run_clip(be, 1.0); }}),
    RegisterOpCase({"clip_grad_norm_list_60", [](const Backend& be) { return run_clip_list(be); }}),
    RegisterOpCase({"clip_grad_norm_unclipped", [](const Backend& be) { return run_clip(be, 1e6); }}),
};

}  // namespace
}  // namespace spindle::testing
