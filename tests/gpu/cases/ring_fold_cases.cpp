#include <vector>

#include "platform/ops/ring_fold.h"
#include "tests/gpu/backend_ops.h"

namespace spindle::testing {
namespace {

// Five ranks; rank 2 folds row r from rank 0, 4 or 2 (itself: zeros) for r % 3 = 0, 1, 2.
// Values have their own tensor and the decays are the second half of a gathered one, so
// the two row pitches differ (as the backward's gathered dh0 and saved summaries do).
// 300 rows take two launches (256 start ranks per launch).
std::vector<std::pair<std::string, Tensor>> run(const Backend& be, int64_t rows, int64_t width) {
  constexpr int64_t kRanks = 5;
  const int64_t summary = rows * width;
  const Tensor values = be.parameter({kRanks, summary}, 1);
  Tensor gathered = be.parameter({kRanks, 2 * summary}, 2);
  gathered.slice(1, summary, 2 * summary).copy_from(be.parameter({kRanks, summary}, 3, 0.0, 1.0));
  std::vector<int> first;
  for (int64_t r = 0; r < rows; ++r) first.push_back(r % 3 == 0 ? 0 : (r % 3 == 1 ? 4 : 2));
  Tensor out = be.parameter_output({rows, width});
  ops::ring_fold(values, gathered.slice(1, summary, 2 * summary), first, 2, out);
  return {{"out", out}};
}

const RegisterOpCase kCases[] = {
    RegisterOpCase({"ring_fold_r5_rows3_w4099", [](const Backend& be) { return run(be, 3, 4099); }}),
    RegisterOpCase({"ring_fold_r5_rows300_w37", [](const Backend& be) { return run(be, 300, 37); }}),
};

}  // namespace
}  // namespace spindle::testing
