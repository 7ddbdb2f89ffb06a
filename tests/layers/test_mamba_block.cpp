// The Mamba block on the CPU: parameter layout against mamba_ssm's Mamba, initialization,
// every gradient (input and parameters) against finite differences in float64, and the
// order of the stepwise passes.
#include <gtest/gtest.h>

#include <cmath>

#include "platform/layers/mamba_block.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

TEST(MambaBlock, ParametersHaveMambaSsmNamesAndShapes) {
  // Caduceus-131k's mixer: d_model 256, d_state 16, d_conv 4, expand 2, dt_rank auto = 16.
  MambaBlock block({.d_model = 256}, Device::cpu());
  const std::vector<std::pair<std::string, Shape>> expected{
      {"in_proj.weight", {1024, 256}}, {"conv1d.weight", {512, 1, 4}}, {"conv1d.bias", {512}},
      {"x_proj.weight", {48, 512}},    {"dt_proj.weight", {512, 16}},  {"dt_proj.bias", {512}},
      {"A_log", {512, 16}},            {"D", {512}},                   {"out_proj.weight", {256, 512}}};
  const std::vector<Parameter*> parameters = block.parameters();
  ASSERT_EQ(parameters.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(parameters[i]->name, expected[i].first);
    EXPECT_EQ(parameters[i]->value.shape(), expected[i].second) << expected[i].first;
    EXPECT_EQ(parameters[i]->grad.shape(), expected[i].second) << expected[i].first;
  }
  EXPECT_FALSE(block.parameter("A_log").weight_decay);
  EXPECT_FALSE(block.parameter("D").weight_decay);
  EXPECT_TRUE(block.parameter("in_proj.weight").weight_decay);
  EXPECT_THROW(block.parameter("in_proj.bias"), Error);
}

TEST(MambaBlock, InitializationFollowsTheReference) {
  MambaBlock block({.d_model = 32, .d_state = 8}, Device::cpu(), DType::f64);
  RandomStream random{5, 0};
  block.initialize(random);
  const std::vector<double> a_log = block.parameter("A_log").value.to_vector<double>();
  for (int64_t i = 0; i < 64 * 8; ++i) EXPECT_DOUBLE_EQ(a_log[i], std::log(double(i % 8 + 1)));
  for (double d : block.parameter("D").value.to_vector<double>()) EXPECT_EQ(d, 1.0);
  for (double bias : block.parameter("dt_proj.bias").value.to_vector<double>()) {
    const double dt = std::log1p(std::exp(bias));  // softplus(bias) is the initial dt
    EXPECT_GE(dt, 0.001 * (1 - 1e-9));
    EXPECT_LE(dt, 0.1 * (1 + 1e-9));
  }
  const double bound = 1 / std::sqrt(32.0);
  for (double w : block.parameter("in_proj.weight").value.to_vector<double>()) EXPECT_LE(std::abs(w), bound);
}

TEST(MambaBlock, GradientsMatchFiniteDifferences) {
  const MambaConfig config{.d_model = 4, .d_state = 3, .d_conv = 4, .expand = 2, .dt_rank = 2};
  MambaBlock block(config, Device::cpu(), DType::f64);
  RandomStream random{11, 0};
  block.initialize(random);
  Tensor hidden = testing::random_tensor({2, 7, 4}, DType::f64, 3);
  const Tensor dout = testing::random_tensor(hidden.shape(), DType::f64, 4);
  Tensor out = Tensor::empty(hidden.shape(), DType::f64), dhidden = Tensor::empty(hidden.shape(), DType::f64);
  block.forward(hidden, out);
  block.backward(dout, dhidden);

  auto loss = [&] {
    block.forward(hidden, out);
    return testing::weighted_sum(out, dout);
  };
  std::vector<testing::GradcheckInput> inputs{{"hidden", &hidden, &dhidden}};
  for (Parameter* p : block.parameters()) inputs.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(loss, inputs, 1e-6, 1e-6);
}

// Awkward sizes (the check above has d_conv 4 and 7 positions): sequences shorter than the
// convolution (1 and 2 positions at d_conv 4), a convolution of width 1, one state, dt_rank
// 1, expand 1; and the backward after save_for_backward (the recomputation's forward without
// out_proj). Same tolerance, 1e-6.
struct AwkwardCase {
  const char* name;
  MambaConfig config;
  int64_t batch, length;
  bool save_for_backward;
};

