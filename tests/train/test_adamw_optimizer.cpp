// AdamW over parameters: torch's update step by step, weight decay only where the
// parameter takes it.
#include <gtest/gtest.h>

#include <cmath>

#include "pipelines/train/adamw_optimizer.h"

namespace spindle {
namespace {

Parameter parameter(const std::string& name, double value, double gradient, bool weight_decay) {
  return {name, Tensor::from_vector(std::vector<double>{value}, {1}),
          Tensor::from_vector(std::vector<double>{gradient}, {1}), weight_decay};
}

TEST(AdamWOptimizer, TakesTorchsStepsAndExemptsParametersFromDecay) {
  Parameter decayed = parameter("w", 1.0, 0.5, true), exempt = parameter("norm.weight", 1.0, 0.5, false);
  const AdamWSettings settings{.beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.1};
  AdamWOptimizer optimizer({&decayed, &exempt}, settings);
  // torch.optim.AdamW by hand, two steps at lr 0.01 then 0.005 with the gradient 0.5.
  double w = 1.0, n = 1.0, m = 0, v = 0;
  for (const auto& [t, lr] : std::vector<std::pair<int, double>>{{1, 0.01}, {2, 0.005}}) {
    optimizer.step(lr);
    m = 0.9 * m + 0.1 * 0.5;
    v = 0.99 * v + 0.01 * 0.25;
    const double update = lr / (1 - std::pow(0.9, t)) * m / (std::sqrt(v) / std::sqrt(1 - std::pow(0.99, t)) + 1e-8);
    w = w * (1 - lr * 0.1) - update;
    n = n - update;
    EXPECT_NEAR(decayed.value.to_vector<double>()[0], w, 1e-15) << "step " << t;
    EXPECT_NEAR(exempt.value.to_vector<double>()[0], n, 1e-15) << "step " << t;
  }
  EXPECT_EQ(optimizer.steps_taken(), 2);
  ASSERT_EQ(optimizer.moments().size(), 2u);
  EXPECT_EQ(optimizer.moments()[1].parameter, &exempt);
  EXPECT_NEAR(optimizer.moments()[0].m.to_vector<double>()[0], m, 1e-15);
  EXPECT_NEAR(optimizer.moments()[0].v.to_vector<double>()[0], v, 1e-15);
}

}  // namespace
}  // namespace spindle
