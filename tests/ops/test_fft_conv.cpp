// FFT long convolution on the CPU: the FFT path against the direct sums of the definition
// (causal and bidirectional), gradients by finite differences in float64, accumulation of
// dD, float32 against float64.
#include <gtest/gtest.h>

#include <cmath>

#include "platform/ops/convert.h"
#include "platform/ops/fft_conv.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

struct Problem {
  int64_t batch, channels, length;
  bool bidirectional;
  bool skip = true;  // the D u term (D null without it)
};

// y by the definition in kernels/fft_conv.h, O(L^2) sums in float64.
Tensor direct_sum(const Tensor& u, const Tensor& k_fwd, const Tensor* k_bwd, const Tensor& D) {
  const int64_t B = u.size(0), C = u.size(1), L = u.size(2);
  const double* uv = u.data<double>();
  const double* kf = k_fwd.data<double>();
  const double* dv = D.data<double>();
  std::vector<double> y(static_cast<size_t>(u.numel()));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t c = 0; c < C; ++c) {
      const double* row = uv + (b * C + c) * L;
      for (int64_t t = 0; t < L; ++t) {
        double sum = dv[c] * row[t];
        for (int64_t s = 0; s <= t; ++s) sum += kf[c * L + t - s] * row[s];
        if (k_bwd) {
          for (int64_t s = t + 1; s < L; ++s) sum += k_bwd->data<double>()[c * L + s - t - 1] * row[s];
        }
        y[(b * C + c) * L + t] = sum;
      }
    }
  }
  return Tensor::from_vector(y, u.shape());
}

class FftConvDefinition : public ::testing::TestWithParam<Problem> {};

TEST_P(FftConvDefinition, MatchesDirectSum) {
  const Problem p = GetParam();
  const Tensor u = random_tensor({p.batch, p.channels, p.length}, DType::f64, 1);
  const Tensor k_fwd = random_tensor({p.channels, p.length}, DType::f64, 2);
  const Tensor k_bwd = random_tensor({p.channels, p.length}, DType::f64, 3);
  const Tensor D = random_tensor({p.channels}, DType::f64, 4);
  const Tensor* backward = p.bidirectional ? &k_bwd : nullptr;
  Tensor y = testing::poisoned(u.shape(), DType::f64, Device::cpu());
  ops::fft_conv_forward(u, k_fwd, y, {backward, &D});
  EXPECT_LT(testing::relative_error(y, direct_sum(u, k_fwd, backward, D)), 1e-13);
}

class FftConvGradcheck : public ::testing::TestWithParam<Problem> {};

TEST_P(FftConvGradcheck, AnalyticGradientsMatchFiniteDifferences) {
  const Problem p = GetParam();
  Tensor u = random_tensor({p.batch, p.channels, p.length}, DType::f64, 1);
  Tensor k_fwd = random_tensor({p.channels, p.length}, DType::f64, 2);
  Tensor k_bwd = random_tensor({p.channels, p.length}, DType::f64, 3);
  Tensor D = random_tensor({p.channels}, DType::f64, 4);
  const Tensor dy = random_tensor(u.shape(), DType::f64, 5);
  const ops::FftConvArgs args{p.bidirectional ? &k_bwd : nullptr, p.skip ? &D : nullptr};

  Tensor du = testing::poisoned(u.shape(), DType::f64, Device::cpu());
  Tensor dk_fwd = testing::poisoned(k_fwd.shape(), DType::f64, Device::cpu());
  Tensor dk_bwd = testing::poisoned(k_bwd.shape(), DType::f64, Device::cpu());
  Tensor dD = Tensor::zeros(D.shape(), DType::f64);
  ops::fft_conv_backward(u, k_fwd, dy, du, dk_fwd, p.bidirectional ? &dk_bwd : nullptr, p.skip ? &dD : nullptr,
                         args);

  Tensor y = Tensor::empty(u.shape(), DType::f64);
  auto loss = [&] {
    ops::fft_conv_forward(u, k_fwd, y, args);
    return testing::weighted_sum(y, dy);
  };
  std::vector<testing::GradcheckInput> inputs{{"u", &u, &du}, {"k_fwd", &k_fwd, &dk_fwd}};
  if (p.skip) inputs.push_back({"D", &D, &dD});
  if (p.bidirectional) inputs.push_back({"k_bwd", &k_bwd, &dk_bwd});
  testing::expect_gradients_match(loss, inputs);
}

