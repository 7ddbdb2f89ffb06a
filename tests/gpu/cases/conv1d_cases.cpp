#include "platform/ops/conv1d.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

// Awkward sizes: length not a multiple of the 1,024-step tile, one-step sequences; every
// width (the CUDA kernels are compiled per width). The width-1 cases pass no context.
struct Conv1dCase {
  int64_t batch, channels, length;
  int width;
  bool silu;
};

std::vector<std::pair<std::string, Tensor>> run_forward(const Backend& be, Conv1dCase c) {
  const Tensor x = be.input({c.batch, c.channels, c.length}, 1);
  const Tensor weight = be.parameter({c.channels, c.width}, 2);
  const Tensor bias = be.parameter({c.channels}, 3);
  const Tensor context = be.input({c.batch, c.channels, c.width - 1}, 4);
  Tensor y = be.output(x.shape());
  ops::causal_conv1d_forward(x, weight, y, {&bias, c.width > 1 ? &context : nullptr, c.silu});
  return {{"y", y}};
}

std::vector<std::pair<std::string, Tensor>> run_backward(const Backend& be, Conv1dCase c) {
  const Tensor x = be.input({c.batch, c.channels, c.length}, 1);
  const Tensor weight = be.parameter({c.channels, c.width}, 2);
  const Tensor bias = be.parameter({c.channels}, 3);
  const Tensor context = be.input({c.batch, c.channels, c.width - 1}, 4);
  const Tensor dy = be.input(x.shape(), 5);
  Tensor dx = be.output(x.shape());
  Tensor dcontext = be.output(context.shape());
  Tensor dweight = be.parameter_gradient(weight.shape(), 6);
  Tensor dbias = be.parameter_gradient(bias.shape(), 7);
  if (c.width == 1) {
    ops::causal_conv1d_backward(x, weight, dy, dx, dweight, &dbias, nullptr, {&bias, nullptr, c.silu});
    return {{"dx", dx}, {"dweight", dweight}, {"dbias", dbias}};
  }
  ops::causal_conv1d_backward(x, weight, dy, dx, dweight, &dbias, &dcontext, {&bias, &context, c.silu});
  return {{"dx", dx}, {"dweight", dweight}, {"dbias", dbias}, {"dcontext", dcontext}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"conv1d_forward_b2_c37_l1000_w4_silu", [](const Backend& be) { return run_forward(be, {2, 37, 1000, 4, true}); }}),
    // Lengths of whole 8-step groups (16-byte rows in bf16): the vector loads and stores.
    RegisterOpCase({"conv1d_forward_b2_c3_l4096_w4_silu", [](const Backend& be) { return run_forward(be, {2, 3, 4096, 4, true}); }}),
    RegisterOpCase({"conv1d_forward_b1_c2_l2056_w8", [](const Backend& be) { return run_forward(be, {1, 2, 2056, 8, false}); }}),
    RegisterOpCase({"conv1d_forward_b1_c5_l1_w3", [](const Backend& be) { return run_forward(be, {1, 5, 1, 3, false}); }}),
    RegisterOpCase({"conv1d_backward_b2_c37_l1000_w4_silu", [](const Backend& be) { return run_backward(be, {2, 37, 1000, 4, true}); }}),
    // Enough channels that a block's segment spans several tiles and crosses a batch row.
    RegisterOpCase({"conv1d_backward_b2_c300_l2800_w4_silu", [](const Backend& be) { return run_backward(be, {2, 300, 2800, 4, true}); }}),
    RegisterOpCase({"conv1d_backward_b3_c7_l257_w8", [](const Backend& be) { return run_backward(be, {3, 7, 257, 8, false}); }}),
    RegisterOpCase({"conv1d_backward_b1_c4_l1_w4_silu", [](const Backend& be) { return run_backward(be, {1, 4, 1, 4, true}); }}),
    // Whole tiles (16-byte pieces) over several tiles per row; a short last tile at width 8.
    RegisterOpCase({"conv1d_backward_b2_c3_l4096_w4_silu", [](const Backend& be) { return run_backward(be, {2, 3, 4096, 4, true}); }}),
    RegisterOpCase({"conv1d_backward_b1_c2_l2056_w8", [](const Backend& be) { return run_backward(be, {1, 2, 2056, 8, false}); }}),
    RegisterOpCase({"conv1d_backward_b1_c5_l3000_w3_silu", [](const Backend& be) { return run_backward(be, {1, 5, 3000, 3, true}); }}),
    // The remaining widths, forward and backward.
    RegisterOpCase({"conv1d_forward_b2_c3_l1500_w1_silu", [](const Backend& be) { return run_forward(be, {2, 3, 1500, 1, true}); }}),
    RegisterOpCase({"conv1d_forward_b1_c3_l1500_w2", [](const Backend& be) { return run_forward(be, {1, 3, 1500, 2, false}); }}),
    RegisterOpCase({"conv1d_forward_b1_c3_l1500_w5_silu", [](const Backend& be) { return run_forward(be, {1, 3, 1500, 5, true}); }}),
    RegisterOpCase({"conv1d_forward_b1_c3_l1500_w6", [](const Backend& be) { return run_forward(be, {1, 3, 1500, 6, false}); }}),
    RegisterOpCase({"conv1d_forward_b1_c3_l1500_w7_silu", [](const Backend& be) { return run_forward(be, {1, 3, 1500, 7, true}); }}),
    RegisterOpCase({"conv1d_backward_b2_c3_l1500_w1_silu", [](const Backend& be) { return run_backward(be, {2, 3, 1500, 1, true}); }}),
    RegisterOpCase({"conv1d_backward_b1_c3_l1500_w2", [](const Backend& be) { return run_backward(be, {1, 3, 1500, 2, false}); }}),
    RegisterOpCase({"conv1d_backward_b1_c3_l1500_w5_silu", [](const Backend& be) { return run_backward(be, {1, 3, 1500, 5, true}); }}),
    RegisterOpCase({"conv1d_backward_b1_c3_l1500_w6", [](const Backend& be) { return run_backward(be, {1, 3, 1500, 6, false}); }}),
    RegisterOpCase({"conv1d_backward_b1_c3_l1500_w7_silu", [](const Backend& be) { return run_backward(be, {1, 3, 1500, 7, true}); }}),
    // Batch 2 at width 6; a row shorter than the context at width 7.
    RegisterOpCase({"conv1d_forward_b2_c3_l1500_w6", [](const Backend& be) { return run_forward(be, {2, 3, 1500, 6, false}); }}),
    RegisterOpCase({"conv1d_backward_b2_c5_l3_w7_silu", [](const Backend& be) { return run_backward(be, {2, 5, 3, 7, true}); }}),
};

}  // namespace
}  // namespace spindle::testing
