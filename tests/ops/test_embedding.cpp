// Embedding on the CPU: lookup by hand, gradient of the table by finite differences in
// float64 (repeated ids, vocabularies and widths of awkward sizes), accumulation, ids out
// of range, bad arguments.
#include <gtest/gtest.h>

#include "platform/ops/embedding.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

template <typename Id>
Tensor make_ids(int64_t n, int64_t vocab, const Shape& shape) {
  std::vector<Id> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<Id>((i * 5 + 3) % vocab);
  return Tensor::from_vector(ids, shape);
}

TEST(Embedding, LooksUpRows) {
  const Tensor table = Tensor::from_vector<double>({0, 1, 10, 11, 20, 21}, {3, 2});
  const Tensor ids = Tensor::from_vector<int64_t>({2, 0, 2, 1}, {2, 2});
  Tensor out = Tensor::empty({2, 2, 2}, DType::f64);
  ops::embedding_forward(ids, table, out);
  EXPECT_EQ(out.to_vector<double>(), (std::vector<double>{20, 21, 0, 1, 20, 21, 10, 11}));
}

struct Problem {
  int64_t n, vocab, dim;
  bool int64_ids;
};

class EmbeddingGradcheck : public ::testing::TestWithParam<Problem> {};

TEST_P(EmbeddingGradcheck, TableGradientMatchesFiniteDifferences) {
  const Problem p = GetParam();
  const Tensor ids = p.int64_ids ? make_ids<int64_t>(p.n, p.vocab, {p.n}) : make_ids<int32_t>(p.n, p.vocab, {p.n});
  Tensor table = random_tensor({p.vocab, p.dim}, DType::f64, 1);
  const Tensor dout = random_tensor({p.n, p.dim}, DType::f64, 2);
  Tensor dtable = Tensor::zeros(table.shape(), DType::f64);
  ops::embedding_backward(ids, dout, dtable);
  Tensor out = Tensor::empty(dout.shape(), DType::f64);
  auto loss = [&] {
    ops::embedding_forward(ids, table, out);
    return testing::weighted_sum(out, dout);
  };
  testing::expect_gradients_match(loss, {{"table", &table, &dtable}});
}

INSTANTIATE_TEST_SUITE_P(Shapes, EmbeddingGradcheck,
                         ::testing::Values(Problem{1, 1, 1, false}, Problem{17, 12, 3, true}, Problem{257, 12, 17, false},
                                           Problem{5, 1000, 1, true}, Problem{40, 3, 257, true}));

TEST(Embedding, GradientAccumulates) {
  const Tensor ids = make_ids<int32_t>(9, 4, {9});
  const Tensor dout = random_tensor({9, 5}, DType::f64, 1);
  Tensor once = Tensor::zeros({4, 5}, DType::f64), twice = Tensor::zeros({4, 5}, DType::f64);
  ops::embedding_backward(ids, dout, once);
  ops::embedding_backward(ids, dout, twice);
  ops::embedding_backward(ids, dout, twice);
  const std::vector<double> a = once.to_vector<double>(), b = twice.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], 2 * a[i], 1e-15);
}

TEST(Embedding, IdsOutOfRangeAreErrors) {
  const Tensor table = Tensor::zeros({4, 3}, DType::f32);
  Tensor out = Tensor::empty({2, 3}, DType::f32);
  EXPECT_THROW(ops::embedding_forward(Tensor::from_vector<int32_t>({1, 4}, {2}), table, out), Error);
  EXPECT_THROW(ops::embedding_forward(Tensor::from_vector<int64_t>({-1, 0}, {2}), table, out), Error);
  Tensor dtable = Tensor::zeros({4, 3}, DType::f32);
  const Tensor dout = Tensor::from_vector<float>({1, 1, 1, 1, 1, 1}, {2, 3});
  EXPECT_THROW(ops::embedding_backward(Tensor::from_vector<int32_t>({0, 7}, {2}), dout, dtable), Error);
  EXPECT_EQ(dtable.to_vector<float>(), std::vector<float>(12, 0.0f));  // left unchanged
}

TEST(Embedding, BadArgumentsAreRefused) {
  const Tensor table = Tensor::zeros({4, 3}, DType::f32);
  const Tensor ids = Tensor::zeros({2}, DType::i32);
  Tensor out = Tensor::empty({2, 3}, DType::f32), wide = Tensor::empty({2, 4}, DType::f32);
  Tensor out64 = Tensor::empty({2, 3}, DType::f64);
  EXPECT_THROW(ops::embedding_forward(ids, table, wide), Error);
  EXPECT_THROW(ops::embedding_forward(ids, table, out64), Error);
  EXPECT_THROW(ops::embedding_forward(Tensor::zeros({2}, DType::f32), table, out), Error);
  EXPECT_THROW(ops::embedding_forward(ids, Tensor::zeros({12}, DType::f32), out), Error);
}

}  // namespace
}  // namespace spindle