const auto kSmallProblems =
    ::testing::Values(Problem{1, 1, 1, false}, Problem{2, 3, 2, false}, Problem{2, 2, 7, false},
                      Problem{1, 2, 33, false}, Problem{1, 1, 1, true}, Problem{2, 3, 2, true},
                      Problem{2, 2, 7, true}, Problem{1, 2, 33, true});
INSTANTIATE_TEST_SUITE_P(Shapes, FftConvDefinition, kSmallProblems);
INSTANTIATE_TEST_SUITE_P(Shapes, FftConvGradcheck, kSmallProblems);

// Without the skip term (D null), causal and bidirectional. Default tolerance (1e-6).
INSTANTIATE_TEST_SUITE_P(NoSkip, FftConvGradcheck,
                         ::testing::Values(Problem{1, 1, 1, false, false}, Problem{2, 2, 7, false, false},
                                           Problem{1, 2, 17, true, false}, Problem{2, 1, 2, true, false}));

TEST(FftConv, SkipGradientAccumulatesAndKernelGradientsAreWritten) {
  const Tensor u = random_tensor({2, 3, 20}, DType::f64, 1), k = random_tensor({3, 20}, DType::f64, 2);
  const Tensor D = random_tensor({3}, DType::f64, 3), dy = random_tensor(u.shape(), DType::f64, 4);
  Tensor du = Tensor::empty(u.shape(), DType::f64);
  Tensor dk_once = Tensor::empty(k.shape(), DType::f64), dk_twice = Tensor::empty(k.shape(), DType::f64);
  Tensor once = Tensor::zeros({3}, DType::f64), twice = Tensor::zeros({3}, DType::f64);
  ops::fft_conv_backward(u, k, dy, du, dk_once, nullptr, &once, {nullptr, &D});
  ops::fft_conv_backward(u, k, dy, du, dk_twice, nullptr, &twice, {nullptr, &D});
  ops::fft_conv_backward(u, k, dy, du, dk_twice, nullptr, &twice, {nullptr, &D});
  EXPECT_LT(testing::relative_error(dk_twice, dk_once), 1e-15);
  const std::vector<double> a = once.to_vector<double>(), b = twice.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], 2 * a[i], 1e-12 * std::abs(a[i]) + 1e-15);
}

TEST(FftConv, Float32AgreesWithFloat64) {
  const Tensor u = random_tensor({2, 3, 1000}, DType::f64, 1), k = random_tensor({3, 1000}, DType::f64, 2);
  const Tensor kb = random_tensor({3, 1000}, DType::f64, 3), D = random_tensor({3}, DType::f64, 4);
  Tensor y64 = Tensor::empty(u.shape(), DType::f64), y32 = Tensor::empty(u.shape(), DType::f32);
  ops::fft_conv_forward(u, k, y64, {&kb, &D});
  const Tensor kb32 = ops::converted(kb, DType::f32), D32 = ops::converted(D, DType::f32);
  ops::fft_conv_forward(ops::converted(u, DType::f32), ops::converted(k, DType::f32), y32, {&kb32, &D32});
  EXPECT_LT(testing::relative_error(y32, y64), 1e-5);
}

