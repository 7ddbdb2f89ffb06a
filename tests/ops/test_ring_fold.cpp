#include <gtest/gtest.h>

#include <vector>

#include "platform/ops/ring_fold.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

// Three ranks, two rows of two elements. Rank k's summary holds values 10k + e + 1 (e the
// element of the row block) and decays 0.5 in row 0, 2 in row 1, gathered as one
// (ranks, values | decays) tensor, the way sequence parallelism gathers them.
Tensor gathered_summaries() {
  std::vector<double> all;
  for (int k = 0; k < 3; ++k) {
    for (int e = 0; e < 4; ++e) all.push_back(10.0 * k + e + 1);
    for (const double decay : {0.5, 0.5, 2.0, 2.0}) all.push_back(decay);
  }
  return Tensor::from_vector(all, {3, 8});
}

// The values again in a tensor of their own: its row pitch (4) differs from the decays' (8),
// as the backward's gathered dh0 and the saved summaries do.
Tensor values_alone() { return gathered_summaries().slice(1, 0, 4).contiguous(); }

TEST(RingFold, ComposesTheRanksFromTheRowsFirstRankToThisOne) {
  const Tensor all = gathered_summaries();
  const Tensor values = values_alone(), decays = all.slice(1, 4, 8);
  Tensor out = Tensor::empty({2, 2}, DType::f64);
  // Rank 2: row 0 folds from rank 0 (ranks 0 and 1), row 1 from rank 2 itself (nothing).
  ops::ring_fold(values, decays, {0, 2}, 2, out);
  EXPECT_EQ(out.to_vector<double>(), (std::vector<double>{0.5 * 1 + 11, 0.5 * 2 + 12, 0, 0}));
  // Rank 0: both rows from rank 2 towards it (ranks 2, then 1).
  ops::ring_fold(values, decays, {2, 2}, 0, out);
  EXPECT_EQ(out.to_vector<double>(), (std::vector<double>{0.5 * 21 + 11, 0.5 * 22 + 12, 2.0 * 23 + 13, 2.0 * 24 + 14}));
}

TEST(RingFold, RefusesInconsistentArguments) {
  const Tensor all = gathered_summaries();
  const Tensor values = all.slice(1, 0, 4), decays = all.slice(1, 4, 8);
  Tensor out = Tensor::empty({2, 2}, DType::f64), wrong = Tensor::empty({2, 3}, DType::f64);
  EXPECT_THROW(ops::ring_fold(values, decays, {0, 3}, 1, out), Error);  // no rank 3
  EXPECT_THROW(ops::ring_fold(values, decays, {0, 0}, 3, out), Error);
  EXPECT_THROW(ops::ring_fold(values, decays, {0, 0, 0}, 1, out), Error);  // 3 rows do not divide 4
  EXPECT_THROW(ops::ring_fold(values, decays, {0, 0}, 1, wrong), Error);
  EXPECT_THROW(ops::ring_fold(values, all.slice(1, 0, 8), {0, 0}, 1, out), Error);
}

}  // namespace
}  // namespace spindle
