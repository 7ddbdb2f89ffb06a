// Dropout on the CPU: the mask is exactly the Philox definition, backward reuses it,
// offsets split a call into pieces, the kept fraction is about 1 - p, finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/philox.h"
#include "platform/ops/dropout.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

TEST(Dropout, MaskFollowsThePhiloxDefinition) {
  const ops::DropoutArgs args{0.3, 42, 1000};
  const Tensor x = random_tensor({7, 129}, DType::f64, 1, 0.5, 1.5);  // never zero
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  ops::dropout_forward(x, y, args);
  const std::vector<double> in = x.to_vector<double>(), out = y.to_vector<double>();
  for (size_t i = 0; i < in.size(); ++i) {
    const bool keep = philox::uniform(42, 1000 + i) >= 0.3f;
    EXPECT_EQ(out[i], keep ? in[i] * (1 / (1 - 0.3)) : 0.0) << i;
  }
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  const ops::DropoutArgs args{0.5, 7, 3};
  const Tensor ones = Tensor::from_vector(std::vector<double>(1001, 1.0), {1001});
  Tensor y = Tensor::empty(ones.shape(), DType::f64), dx = Tensor::empty(ones.shape(), DType::f64);
  ops::dropout_forward(ones, y, args);
  ops::dropout_backward(ones, dx, args);
  EXPECT_EQ(y.to_vector<double>(), dx.to_vector<double>());
}

TEST(Dropout, PiecesWithOffsetsEqualWhole) {
  const Tensor x = random_tensor({1000}, DType::f32, 1);
  Tensor whole = Tensor::empty(x.shape(), DType::f32);
  ops::dropout_forward(x, whole, {0.2, 9, 0});
  const Tensor head = x.slice(0, 0, 333), tail = x.slice(0, 333, 1000);
  Tensor y_head = Tensor::empty(head.shape(), DType::f32), y_tail = Tensor::empty(tail.shape(), DType::f32);
  ops::dropout_forward(head, y_head, {0.2, 9, 0});
  ops::dropout_forward(tail, y_tail, {0.2, 9, 333});
  EXPECT_EQ(testing::relative_error(y_head, whole.slice(0, 0, 333)), 0.0);
  EXPECT_EQ(testing::relative_error(y_tail, whole.slice(0, 333, 1000)), 0.0);
}

TEST(Dropout, KeptFractionIsAboutOneMinusP) {
  const int64_t n = 200000;
  const Tensor ones = Tensor::from_vector(std::vector<float>(n, 1.0f), {n});
  for (double p : {0.0, 0.1, 0.5, 0.9}) {
    Tensor y = Tensor::empty(ones.shape(), DType::f32);
    ops::dropout_forward(ones, y, {p, 5, 0});
    int64_t kept = 0;
    for (float v : y.to_vector<float>()) kept += v != 0.0f;
    EXPECT_NEAR(static_cast<double>(kept) / n, 1 - p, 0.005) << "p " << p;
  }
}

TEST(Dropout, GradientMatchesFiniteDifferences) {
  for (int64_t n : {1, 17, 257}) {
    Tensor x = random_tensor({n}, DType::f64, 1);
    const Tensor dy = random_tensor({n}, DType::f64, 2);
    const ops::DropoutArgs args{0.25, 11, 5};
    Tensor y = Tensor::empty({n}, DType::f64), dx = Tensor::empty({n}, DType::f64);
    ops::dropout_backward(dy, dx, args);
    auto loss = [&] {
      ops::dropout_forward(x, y, args);
      return testing::weighted_sum(y, dy);
    };
    testing::expect_gradients_match(loss, {{"x", &x, &dx}});
  }
}

TEST(Dropout, BadArgumentsAreRefused) {
  const Tensor x = Tensor::zeros({4}, DType::f32);
  Tensor y = Tensor::empty({4}, DType::f32), y64 = Tensor::empty({4}, DType::f64);
  EXPECT_THROW(ops::dropout_forward(x, y, {1.0, 0, 0}), Error);
  EXPECT_THROW(ops::dropout_forward(x, y, {-0.1, 0, 0}), Error);
  EXPECT_THROW(ops::dropout_forward(x, y64, {0.5, 0, 0}), Error);
}

}  // namespace
}  // namespace spindle
