// Matrix products and the linear layer on the CPU: matmul against a plain triple loop for
// every transpose, batch and sharing combination (including Mamba's transposed-output
// in_proj), gradients of linear_backward by finite differences in float64, accumulation.
#include <gtest/gtest.h>

#include <cmath>

#include "platform/ops/matmul.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

struct MatmulProblem {
  int64_t batch, m, k, n;
  bool transpose_a, transpose_b, shared_a, shared_b, bias;
  double alpha, beta;
};

// c = alpha op(a) op(b) + beta c0 + bias by the definition, in float64.
Tensor naive_matmul(const Tensor& a, const Tensor& b, const Tensor& c0, const Tensor* bias, const MatmulProblem& p) {
  const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> cv = c0.to_vector<double>();
  for (int64_t i = 0; i < p.batch; ++i) {
    const double* ai = av.data() + (p.shared_a ? 0 : i * p.m * p.k);
    const double* bi = bv.data() + (p.shared_b ? 0 : i * p.k * p.n);
    for (int64_t r = 0; r < p.m; ++r) {
      for (int64_t j = 0; j < p.n; ++j) {
        double sum = 0;
        for (int64_t e = 0; e < p.k; ++e) {
          const double x = p.transpose_a ? ai[e * p.m + r] : ai[r * p.k + e];
          const double y = p.transpose_b ? bi[j * p.k + e] : bi[e * p.n + j];
          sum += x * y;
        }
        double& out = cv[(i * p.m + r) * p.n + j];
        out = p.alpha * sum + p.beta * out + (bias ? bias->data<double>()[j] : 0.0);
      }
    }
  }
  return Tensor::from_vector(cv, c0.shape());
}

class MatmulDefinition : public ::testing::TestWithParam<MatmulProblem> {};

TEST_P(MatmulDefinition, MatchesTripleLoop) {
  const MatmulProblem p = GetParam();
  Shape a_shape = p.transpose_a ? Shape{p.k, p.m} : Shape{p.m, p.k};
  Shape b_shape = p.transpose_b ? Shape{p.n, p.k} : Shape{p.k, p.n};
  Shape c_shape{p.m, p.n};
  if (p.batch > 1) {
    if (!p.shared_a) a_shape.insert(a_shape.begin(), p.batch);
    if (!p.shared_b) b_shape.insert(b_shape.begin(), p.batch);
    c_shape.insert(c_shape.begin(), p.batch);
  }
  const Tensor a = random_tensor(a_shape, DType::f64, 1), b = random_tensor(b_shape, DType::f64, 2);
  const Tensor bias = random_tensor({p.n}, DType::f64, 3);
  const Tensor c0 = random_tensor(c_shape, DType::f64, 4);
  // With beta == 0 the output is written: NaN in it must not leak.
  Tensor c = p.beta == 0 ? testing::poisoned(c_shape, DType::f64, Device::cpu()) : random_tensor(c_shape, DType::f64, 4);
  ops::matmul(a, b, c, {p.transpose_a, p.transpose_b, p.alpha, p.beta, p.bias ? &bias : nullptr});
  EXPECT_LT(testing::relative_error(c, naive_matmul(a, b, c0, p.bias ? &bias : nullptr, p)), 1e-14);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatmulDefinition,
    ::testing::Values(MatmulProblem{1, 1, 1, 1, false, false, false, false, false, 1, 0},
                      MatmulProblem{1, 37, 129, 65, false, false, false, false, true, 1, 0},
                      MatmulProblem{1, 37, 129, 65, true, false, false, false, false, 0.5, 0.25},
                      MatmulProblem{1, 37, 129, 65, false, true, false, false, true, 1, 1},
                      MatmulProblem{1, 7, 3, 5, true, true, false, false, true, -2, 0},
                      MatmulProblem{3, 50, 33, 17, false, false, false, false, false, 1, 0},
                      MatmulProblem{3, 50, 33, 17, true, true, false, false, true, 1, 0.5},
                      MatmulProblem{3, 50, 33, 17, false, false, true, false, true, 1, 0},
                      MatmulProblem{4, 6, 9, 11, false, true, false, true, false, 1, 0}));

// Mamba's in_proj producing its output transposed: xz[b] = W x[b]^T, (batch, 2 d_inner, length).
TEST(Matmul, TransposedOutputProjection) {
  const int64_t batch = 2, length = 13, d_model = 6, d_inner2 = 10;
  const Tensor x = random_tensor({batch, length, d_model}, DType::f64, 1);
  const Tensor w = random_tensor({d_inner2, d_model}, DType::f64, 2);
  Tensor xz = Tensor::empty({batch, d_inner2, length}, DType::f64);
  ops::matmul(w, x, xz, {.transpose_b = true});
  const double* xv = x.data<double>();
  const double* wv = w.data<double>();
  const double* out = xz.data<double>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < d_inner2; ++c) {
      for (int64_t t = 0; t < length; ++t) {
        double sum = 0;
        for (int64_t e = 0; e < d_model; ++e) sum += wv[c * d_model + e] * xv[(b * length + t) * d_model + e];
        EXPECT_NEAR(out[(b * d_inner2 + c) * length + t], sum, 1e-13);
      }
    }
  }
}