TEST(FftConv, BadArgumentsAreRefused) {
  const Tensor u = Tensor::empty({1, 2, 8}, DType::f32), k = Tensor::empty({2, 8}, DType::f32);
  Tensor y = Tensor::empty({1, 2, 8}, DType::f32);
  EXPECT_THROW(ops::fft_conv_forward(u, Tensor::empty({2, 7}, DType::f32), y), Error);  // kernel length
  EXPECT_THROW(ops::fft_conv_forward(u, Tensor::empty({2, 8}, DType::f64), y), Error);  // dtype
  const Tensor D = Tensor::empty({3}, DType::f32);
  EXPECT_THROW(ops::fft_conv_forward(u, k, y, {nullptr, &D}), Error);                   // D channels
  Tensor du = Tensor::empty(u.shape(), DType::f32), dk = Tensor::empty(k.shape(), DType::f32);
  Tensor dk_bwd = Tensor::empty(k.shape(), DType::f32);
  EXPECT_THROW(ops::fft_conv_backward(u, k, y, du, dk, &dk_bwd, nullptr), Error);        // causal with dk_bwd
  EXPECT_THROW(ops::fft_conv_backward(u, k, y, du, dk, nullptr, nullptr, {&k, nullptr}), Error);  // no dk_bwd
  // A forward path the length does not support is refused (one_block: powers of two from 2^10
  // to 2^14; own_rows: from 2^14 to 2^19).
  const Tensor u12 = Tensor::empty({1, 2, 12}, DType::f32), k12 = Tensor::empty({2, 12}, DType::f32);
  Tensor y12 = Tensor::empty(u12.shape(), DType::f32);
  for (const kernels::FftConvPath path : {kernels::FftConvPath::one_block, kernels::FftConvPath::own_rows}) {
    EXPECT_THROW(ops::fft_conv_forward(u12, k12, y12, {nullptr, nullptr, 0, path}), Error);
  }
  EXPECT_NO_THROW(ops::fft_conv_forward(u12, k12, y12, {nullptr, nullptr, 0, kernels::FftConvPath::cufft_rows}));
}

TEST(FftConv, ForwardPathsSupportTheirLengthsAndAutomaticTakesTheFirst) {
  using kernels::FftConvPath;
  const auto supported = [](FftConvPath path, int64_t length) {
    return kernels::fft_conv_path_supported(path, length);
  };
  EXPECT_FALSE(supported(FftConvPath::one_block, 512));
  EXPECT_TRUE(supported(FftConvPath::one_block, 1024));
  EXPECT_TRUE(supported(FftConvPath::one_block, 16384));
  EXPECT_FALSE(supported(FftConvPath::one_block, 32768));
  EXPECT_FALSE(supported(FftConvPath::one_block, 3072));
  EXPECT_FALSE(supported(FftConvPath::own_rows, 8192));
  EXPECT_TRUE(supported(FftConvPath::own_rows, 16384));
  EXPECT_TRUE(supported(FftConvPath::own_rows, int64_t{1} << 19));
  EXPECT_FALSE(supported(FftConvPath::own_rows, int64_t{1} << 20));
  EXPECT_FALSE(supported(FftConvPath::own_rows, 12));
  EXPECT_FALSE(supported(FftConvPath::own_rows, 0));
  EXPECT_TRUE(supported(FftConvPath::cufft_rows, 12));
  const auto path = [](int64_t length) { return kernels::fft_conv_path({1, 1, length}); };
  EXPECT_EQ(path(16384), FftConvPath::one_block);
  EXPECT_EQ(path(32768), FftConvPath::own_rows);
  EXPECT_EQ(path(int64_t{1} << 20), FftConvPath::cufft_rows);
  EXPECT_EQ(path(1000), FftConvPath::cufft_rows);
  kernels::FftConvShape forced{1, 1, 16384};
  forced.path = FftConvPath::cufft_rows;
  EXPECT_EQ(kernels::fft_conv_path(forced), FftConvPath::cufft_rows);
}

}  // namespace
}  // namespace spindle
