// Causal depthwise conv1d on the CPU: gradients by finite differences in float64,
// chunked equivalence through the context argument, float32 against float64.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "platform/ops/conv1d.h"
#include "platform/ops/convert.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

// The optional inputs may be off: no bias (the SiLU's preactivation then has none either),
// no context (zeros before the sequence, no dcontext), and a context given without its
// gradient asked for. Default tolerance (1e-6).
struct Problem {
  int64_t batch, channels, length;
  int width;
  bool silu;
  bool bias = true, context = true, dcontext = true;
};

class Conv1dGradcheck : public ::testing::TestWithParam<Problem> {};

TEST_P(Conv1dGradcheck, AnalyticGradientsMatchFiniteDifferences) {
  const Problem p = GetParam();
  Tensor x = random_tensor({p.batch, p.channels, p.length}, DType::f64, 1);
  Tensor weight = random_tensor({p.channels, p.width}, DType::f64, 2);
  Tensor bias = random_tensor({p.channels}, DType::f64, 3);
  Tensor context = random_tensor({p.batch, p.channels, p.width - 1}, DType::f64, 4);
  const Tensor dy = random_tensor(x.shape(), DType::f64, 5);
  const ops::Conv1dArgs args{p.bias ? &bias : nullptr, p.context ? &context : nullptr, p.silu};

  Tensor dx = testing::poisoned(x.shape(), DType::f64, Device::cpu());
  Tensor dweight = Tensor::zeros(weight.shape(), DType::f64);
  Tensor dbias = Tensor::zeros(bias.shape(), DType::f64);
  Tensor dcontext = testing::poisoned(context.shape(), DType::f64, Device::cpu());
  ops::causal_conv1d_backward(x, weight, dy, dx, dweight, p.bias ? &dbias : nullptr, p.dcontext ? &dcontext : nullptr,
                              args);

  Tensor y = Tensor::empty(x.shape(), DType::f64);
  auto loss = [&] {
    ops::causal_conv1d_forward(x, weight, y, args);
    return testing::weighted_sum(y, dy);
  };
  std::vector<testing::GradcheckInput> inputs{{"x", &x, &dx}, {"weight", &weight, &dweight}};
  if (p.bias) inputs.push_back({"bias", &bias, &dbias});
  if (p.context && p.dcontext) inputs.push_back({"context", &context, &dcontext});
  testing::expect_gradients_match(loss, inputs);
  if (!p.context && p.dcontext) {  // the gradient of the zeros before the sequence
    Tensor zeros = Tensor::zeros(context.shape(), DType::f64);
    const ops::Conv1dArgs with_zeros{args.bias, &zeros, p.silu};
    auto loss_from_zeros = [&] {
      ops::causal_conv1d_forward(x, weight, y, with_zeros);
      return testing::weighted_sum(y, dy);
    };
    testing::expect_gradients_match(loss_from_zeros, {{"context (zeros, not given)", &zeros, &dcontext}});
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Conv1dGradcheck,
                         ::testing::Values(Problem{1, 1, 1, 4, true}, Problem{2, 3, 17, 4, true},
                                           Problem{1, 2, 5, 1, false}, Problem{2, 2, 3, 8, true},
                                           Problem{1, 3, 11, 2, false}, Problem{3, 1, 9, 7, true}));
INSTANTIATE_TEST_SUITE_P(Options, Conv1dGradcheck,
                         ::testing::Values(Problem{2, 3, 9, 4, true, false, true, true},
                                           Problem{2, 3, 9, 4, true, true, false, false},
                                           Problem{1, 2, 6, 3, true, false, false, true},
                                           Problem{1, 2, 6, 4, false, false, false, false},
                                           Problem{2, 2, 2, 4, true, true, true, false},
                                           Problem{1, 1, 1, 8, true, false, false, true}));

TEST(Conv1d, ParameterGradientsAccumulate) {
  const Tensor x = random_tensor({2, 3, 10}, DType::f64, 1);
  const Tensor weight = random_tensor({3, 4}, DType::f64, 2);
  const Tensor dy = random_tensor(x.shape(), DType::f64, 3);
  Tensor dx = Tensor::empty(x.shape(), DType::f64);
  Tensor once = Tensor::zeros(weight.shape(), DType::f64);
  ops::causal_conv1d_backward(x, weight, dy, dx, once, nullptr, nullptr, {});
  Tensor twice = Tensor::zeros(weight.shape(), DType::f64);
  ops::causal_conv1d_backward(x, weight, dy, dx, twice, nullptr, nullptr, {});
  ops::causal_conv1d_backward(x, weight, dy, dx, twice, nullptr, nullptr, {});
  const std::vector<double> a = once.to_vector<double>(), b = twice.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], 2 * a[i], 1e-12 * std::abs(a[i]) + 1e-15);
}