class MambaBlockAwkward : public ::testing::TestWithParam<AwkwardCase> {};

TEST_P(MambaBlockAwkward, GradientsMatchFiniteDifferences) {
  const AwkwardCase c = GetParam();
  MambaBlock block(c.config, Device::cpu(), DType::f64);
  RandomStream random{17, 0};
  block.initialize(random);
  const int64_t width = c.config.d_model;
  Tensor hidden = testing::random_tensor({c.batch, c.length, width}, DType::f64, 5);
  const Tensor dout = testing::random_tensor(hidden.shape(), DType::f64, 6);
  Tensor out = Tensor::empty(hidden.shape(), DType::f64);
  Tensor dhidden = testing::poisoned(hidden.shape(), DType::f64, Device::cpu());
  if (c.save_for_backward) {
    block.save_for_backward(hidden);
  } else {
    block.forward(hidden, out);
  }
  block.backward(dout, dhidden);

  auto loss = [&] {
    block.forward(hidden, out, false);
    return testing::weighted_sum(out, dout);
  };
  std::vector<testing::GradcheckInput> inputs{{"hidden", &hidden, &dhidden}};
  for (Parameter* p : block.parameters()) inputs.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(loss, inputs, 1e-6, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, MambaBlockAwkward,
    ::testing::Values(
        AwkwardCase{"one_position", {.d_model = 3, .d_state = 2, .d_conv = 4, .expand = 2, .dt_rank = 1}, 2, 1, false},
        AwkwardCase{"shorter_than_conv", {.d_model = 3, .d_state = 2, .d_conv = 4, .expand = 2, .dt_rank = 2}, 1, 2,
                    false},
        AwkwardCase{"conv_width_one", {.d_model = 2, .d_state = 3, .d_conv = 1, .expand = 2, .dt_rank = 1}, 1, 5,
                    false},
        AwkwardCase{"one_state_expand_one", {.d_model = 3, .d_state = 1, .d_conv = 2, .expand = 1, .dt_rank = 1}, 2, 4,
                    false},
        AwkwardCase{"saved_for_backward", {.d_model = 4, .d_state = 3, .d_conv = 4, .expand = 2, .dt_rank = 2}, 2, 6,
                    true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(MambaBlock, RefusesWrongInput) {
  MambaBlock block({.d_model = 8}, Device::cpu());
  Tensor out = Tensor::empty({1, 5, 8}, DType::f32), dhidden = Tensor::empty({1, 5, 8}, DType::f32);
  EXPECT_THROW(block.forward(Tensor::empty({1, 5, 7}, DType::f32), out), Error);
  EXPECT_THROW(block.backward(out, dhidden), Error);  // no forward yet
}

// The stepwise passes (BiMamba's side-by-side directions) refuse steps out of order, and a
// forward started while a backward is under way, before touching what the other holds; in
// order they give what the one-call passes give.
TEST(MambaBlock, StepsRunInOrder) {
  MambaBlock block({.d_model = 8, .d_state = 4}, Device::cpu(), DType::f64);
  RandomStream random{7, 0};
  block.initialize(random);
  const Tensor hidden = testing::random_tensor({1, 6, 8}, DType::f64, 8);
  const Tensor dout = testing::random_tensor({1, 6, 8}, DType::f64, 9);
  Tensor out = Tensor::empty({1, 6, 8}, DType::f64), stepped = Tensor::empty({1, 6, 8}, DType::f64);
  Tensor dhidden = Tensor::empty({1, 6, 8}, DType::f64);
  EXPECT_THROW(block.start_forward_scan(), Error);
  EXPECT_THROW(block.finish_forward(&stepped), Error);
  block.forward(hidden, out);
  block.start_forward(hidden, true);
  EXPECT_THROW(block.start_forward(hidden, true), Error);
  EXPECT_THROW(block.finish_forward(&stepped), Error);
  EXPECT_THROW(block.start_backward(dout), Error);
  block.start_forward_scan();
  block.finish_forward(&stepped);
  EXPECT_EQ(testing::relative_error(stepped, out), 0.0);
  block.start_backward(dout);
  EXPECT_THROW(block.start_forward(hidden, true), Error);
  EXPECT_THROW(block.start_backward(dout), Error);
  block.finish_backward(dhidden);
  EXPECT_THROW(block.finish_backward(dhidden), Error);
}

}  // namespace
}  // namespace spindle
