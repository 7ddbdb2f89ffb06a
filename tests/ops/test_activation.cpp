// Elementwise activations on the CPU: gradients by finite differences in float64, values
// against known constants, the softplus threshold, float32 against float64.
#include <gtest/gtest.h>

#include <cmath>

#include "platform/ops/activation.h"
#include "platform/ops/convert.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using ops::Activation;
using testing::random_tensor;

struct Problem {
  Activation kind;
  int64_t n;
};

class ActivationGradcheck : public ::testing::TestWithParam<Problem> {};

TEST_P(ActivationGradcheck, AnalyticGradientsMatchFiniteDifferences) {
  const Problem p = GetParam();
  Tensor x = random_tensor({p.n}, DType::f64, 1, -4, 4);
  const Tensor dy = random_tensor(x.shape(), DType::f64, 2);
  Tensor dx = Tensor::empty(x.shape(), DType::f64), y = Tensor::empty(x.shape(), DType::f64);
  ops::activation_backward(x, dy, dx, p.kind);
  auto loss = [&] {
    ops::activation_forward(x, y, p.kind);
    return testing::weighted_sum(y, dy);
  };
  testing::expect_gradients_match(loss, {{"x", &x, &dx}});
}

INSTANTIATE_TEST_SUITE_P(Kinds, ActivationGradcheck,
                         ::testing::Values(Problem{Activation::silu, 1}, Problem{Activation::silu, 257},
                                           Problem{Activation::softplus, 3}, Problem{Activation::softplus, 1000},
                                           Problem{Activation::gelu_tanh, 17}, Problem{Activation::gelu_tanh, 1},
                                           Problem{Activation::gelu_erf, 17}, Problem{Activation::gelu_erf, 257},
                                           Problem{Activation::negative_exp, 1}, Problem{Activation::negative_exp, 33}));

double apply(Activation kind, double v) {
  const Tensor x = Tensor::from_vector<double>({v}, {1});
  Tensor y = Tensor::empty({1}, DType::f64);
  ops::activation_forward(x, y, kind);
  return y.to_vector<double>()[0];
}

double derivative(Activation kind, double v) {
  const Tensor x = Tensor::from_vector<double>({v}, {1}), dy = Tensor::from_vector<double>({1.0}, {1});
  Tensor dx = Tensor::empty({1}, DType::f64);
  ops::activation_backward(x, dy, dx, kind);
  return dx.to_vector<double>()[0];
}

TEST(Activation, KnownValues) {
  EXPECT_NEAR(apply(Activation::silu, 1.0), 0.7310585786300049, 1e-15);
  EXPECT_NEAR(apply(Activation::softplus, 0.0), std::log(2.0), 1e-15);
  EXPECT_NEAR(apply(Activation::gelu_erf, 1.0), 0.8413447460685429, 1e-15);
  EXPECT_NEAR(apply(Activation::gelu_tanh, 1.0), 0.8411919906082768, 1e-15);
  EXPECT_NEAR(apply(Activation::gelu_erf, -2.0), -0.04550026389635842, 1e-15);
  EXPECT_NEAR(apply(Activation::negative_exp, std::log(3.0)), -3.0, 1e-15);  // A_log = log(n) gives A = -n
}

TEST(Activation, SoftplusIsLinearAboveThreshold) {
  EXPECT_EQ(apply(Activation::softplus, 20.5), 20.5);
  EXPECT_EQ(derivative(Activation::softplus, 20.5), 1.0);
  EXPECT_NEAR(apply(Activation::softplus, 19.5), 19.5 + std::log1p(std::exp(-19.5)), 1e-13);
  EXPECT_NEAR(derivative(Activation::softplus, 19.5), 1 / (1 + std::exp(-19.5)), 1e-15);
  EXPECT_NEAR(apply(Activation::softplus, -50.0), std::exp(-50.0), 1e-30);
}

TEST(Activation, Float32AgreesWithFloat64) {
  const Tensor x = random_tensor({3, 1000}, DType::f64, 1, -6, 6);
  const Tensor x32 = ops::converted(x, DType::f32);
  for (Activation kind : {Activation::silu, Activation::softplus, Activation::gelu_tanh, Activation::gelu_erf,
                          Activation::negative_exp}) {
    Tensor y64 = Tensor::empty(x.shape(), DType::f64), y32 = Tensor::empty(x.shape(), DType::f32);
    ops::activation_forward(x, y64, kind);
    ops::activation_forward(x32, y32, kind);
    EXPECT_LT(testing::relative_error(y32, y64), 1e-6);
  }
}

TEST(Activation, BadArgumentsAreRefused) {
  const Tensor x = Tensor::zeros({4}, DType::f32);
  Tensor y_short = Tensor::empty({3}, DType::f32), y64 = Tensor::empty({4}, DType::f64);
  EXPECT_THROW(ops::activation_forward(x, y_short, Activation::silu), Error);
  EXPECT_THROW(ops::activation_forward(x, y64, Activation::silu), Error);
  Tensor ints = Tensor::zeros({4}, DType::i32);
  EXPECT_THROW(ops::activation_forward(ints, ints, Activation::silu), Error);
}

}  // namespace
}  // namespace spindle
