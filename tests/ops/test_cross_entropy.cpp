// Softmax cross-entropy on the CPU: the loss against the definition -sum q log softmax
// with the smoothed target q, logits' gradient by finite differences in float64, ignored
// rows, large logits, a 65536-word vocabulary in float32, bad targets and arguments.
#include <gtest/gtest.h>

#include <cmath>

#include "platform/ops/convert.h"
#include "platform/ops/cross_entropy.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

struct Result {
  Tensor loss, dlogits;
  int64_t valid_rows;
};

Result run(const Tensor& logits, const Tensor& targets, const ops::CrossEntropyArgs& args) {
  Result r{Tensor::empty({logits.size(0)}, logits.dtype()), Tensor::empty(logits.shape(), logits.dtype()), -1};
  Tensor valid = Tensor::empty({1}, DType::i64);
  ops::cross_entropy(logits, targets, r.loss, &r.dlogits, valid, args);
  r.valid_rows = valid.to_vector<int64_t>()[0];
  return r;
}

TEST(CrossEntropy, LossIsSmoothedTargetCrossEntropy) {
  const int64_t rows = 4, vocab = 5;
  const Tensor logits = random_tensor({rows, vocab}, DType::f64, 1, -3, 3);
  const Tensor targets = Tensor::from_vector<int64_t>({4, 0, -100, 2}, {rows});
  for (double eps : {0.0, 0.1, 0.5}) {
    const Result r = run(logits, targets, {-100, eps, 1.0});
    EXPECT_EQ(r.valid_rows, 3);
    const std::vector<double> z = logits.to_vector<double>(), loss = r.loss.to_vector<double>();
    const std::vector<int64_t> t = targets.to_vector<int64_t>();
    for (int64_t row = 0; row < rows; ++row) {
      if (t[row] == -100) {
        EXPECT_EQ(loss[row], 0.0);
        continue;
      }
      double norm = 0;
      for (int64_t k = 0; k < vocab; ++k) norm += std::exp(z[row * vocab + k]);
      double expected = 0;
      for (int64_t k = 0; k < vocab; ++k) {
        const double q = (k == t[row] ? 1 - eps : 0) + eps / vocab;
        expected -= q * std::log(std::exp(z[row * vocab + k]) / norm);
      }
      EXPECT_NEAR(loss[row], expected, 1e-13) << "row " << row << " eps " << eps;
    }
  }
}

struct Problem {
  int64_t rows, vocab;
  double label_smoothing;
  bool int64_targets;
};

class CrossEntropyGradcheck : public ::testing::TestWithParam<Problem> {};

TEST_P(CrossEntropyGradcheck, LogitsGradientMatchesFiniteDifferences) {
  const Problem p = GetParam();
  std::vector<int64_t> t(static_cast<size_t>(p.rows));
  for (int64_t r = 0; r < p.rows; ++r) t[r] = r % 4 == 2 ? -100 : (r * 7 + 1) % p.vocab;  // every 4th row ignored
  const Tensor targets = p.int64_targets ? Tensor::from_vector(t, {p.rows})
                                         : Tensor::from_vector(std::vector<int32_t>(t.begin(), t.end()), {p.rows});
  Tensor logits = random_tensor({p.rows, p.vocab}, DType::f64, 1, -4, 4);
  const double scale = 0.7;
  const ops::CrossEntropyArgs args{-100, p.label_smoothing, scale};
  const Result analytic = run(logits, targets, args);
  const Tensor weights = Tensor::from_vector(std::vector<double>(p.rows, scale), {p.rows});
  Tensor loss = Tensor::empty({p.rows}, DType::f64), valid = Tensor::empty({1}, DType::i64);
  auto total = [&] {
    ops::cross_entropy(logits, targets, loss, nullptr, valid, args);
    return testing::weighted_sum(loss, weights);
  };
  testing::expect_gradients_match(total, {{"logits", &logits, &analytic.dlogits}});
}

