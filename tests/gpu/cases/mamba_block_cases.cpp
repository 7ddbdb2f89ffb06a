// The whole Mamba block: forward output, input gradient and every parameter gradient.
#include "platform/layers/mamba_block.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

std::vector<std::pair<std::string, Tensor>> run(const Backend& be, int64_t batch, int64_t length) {
  MambaBlock block({.d_model = 24, .d_state = 16}, be.device, be.parameters);
  RandomStream random{7, 0};
  block.initialize(random);
  const Tensor hidden = be.input({batch, length, 24}, 1);
  const Tensor dout = be.input(hidden.shape(), 2);
  Tensor out = be.output(hidden.shape()), dhidden = be.output(hidden.shape());
  block.forward(hidden, out);
  block.backward(dout, dhidden);
  std::vector<std::pair<std::string, Tensor>> outputs{{"out", out}, {"dhidden", dhidden}};
  for (Parameter* p : block.parameters()) outputs.push_back({"d" + p->name, p->grad});
  return outputs;
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"mamba_block_b2_l333_d24", [](const Backend& be) { return run(be, 2, 333); }}),
    RegisterOpCase({"mamba_block_b1_l1_d24", [](const Backend& be) { return run(be, 1, 1); }}),
};

}  // namespace
}  // namespace spindle::testing