// A sequence convolved in two pieces, the second given the first's last width-1 inputs
// as context, equals the sequence convolved whole; and the gradients add up.
TEST(Conv1d, TwoPiecesWithContextEqualWhole) {
  const int64_t batch = 2, channels = 3, length = 29, split = 12;
  const int width = 4;
  const Tensor x = random_tensor({batch, channels, length}, DType::f64, 7);
  const Tensor weight = random_tensor({channels, width}, DType::f64, 8);
  const Tensor bias = random_tensor({channels}, DType::f64, 9);
  const Tensor dy = random_tensor(x.shape(), DType::f64, 10);

  Tensor y = Tensor::empty(x.shape(), DType::f64);
  ops::causal_conv1d_forward(x, weight, y, {&bias, nullptr, true});
  Tensor dx = Tensor::empty(x.shape(), DType::f64);
  Tensor dweight = Tensor::zeros(weight.shape(), DType::f64);
  ops::causal_conv1d_backward(x, weight, dy, dx, dweight, nullptr, nullptr, {&bias, nullptr, true});

  const Tensor x1 = x.slice(-1, 0, split).contiguous(), x2 = x.slice(-1, split, length).contiguous();
  const Tensor context = x.slice(-1, split - (width - 1), split).contiguous();
  Tensor y1 = Tensor::empty(x1.shape(), DType::f64), y2 = Tensor::empty(x2.shape(), DType::f64);
  ops::causal_conv1d_forward(x1, weight, y1, {&bias, nullptr, true});
  ops::causal_conv1d_forward(x2, weight, y2, {&bias, &context, true});
  EXPECT_LT(testing::relative_error(y1, y.slice(-1, 0, split)), 1e-15);
  EXPECT_LT(testing::relative_error(y2, y.slice(-1, split, length)), 1e-15);

  Tensor dx1 = Tensor::empty(x1.shape(), DType::f64), dx2 = Tensor::empty(x2.shape(), DType::f64);
  Tensor dcontext = Tensor::empty(context.shape(), DType::f64);
  Tensor dweight_pieces = Tensor::zeros(weight.shape(), DType::f64);
  ops::causal_conv1d_backward(x1, weight, dy.slice(-1, 0, split).contiguous(), dx1, dweight_pieces, nullptr, nullptr,
                              {&bias, nullptr, true});
  ops::causal_conv1d_backward(x2, weight, dy.slice(-1, split, length).contiguous(), dx2, dweight_pieces, nullptr,
                              &dcontext, {&bias, &context, true});
  EXPECT_LT(testing::relative_error(dweight_pieces, dweight), 1e-14);
  EXPECT_LT(testing::relative_error(dx2, dx.slice(-1, split, length)), 1e-15);
  // The first piece's tail also feeds the second piece: its gradient is dx1 + dcontext there.
  std::vector<double> joined = dx1.to_vector<double>();
  const std::vector<double> extra = dcontext.to_vector<double>();
  for (int64_t row = 0; row < batch * channels; ++row) {
    for (int k = 0; k < width - 1; ++k) joined[row * split + split - (width - 1) + k] += extra[row * (width - 1) + k];
  }
  EXPECT_LT(testing::relative_error(Tensor::from_vector(joined, x1.shape()), dx.slice(-1, 0, split)), 1e-14);
}

TEST(Conv1d, Float32AgreesWithFloat64) {
  const Tensor x = random_tensor({2, 5, 1000}, DType::f64, 1);
  const Tensor weight = random_tensor({5, 4}, DType::f64, 2);
  Tensor y64 = Tensor::empty(x.shape(), DType::f64), y32 = Tensor::empty(x.shape(), DType::f32);
  ops::causal_conv1d_forward(x, weight, y64, {});
  const Tensor w32 = ops::converted(weight, DType::f32);
  ops::causal_conv1d_forward(ops::converted(x, DType::f32), w32, y32, {});
  EXPECT_LT(testing::relative_error(y32, y64), 1e-6);
}

TEST(Conv1d, BadArgumentsAreRefused) {
  const Tensor x = Tensor::empty({1, 2, 8}, DType::f32);
  Tensor y = Tensor::empty({1, 2, 8}, DType::f32);
  EXPECT_THROW(ops::causal_conv1d_forward(x, Tensor::empty({2, 9}, DType::f32), y, {}), Error);  // width 9
  EXPECT_THROW(ops::causal_conv1d_forward(x, Tensor::empty({3, 4}, DType::f32), y, {}), Error);  // channels
  EXPECT_THROW(ops::causal_conv1d_forward(x, Tensor::empty({2, 4}, DType::f64), y, {}), Error);  // dtype
  Tensor y_short = Tensor::empty({1, 2, 7}, DType::f32);
  EXPECT_THROW(ops::causal_conv1d_forward(x, Tensor::empty({2, 4}, DType::f32), y_short, {}), Error);
  const Tensor bad_context = Tensor::empty({1, 2, 2}, DType::f32);
  const ops::Conv1dArgs args{nullptr, &bad_context, true};
  EXPECT_THROW(ops::causal_conv1d_forward(x, Tensor::empty({2, 4}, DType::f32), y, args), Error);
}

}  // namespace
}  // namespace spindle