INSTANTIATE_TEST_SUITE_P(Shapes, CrossEntropyGradcheck,
                         ::testing::Values(Problem{1, 1, 0.0, true}, Problem{3, 3, 0.1, false},
                                           Problem{5, 17, 0.0, true}, Problem{3, 257, 0.2, false},
                                           Problem{2, 1000, 0.1, true}, Problem{9, 12, 0.0, false}));

TEST(CrossEntropy, IgnoredRowsHaveZeroGradient) {
  const Tensor logits = random_tensor({3, 7}, DType::f64, 2);
  const Result r = run(logits, Tensor::from_vector<int32_t>({-1, 3, -1}, {3}), {-1, 0.1, 1.0});
  EXPECT_EQ(r.valid_rows, 1);
  const std::vector<double> d = r.dlogits.to_vector<double>();
  for (int64_t k = 0; k < 7; ++k) {
    EXPECT_EQ(d[k], 0.0);
    EXPECT_EQ(d[14 + k], 0.0);
  }
  double row_sum = 0;  // softmax and the smoothed target both sum to 1
  for (int64_t k = 0; k < 7; ++k) row_sum += d[7 + k];
  EXPECT_NEAR(row_sum, 0.0, 1e-15);
}

TEST(CrossEntropy, LargeLogitsStayFinite) {
  const Tensor logits = Tensor::from_vector<float>({1000, 1000, -1000, 3e4f, 0, 0}, {2, 3});
  const Result r = run(logits, Tensor::from_vector<int32_t>({0, 1}, {2}), {});
  const std::vector<float> loss = r.loss.to_vector<float>();
  EXPECT_NEAR(loss[0], std::log(2.0f), 1e-6);
  EXPECT_NEAR(loss[1], 3e4f, 1.0f);
  for (float v : r.dlogits.to_vector<float>()) EXPECT_TRUE(std::isfinite(v));
}

TEST(CrossEntropy, LargeVocabularyFloat32AgreesWithFloat64) {
  const int64_t rows = 3, vocab = 65536;
  const Tensor logits = random_tensor({rows, vocab}, DType::f64, 3, -10, 10);
  const Tensor targets = Tensor::from_vector<int64_t>({65535, 0, 31337}, {rows});
  const ops::CrossEntropyArgs args{-100, 0.1, 1.0 / 3};
  const Result r64 = run(logits, targets, args);
  const Result r32 = run(ops::converted(logits, DType::f32), targets, args);
  EXPECT_LT(testing::relative_error(r32.loss, r64.loss), 1e-5);
  EXPECT_LT(testing::relative_error(r32.dlogits, r64.dlogits), 1e-5);
}

TEST(CrossEntropy, BadTargetsAndArgumentsAreRefused) {
  const Tensor logits = Tensor::zeros({2, 4}, DType::f32);
  Tensor loss = Tensor::empty({2}, DType::f32), valid = Tensor::empty({1}, DType::i64);
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::from_vector<int32_t>({0, 4}, {2}), loss, nullptr, valid), Error);
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::from_vector<int32_t>({0, -5}, {2}), loss, nullptr, valid), Error);
  const Tensor targets = Tensor::from_vector<int32_t>({0, 1}, {2});
  EXPECT_THROW(ops::cross_entropy(logits, targets, loss, nullptr, valid, {-100, 1.0, 1.0}), Error);
  Tensor loss64 = Tensor::empty({2}, DType::f64);
  EXPECT_THROW(ops::cross_entropy(logits, targets, loss64, nullptr, valid), Error);
  Tensor valid32 = Tensor::empty({1}, DType::i32);
  EXPECT_THROW(ops::cross_entropy(logits, targets, loss, nullptr, valid32), Error);
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::from_vector<float>({0, 1}, {2}), loss, nullptr, valid), Error);
}

}  // namespace
}  // namespace spindle
