#include <gtest/gtest.h>

#include "platform/ops/axpy.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

TEST(Axpy, AddsScaledValues) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3});
  Tensor y = Tensor::from_vector<double>({10, 20, 30}, {3});
  ops::axpy(-0.5, x, y);
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{9.5, 19, 28.5}));
}

TEST(Axpy, RefusesMismatchedTensors) {
  const Tensor x = Tensor::empty({3}, DType::f32);
  Tensor y4 = Tensor::empty({4}, DType::f32), y64 = Tensor::empty({3}, DType::f64);
  EXPECT_THROW(ops::axpy(1, x, y4), Error);
  EXPECT_THROW(ops::axpy(1, x, y64), Error);
}

}  // namespace
}  // namespace spindle
