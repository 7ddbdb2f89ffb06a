#include "platform/ops/dropout.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

// The masks must be identical: a single differing element gives an error near 1 / sqrt(n),
// far above the f32 tolerance. Odd sizes and a nonzero offset.
std::vector<std::pair<std::string, Tensor>> run(const Backend& be, int64_t n, double p) {
  const ops::DropoutArgs args{p, 1234, 77};
  const Tensor x = be.input({n}, 1, 0.5, 1.5);
  const Tensor dy = be.input({n}, 2, 0.5, 1.5);
  Tensor y = be.output(x.shape()), dx = be.output(x.shape());
  ops::dropout_forward(x, y, args);
  ops::dropout_backward(dy, dx, args);
  return {{"y", y}, {"dx", dx}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"dropout_n100003_p0_1", [](const Backend& be) { return run(be, 100003, 0.1); }}),
    RegisterOpCase({"dropout_n1_p0_5", [](const Backend& be) { return run(be, 1, 0.5); }}),
    RegisterOpCase({"dropout_n4099_p0_9", [](const Backend& be) { return run(be, 4099, 0.9); }}),
};

}  // namespace
}  // namespace spindle::testing
