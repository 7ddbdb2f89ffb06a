#include "platform/ops/activation.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

using ops::Activation;

// Inputs in [-25, 25] cross the softplus threshold (20); the length is no multiple of 256.
// negative_exp runs on [-3, 3], A_log's range: exp multiplies bf16's input rounding by |x|.
std::vector<std::pair<std::string, Tensor>> run(const Backend& be, Activation kind, double bound = 25) {
  const Tensor x = be.input({3, 1001}, 1, -bound, bound);
  const Tensor dy = be.input(x.shape(), 2);
  Tensor y = be.output(x.shape()), dx = be.output(x.shape());
  ops::activation_forward(x, y, kind);
  ops::activation_backward(x, dy, dx, kind);
  return {{"y", y}, {"dx", dx}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"silu_3x1001", [](const Backend& be) { return run(be, Activation::silu); }}),
    RegisterOpCase({"softplus_3x1001", [](const Backend& be) { return run(be, Activation::softplus); }}),
    RegisterOpCase({"gelu_tanh_3x1001", [](const Backend& be) { return run(be, Activation::gelu_tanh); }}),
    RegisterOpCase({"gelu_erf_3x1001", [](const Backend& be) { return run(be, Activation::gelu_erf); }}),
    RegisterOpCase({"negative_exp_3x1001", [](const Backend& be) { return run(be, Activation::negative_exp, 3); }}),
};

}  // namespace
}  // namespace spindle::testing
