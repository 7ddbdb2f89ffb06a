// LayerNorm / RMSNorm with fused residual add on the CPU: gradients by finite differences
// in float64 (through both outputs, y and residual_out), hand-computed values, float32
// against float64, accumulation, bad arguments.
#include <gtest/gtest.h>

#include <cmath>

#include "platform/ops/convert.h"
#include "platform/ops/residual_norm.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using ops::NormKind;
using testing::random_tensor;

struct Problem {
  NormKind kind;
  int64_t rows, dim;
  bool residual, bias, dresidual_out;
};

class ResidualNormGradcheck : public ::testing::TestWithParam<Problem> {};

TEST_P(ResidualNormGradcheck, AnalyticGradientsMatchFiniteDifferences) {
  const Problem p = GetParam();
  Tensor x = random_tensor({p.rows, p.dim}, DType::f64, 1);
  Tensor residual = random_tensor(x.shape(), DType::f64, 2);
  Tensor weight = random_tensor({p.dim}, DType::f64, 3, 0.5, 1.5);
  Tensor bias = random_tensor({p.dim}, DType::f64, 4);
  const Tensor dy = random_tensor(x.shape(), DType::f64, 5);
  const Tensor dresidual_out = random_tensor(x.shape(), DType::f64, 6);
  const ops::ResidualNormArgs args{p.kind, 1e-5, p.residual ? &residual : nullptr, p.bias ? &bias : nullptr};

  Tensor y = Tensor::empty(x.shape(), DType::f64), residual_out = Tensor::empty(x.shape(), DType::f64);
  ops::residual_norm_forward(x, weight, y, residual_out, args);
  Tensor dx = Tensor::empty(x.shape(), DType::f64), dresidual = Tensor::empty(x.shape(), DType::f64);
  Tensor dweight = Tensor::zeros(weight.shape(), DType::f64), dbias = Tensor::zeros(bias.shape(), DType::f64);
  ops::residual_norm_backward(residual_out, weight, dy, p.dresidual_out ? &dresidual_out : nullptr, dx, &dresidual,
                              dweight, p.bias ? &dbias : nullptr, args);

  auto loss = [&] {
    ops::residual_norm_forward(x, weight, y, residual_out, args);
    return testing::weighted_sum(y, dy) + (p.dresidual_out ? testing::weighted_sum(residual_out, dresidual_out) : 0.0);
  };
  std::vector<testing::GradcheckInput> inputs{{"x", &x, &dx}, {"weight", &weight, &dweight}};
  if (p.residual) inputs.push_back({"residual", &residual, &dresidual});
  if (p.bias) inputs.push_back({"bias", &bias, &dbias});
  testing::expect_gradients_match(loss, inputs);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ResidualNormGradcheck,
    ::testing::Values(Problem{NormKind::rms, 1, 1, true, false, true}, Problem{NormKind::layer, 1, 1, true, true, true},
                      Problem{NormKind::rms, 3, 17, true, false, true}, Problem{NormKind::layer, 3, 17, true, true, true},
                      Problem{NormKind::rms, 2, 3, false, true, false}, Problem{NormKind::layer, 5, 3, false, false, false},
                      Problem{NormKind::rms, 2, 257, true, false, false}, Problem{NormKind::layer, 2, 257, true, true, true},
                      Problem{NormKind::layer, 1, 1000, true, true, true}, Problem{NormKind::rms, 1, 1000, false, true, true}));

TEST(ResidualNorm, HandComputedRow) {
  // h = x + residual = (1, 2, 3, 6): mean 3, var (4 + 1 + 0 + 9) / 4 = 3.5, ms = 50 / 4 = 12.5.
  const Tensor x = Tensor::from_vector<double>({0.5, 1, 1.5, 3}, {1, 4});
  const Tensor residual = Tensor::from_vector<double>({0.5, 1, 1.5, 3}, {1, 4});
  const Tensor weight = Tensor::from_vector<double>({1, 2, 1, 1}, {4});
  const Tensor bias = Tensor::from_vector<double>({0, 0, 0, 1}, {4});
  Tensor y = Tensor::empty({1, 4}, DType::f64), residual_out = Tensor::empty({1, 4}, DType::f64);
  ops::residual_norm_forward(x, weight, y, residual_out, {NormKind::layer, 0.5, &residual, &bias});
  const double rstd = 1 / std::sqrt(3.5 + 0.5);
  const std::vector<double> layer = y.to_vector<double>();
  EXPECT_NEAR(layer[0], -2 * rstd, 1e-15);
  EXPECT_NEAR(layer[1], -2 * rstd, 1e-15);
  EXPECT_NEAR(layer[2], 0, 1e-15);
  EXPECT_NEAR(layer[3], 3 * rstd + 1, 1e-15);
  EXPECT_EQ(residual_out.to_vector<double>(), (std::vector<double>{1, 2, 3, 6}));
  ops::residual_norm_forward(x, weight, y, residual_out, {NormKind::rms, 0.5, &residual, nullptr});
  const double rms = 1 / std::sqrt(12.5 + 0.5);
  const std::vector<double> expected{rms, 4 * rms, 3 * rms, 6 * rms};
  const std::vector<double> got = y.to_vector<double>();
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], expected[i], 1e-15);
}

