#include "platform/ops/ring_fold.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

// Five ranks, three rows of 4,099 elements (an awkward width), values and decays as two
// halves of one gathered tensor; rank 2 folds row 0 from rank 0, row 1 from rank 4 and row
// 2 from itself (zeros).
std::vector<std::pair<std::string, Tensor>> run(const Backend& be) {
  constexpr int64_t kRanks = 5, kRows = 3, kWidth = 4099, kSummary = kRows * kWidth;
  Tensor all = be.parameter({kRanks, 2 * kSummary}, 1);
  all.slice(1, kSummary, 2 * kSummary).copy_from(be.parameter({kRanks, kSummary}, 2, 0.0, 1.0));
  Tensor out = be.parameter_output({kRows, kWidth});
  ops::ring_fold(all.slice(1, 0, kSummary), all.slice(1, kSummary, 2 * kSummary), {0, 4, 2}, 2, out);
  return {{"out", out}};
}

const RegisterOpCase kCases[] = {RegisterOpCase({"ring_fold_r5_rows3_w4099", run})};

}  // namespace
}  // namespace spindle::testing
