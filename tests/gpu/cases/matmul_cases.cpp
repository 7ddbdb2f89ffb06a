#include "platform/ops/matmul.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

// Awkward sizes (odd, not multiples of any tile), all transposes, batches with a shared
// operand, bias on and off, and accumulation into c (beta != 0).
struct MatmulCase {
  int64_t batch, m, k, n;
  bool transpose_a, transpose_b, shared_a, bias;
  double alpha, beta;
};

std::vector<std::pair<std::string, Tensor>> run_matmul(const Backend& be, MatmulCase c) {
  Shape a_shape = c.transpose_a ? Shape{c.k, c.m} : Shape{c.m, c.k};
  Shape b_shape = c.transpose_b ? Shape{c.n, c.k} : Shape{c.k, c.n};
  Shape c_shape{c.m, c.n};
  if (c.batch > 1) {
    if (!c.shared_a) a_shape.insert(a_shape.begin(), c.batch);
    b_shape.insert(b_shape.begin(), c.batch);
    c_shape.insert(c_shape.begin(), c.batch);
  }
  const Tensor a = be.input(a_shape, 1), b = be.input(b_shape, 2);
  const Tensor bias = be.parameter({c.n}, 3);
  Tensor out = c.beta == 0 ? be.output(c_shape) : be.input(c_shape, 4);
  ops::matmul(a, b, out, {c.transpose_a, c.transpose_b, c.alpha, c.beta, c.bias ? &bias : nullptr});
  return {{"c", out}};
}

// bf16 (or f32) inputs accumulated into an f32 (parameter-typed) output, as weight gradients are.
std::vector<std::pair<std::string, Tensor>> run_matmul_into_parameter(const Backend& be) {
  const Tensor a = be.input({129, 37}, 1), b = be.input({129, 65}, 2);
  Tensor out = be.parameter_gradient({37, 65}, 3);
  ops::matmul(a, b, out, {.transpose_a = true, .beta = 1.0});
  return {{"c", out}};
}

// Mamba's in_proj: xz (batch, 2 d_inner, length) = W x[b]^T directly.
std::vector<std::pair<std::string, Tensor>> run_in_proj(const Backend& be) {
  const int64_t batch = 2, length = 37, d_model = 48, d_inner2 = 96;
  const Tensor x = be.input({batch, length, d_model}, 1);
  const Tensor w = be.input({d_inner2, d_model}, 2);
  Tensor xz = be.output({batch, d_inner2, length});
  ops::matmul(w, x, xz, {.transpose_b = true});
  return {{"xz", xz}};
}

std::vector<std::pair<std::string, Tensor>> run_linear(const Backend& be, Shape x_shape, int64_t out, bool bias) {
  const Tensor x = be.input(x_shape, 1);
  const Tensor weight = be.parameter({out, x_shape.back()}, 2), b = be.parameter({out}, 3);
  Shape y_shape = x_shape;
  y_shape.back() = out;
  const Tensor dy = be.input(y_shape, 4);
  Tensor y = be.output(y_shape), dx = be.output(x_shape);
  Tensor dweight = be.parameter_gradient(weight.shape(), 5), dbias = be.parameter_gradient({out}, 6);
  ops::linear_forward(x, weight, bias ? &b : nullptr, y);
  ops::linear_backward(x, weight, dy, dx, dweight, bias ? &dbias : nullptr);
  std::vector<std::pair<std::string, Tensor>> outputs{{"y", y}, {"dx", dx}, {"dweight", dweight}};
  if (bias) outputs.push_back({"dbias", dbias});
  return outputs;
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"matmul_1x1x1", [](const Backend& be) { return run_matmul(be, {1, 1, 1, 1, false, false, false, false, 1, 0}); }}),
    RegisterOpCase({"matmul_37x129x65_bias", [](const Backend& be) { return run_matmul(be, {1, 37, 129, 65, false, false, false, true, 1, 0}); }}),
    RegisterOpCase({"matmul_37x129x65_ta_tb", [](const Backend& be) { return run_matmul(be, {1, 37, 129, 65, true, true, false, false, 1, 0}); }}),
    RegisterOpCase({"matmul_37x129x65_tb_bias_beta", [](const Backend& be) { return run_matmul(be, {1, 37, 129, 65, false, true, false, true, 0.5, 1}); }}),
    RegisterOpCase({"matmul_b3_50x33x17", [](const Backend& be) { return run_matmul(be, {3, 50, 33, 17, false, false, false, false, 1, 0}); }}),
    RegisterOpCase({"matmul_b3_50x33x17_shared_a_ta_bias", [](const Backend& be) { return run_matmul(be, {3, 50, 33, 17, true, false, true, true, 1, 0}); }}),
    RegisterOpCase({"matmul_37x129x65_into_f32_ta_beta", [](const Backend& be) { return run_matmul_into_parameter(be); }}),
    RegisterOpCase({"matmul_in_proj_transposed_output", [](const Backend& be) { return run_in_proj(be); }}),
    RegisterOpCase({"linear_37x129x65_bias", [](const Backend& be) { return run_linear(be, {37, 129}, 65, true); }}),
    RegisterOpCase({"linear_2x3x33x17", [](const Backend& be) { return run_linear(be, {2, 3, 33}, 17, false); }}),
    // No bias here: one bf16 output x w + b can cancel to near zero, and a single element's
    // relative error then measures rounding of the inputs, not the op.
    RegisterOpCase({"linear_1x1x1", [](const Backend& be) { return run_linear(be, {1, 1}, 1, false); }}),
};

}  // namespace
}  // namespace spindle::testing