TEST(ResidualNorm, ParameterGradientsAccumulate) {
  const Tensor x = random_tensor({4, 9}, DType::f64, 1);
  const Tensor weight = random_tensor({9}, DType::f64, 2), bias = random_tensor({9}, DType::f64, 3);
  const Tensor dy = random_tensor(x.shape(), DType::f64, 4);
  const ops::ResidualNormArgs args{NormKind::layer, 1e-5, nullptr, &bias};
  Tensor y = Tensor::empty(x.shape(), DType::f64), residual_out = Tensor::empty(x.shape(), DType::f64);
  ops::residual_norm_forward(x, weight, y, residual_out, args);
  Tensor dx = Tensor::empty(x.shape(), DType::f64);
  Tensor once = Tensor::zeros({9}, DType::f64), twice = Tensor::zeros({9}, DType::f64);
  Tensor dbias = Tensor::zeros({9}, DType::f64);
  ops::residual_norm_backward(residual_out, weight, dy, nullptr, dx, nullptr, once, &dbias, args);
  for (int i = 0; i < 2; ++i) ops::residual_norm_backward(residual_out, weight, dy, nullptr, dx, nullptr, twice, &dbias, args);
  const std::vector<double> a = once.to_vector<double>(), b = twice.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], 2 * a[i], 1e-12 * std::abs(a[i]) + 1e-15);
}

TEST(ResidualNorm, Float32AgreesWithFloat64) {
  const Tensor x = random_tensor({3, 2, 1000}, DType::f64, 1), residual = random_tensor(x.shape(), DType::f64, 2);
  const Tensor weight = random_tensor({1000}, DType::f64, 3);
  Tensor y64 = Tensor::empty(x.shape(), DType::f64), r64 = Tensor::empty(x.shape(), DType::f64);
  ops::residual_norm_forward(x, weight, y64, r64, {NormKind::layer, 1e-5, &residual, nullptr});
  Tensor y32 = Tensor::empty(x.shape(), DType::f32), r32 = Tensor::empty(x.shape(), DType::f32);
  const Tensor residual32 = ops::converted(residual, DType::f32);
  ops::residual_norm_forward(ops::converted(x, DType::f32), ops::converted(weight, DType::f32), y32, r32,
                             {NormKind::layer, 1e-5, &residual32, nullptr});
  EXPECT_LT(testing::relative_error(y32, y64), 1e-6);
  EXPECT_LT(testing::relative_error(r32, r64), 1e-7);
}

TEST(ResidualNorm, BadArgumentsAreRefused) {
  const Tensor x = Tensor::zeros({2, 8}, DType::f32);
  Tensor y = Tensor::empty({2, 8}, DType::f32), residual_out = Tensor::empty({2, 8}, DType::f32);
  const Tensor weight = Tensor::zeros({8}, DType::f32);
  EXPECT_THROW(ops::residual_norm_forward(x, Tensor::zeros({7}, DType::f32), y, residual_out, {}), Error);
  EXPECT_THROW(ops::residual_norm_forward(x, Tensor::zeros({8}, DType::f64), y, residual_out, {}), Error);
  const Tensor short_residual = Tensor::zeros({1, 8}, DType::f32);
  EXPECT_THROW(ops::residual_norm_forward(x, weight, y, residual_out, {NormKind::rms, 1e-5, &short_residual}), Error);
  EXPECT_THROW(ops::residual_norm_forward(x, weight, y, residual_out, {NormKind::rms, 0.0}), Error);
  Tensor dx = Tensor::empty({2, 8}, DType::f32), dweight = Tensor::zeros({8}, DType::f32);
  Tensor dbias = Tensor::zeros({8}, DType::f32);
  EXPECT_THROW(ops::residual_norm_backward(residual_out, weight, x, nullptr, dx, nullptr, dweight, &dbias, {}), Error);
}

}  // namespace
}  // namespace spindle
