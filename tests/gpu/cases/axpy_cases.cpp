#include "platform/ops/axpy.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

std::vector<std::pair<std::string, Tensor>> run(const Backend& be) {
  const Tensor x = be.input({3, 1001}, 1);
  Tensor y = be.input({3, 1001}, 2);
  ops::axpy(-0.75, x, y);
  return {{"y", y}};
}

const RegisterOpCase kCases[] = {RegisterOpCase({"axpy_3x1001", run})};

}  // namespace
}  // namespace spindle::testing