struct LinearProblem {
  Shape x_shape;
  int64_t out;
  bool bias;
};

class LinearGradcheck : public ::testing::TestWithParam<LinearProblem> {};

TEST_P(LinearGradcheck, AnalyticGradientsMatchFiniteDifferences) {
  const LinearProblem p = GetParam();
  Tensor x = random_tensor(p.x_shape, DType::f64, 1);
  Tensor weight = random_tensor({p.out, p.x_shape.back()}, DType::f64, 2);
  Tensor bias = random_tensor({p.out}, DType::f64, 3);
  Shape y_shape = p.x_shape;
  y_shape.back() = p.out;
  const Tensor dy = random_tensor(y_shape, DType::f64, 4);
  Tensor dx = testing::poisoned(x.shape(), DType::f64, Device::cpu());
  Tensor dweight = Tensor::zeros(weight.shape(), DType::f64);
  Tensor dbias = Tensor::zeros(bias.shape(), DType::f64);
  ops::linear_backward(x, weight, dy, dx, dweight, p.bias ? &dbias : nullptr);

  Tensor y = Tensor::empty(y_shape, DType::f64);
  auto loss = [&] {
    ops::linear_forward(x, weight, p.bias ? &bias : nullptr, y);
    return testing::weighted_sum(y, dy);
  };
  std::vector<testing::GradcheckInput> inputs{{"x", &x, &dx}, {"weight", &weight, &dweight}};
  if (p.bias) inputs.push_back({"bias", &bias, &dbias});
  testing::expect_gradients_match(loss, inputs);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearGradcheck,
                         ::testing::Values(LinearProblem{{1, 1}, 1, true}, LinearProblem{{5, 3}, 4, true},
                                           LinearProblem{{2, 3, 7}, 5, false}, LinearProblem{{9, 2}, 1, true}));

TEST(Linear, ParameterGradientsAccumulate) {
  const Tensor x = random_tensor({6, 4}, DType::f64, 1), weight = random_tensor({3, 4}, DType::f64, 2);
  const Tensor dy = random_tensor({6, 3}, DType::f64, 3);
  Tensor dx = Tensor::empty(x.shape(), DType::f64);
  Tensor once = Tensor::zeros(weight.shape(), DType::f64), once_bias = Tensor::zeros({3}, DType::f64);
  ops::linear_backward(x, weight, dy, dx, once, &once_bias);
  Tensor twice = Tensor::zeros(weight.shape(), DType::f64), twice_bias = Tensor::zeros({3}, DType::f64);
  ops::linear_backward(x, weight, dy, dx, twice, &twice_bias);
  ops::linear_backward(x, weight, dy, dx, twice, &twice_bias);
  for (const auto& [a, b] : {std::pair{&once, &twice}, std::pair{&once_bias, &twice_bias}}) {
    const std::vector<double> av = a->to_vector<double>(), bv = b->to_vector<double>();
    for (size_t i = 0; i < av.size(); ++i) EXPECT_NEAR(bv[i], 2 * av[i], 1e-12 * std::abs(av[i]) + 1e-15);
  }
}

TEST(Matmul, BadArgumentsAreRefused) {
  const Tensor a = Tensor::empty({4, 5}, DType::f32), b = Tensor::empty({5, 6}, DType::f32);
  Tensor c = Tensor::empty({4, 6}, DType::f32);
  EXPECT_NO_THROW(ops::matmul(a, b, c));
  EXPECT_THROW(ops::matmul(a, Tensor::empty({4, 6}, DType::f32), c), Error);         // inner sizes
  EXPECT_THROW(ops::matmul(a, b, c, {.transpose_a = true}), Error);                  // (5, 4)^T
  EXPECT_THROW(ops::matmul(a, Tensor::empty({5, 6}, DType::f64), c), Error);         // dtypes
  Tensor c_batched = Tensor::empty({2, 4, 6}, DType::f32);
  EXPECT_THROW(ops::matmul(Tensor::empty({3, 4, 5}, DType::f32), b, c_batched), Error);  // batch sizes
  Tensor c3 = Tensor::empty({4, 6}, DType::f32);
  EXPECT_THROW(ops::matmul(Tensor::empty({2, 4, 5}, DType::f32), b, c3), Error);    // 3-D a, 2-D c
  const Tensor bias = Tensor::empty({4}, DType::f32);
  EXPECT_THROW(ops::matmul(a, b, c, {.bias = &bias}), Error);                        // bias is (n)
  Tensor y = Tensor::empty({4, 3}, DType::f32);
  EXPECT_THROW(ops::linear_forward(a, Tensor::empty({3, 4}, DType::f32), nullptr, y), Error);  // in 5 vs 4
}

}  // namespace
}  // namespace spindle
