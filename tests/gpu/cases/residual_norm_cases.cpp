#include "platform/ops/residual_norm.h"
#include "tests/gpu/backend_ops.h"
#include "tests/support/tensors.h"

namespace spindle::testing {
namespace {

using ops::NormKind;

// Awkward sizes: dims not multiples of a warp, one-element rows, more rows than the
// backward's 792 blocks of 8 warps (several rows per warp), and a dim whose gradient sums
// need more than the default 48 KB of shared memory (one warp per block).
struct NormCase {
  NormKind kind;
  int64_t rows, dim;
};

// The residual stream is f32 on the GPU, like the parameters: Backend::parameter makes it.
std::vector<std::pair<std::string, Tensor>> run_forward(const Backend& be, NormCase c) {
  const Tensor x = be.input({c.rows, c.dim}, 1);
  const Tensor residual = be.parameter({c.rows, c.dim}, 2);
  const Tensor weight = be.parameter({c.dim}, 3), bias = be.parameter({c.dim}, 4);
  Tensor y = be.output(x.shape());
  Tensor residual_out = poisoned(x.shape(), be.parameters, be.device);
  ops::residual_norm_forward(x, weight, y, residual_out, {c.kind, 1e-5, &residual, &bias});
  return {{"y", y}, {"residual_out", residual_out}};
}

std::vector<std::pair<std::string, Tensor>> run_backward(const Backend& be, NormCase c) {
  const Tensor residual_out = be.parameter({c.rows, c.dim}, 1);
  const Tensor weight = be.parameter({c.dim}, 3), bias = be.parameter({c.dim}, 4);
  const Tensor dy = be.input(residual_out.shape(), 5);
  const Tensor dresidual_out = be.parameter(residual_out.shape(), 6);
  Tensor dx = be.output(residual_out.shape());
  Tensor dresidual = poisoned(residual_out.shape(), be.parameters, be.device);
  Tensor dweight = be.parameter_gradient(weight.shape(), 7), dbias = be.parameter_gradient(bias.shape(), 8);
  ops::residual_norm_backward(residual_out, weight, dy, &dresidual_out, dx, &dresidual, dweight, &dbias,
                              {c.kind, 1e-5, nullptr, &bias});
  return {{"dx", dx}, {"dresidual", dresidual}, {"dweight", dweight}, {"dbias", dbias}};
}

// The backward with the optional arguments left out: no dresidual_out, dresidual or dbias.
std::vector<std::pair<std::string, Tensor>> run_backward_sparse(const Backend& be, NormCase c) {
  const Tensor residual_out = be.parameter({c.rows, c.dim}, 1);
  const Tensor weight = be.parameter({c.dim}, 3);
  const Tensor dy = be.input(residual_out.shape(), 5);
  Tensor dx = be.output(residual_out.shape());
  Tensor dweight = be.parameter_gradient(weight.shape(), 7);
  ops::residual_norm_backward(residual_out, weight, dy, nullptr, dx, nullptr, dweight, nullptr, {c.kind, 1e-5});
  return {{"dx", dx}, {"dweight", dweight}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"layer_norm_forward_r37_d1000", [](const Backend& be) { return run_forward(be, {NormKind::layer, 37, 1000}); }}),
    RegisterOpCase({"rms_norm_forward_r5_d1", [](const Backend& be) { return run_forward(be, {NormKind::rms, 5, 1}); }}),
    RegisterOpCase({"rms_norm_forward_r1000_d257", [](const Backend& be) { return run_forward(be, {NormKind::rms, 1000, 257}); }}),
    RegisterOpCase({"layer_norm_backward_r1000_d257", [](const Backend& be) { return run_backward(be, {NormKind::layer, 1000, 257}); }}),
    RegisterOpCase({"rms_norm_backward_r1000_d257", [](const Backend& be) { return run_backward(be, {NormKind::rms, 1000, 257}); }}),
    RegisterOpCase({"layer_norm_backward_r3_d17", [](const Backend& be) { return run_backward(be, {NormKind::layer, 3, 17}); }}),
    RegisterOpCase({"rms_norm_backward_r20000_d256", [](const Backend& be) { return run_backward(be, {NormKind::rms, 20000, 256}); }}),
    RegisterOpCase({"layer_norm_backward_r9_d7000", [](const Backend& be) { return run_backward(be, {NormKind::layer, 9, 7000}); }}),
    // 6 and 2 warps per block (the block's final sum strides by fewer threads).
    RegisterOpCase({"layer_norm_backward_r50_d1000", [](const Backend& be) { return run_backward(be, {NormKind::layer, 50, 1000}); }}),
    RegisterOpCase({"rms_norm_backward_r40_d3000", [](const Backend& be) { return run_backward(be, {NormKind::rms, 40, 3000}); }}),
    // No incoming residual gradient, no dresidual or dbias (Caduceus's final norm).
    RegisterOpCase({"rms_norm_backward_r300_d257_sparse", [](const Backend& be) { return run_backward_sparse(be, {NormKind::rms, 300, 257}); }}),
    RegisterOpCase({"rms_norm_backward_r1_d3", [](const Backend& be) { return run_backward(be, {NormKind::rms, 1, 3}); }}),
};

}  // namespace
}  // namespace spindle::testing
