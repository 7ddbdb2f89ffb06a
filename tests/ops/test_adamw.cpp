// AdamW and gradient-norm clipping on the CPU: three steps against values computed by
// hand from torch.optim.AdamW's update, the bf16 working copy, float32 against float64, a
// list step against each tensor stepped alone, clipping of a list of tensors, bad
// arguments and lists.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <vector>

#include "platform/ops/adamw.h"
#include "platform/ops/clip_grad_norm.h"
#include "platform/ops/convert.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using testing::random_tensor;

// p0 = 1, lr 0.1, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01, gradients 0.5, -0.25, 2:
//   step 1: p = 1 * 0.999 = 0.999; m = 0.05; v = 0.00025; p -= 0.1/0.1 * 0.05 / (0.5 + 1e-8)
//   ... (m, v and p below after each step)
TEST(AdamW, MatchesHandComputedSteps) {
  Tensor param = Tensor::from_vector<double>({1.0}, {1});
  Tensor m = Tensor::zeros({1}, DType::f64), v = Tensor::zeros({1}, DType::f64);
  const double gradients[] = {0.5, -0.25, 2.0};
  const double expected_p[] = {0.899000002, 0.8714672987058463, 0.8035310672284472};
  const double expected_m[] = {0.05, 0.02, 0.218};
  const double expected_v[] = {0.00025, 0.00031225, 0.00431193775};
  for (int step = 1; step <= 3; ++step) {
    const Tensor grad = Tensor::from_vector<double>({gradients[step - 1]}, {1});
    ops::adamw_step(param, grad, m, v, nullptr, {0.1, 0.9, 0.999, 1e-8, 0.01, step});
    EXPECT_NEAR(param.to_vector<double>()[0], expected_p[step - 1], 1e-15) << "step " << step;
    EXPECT_NEAR(m.to_vector<double>()[0], expected_m[step - 1], 1e-16) << "step " << step;
    EXPECT_NEAR(v.to_vector<double>()[0], expected_v[step - 1], 1e-17) << "step " << step;
  }
}

TEST(AdamW, WorkingCopyIsTheUpdatedWeightsInBfloat16) {
  Tensor param = random_tensor({3, 257}, DType::f32, 1);
  const Tensor grad = random_tensor(param.shape(), DType::f32, 2);
  Tensor m = Tensor::zeros(param.shape(), DType::f32), v = Tensor::zeros(param.shape(), DType::f32);
  Tensor working = Tensor::empty(param.shape(), DType::bf16);
  ops::adamw_step(param, grad, m, v, &working, {});
  EXPECT_EQ(testing::relative_error(working, ops::converted(param, DType::bf16)), 0.0);
}

TEST(AdamW, Float32AgreesWithFloat64) {
  Tensor p64 = random_tensor({1000}, DType::f64, 1);
  Tensor m64 = Tensor::zeros({1000}, DType::f64), v64 = Tensor::zeros({1000}, DType::f64);
  Tensor p32 = ops::converted(p64, DType::f32);
  Tensor m32 = Tensor::zeros({1000}, DType::f32), v32 = Tensor::zeros({1000}, DType::f32);
  for (int step = 1; step <= 5; ++step) {
    const Tensor g = random_tensor({1000}, DType::f64, 10 + step);
    const ops::AdamWArgs args{1e-2, 0.9, 0.999, 1e-8, 0.1, step};  // 1 - 0.999 is not exact in float
    ops::adamw_step(p64, g, m64, v64, nullptr, args);
    ops::adamw_step(p32, ops::converted(g, DType::f32), m32, v32, nullptr, args);
  }
  EXPECT_LT(testing::relative_error(p32, p64), 1e-6);
  EXPECT_LT(testing::relative_error(v32, v64), 1e-6);
}

TEST(AdamW, BadArgumentsAreRefused) {
  Tensor p = Tensor::zeros({4}, DType::f32), m = Tensor::zeros({4}, DType::f32), v = Tensor::zeros({4}, DType::f32);
  const Tensor g = Tensor::zeros({4}, DType::f32);
  EXPECT_THROW(ops::adamw_step(p, g, m, v, nullptr, {1e-3, 0.9, 0.999, 1e-8, 0.0, 0}), Error);  // step 0
  EXPECT_THROW(ops::adamw_step(p, g, m, v, nullptr, {1e-3, 1.0, 0.999, 1e-8, 0.0, 1}), Error);  // beta1 1
  Tensor m_short = Tensor::zeros({3}, DType::f32);
  EXPECT_THROW(ops::adamw_step(p, g, m_short, v, nullptr, {}), Error);
  Tensor working32 = Tensor::empty({4}, DType::f32);
  EXPECT_THROW(ops::adamw_step(p, g, m, v, &working32, {}), Error);
  const Tensor g64 = Tensor::zeros({4}, DType::f64);
  EXPECT_THROW(ops::adamw_step(p, g64, m, v, nullptr, {}), Error);
}

// A list step is each tensor's own step, with weight decay only where decayed; empty
// tensors (two of them: not "the same tensor") are stepped as nothing.
TEST(AdamW, ListStepsEachTensorAsAlone) {
  constexpr int kCount = 5;
  const Shape shapes[kCount] = {{5}, {0}, {2, 3}, {1}, {0}};
  std::vector<Tensor> params, grads, ms, vs, alone_p, alone_m, alone_v;
  for (int i = 0; i < kCount; ++i) {
    params.push_back(random_tensor(shapes[i], DType::f64, 1 + i));
    grads.push_back(random_tensor(shapes[i], DType::f64, 10 + i));
    ms.push_back(random_tensor(shapes[i], DType::f64, 20 + i, 0, 1));
    vs.push_back(random_tensor(shapes[i], DType::f64, 30 + i, 0, 1));
  }
  const ops::AdamWArgs args{1e-2, 0.9, 0.999, 1e-8, 0.5, 4};
  std::vector<ops::AdamWParameter> list;
  for (int i = 0; i < kCount; ++i) {
    Tensor p = params[i].to(Device::cpu()), m = ms[i].to(Device::cpu()), v = vs[i].to(Device::cpu());
    ops::AdamWArgs own = args;
    if (i == 2) own.weight_decay = 0.0;
    ops::adamw_step(p, grads[i], m, v, nullptr, own);
    alone_p.push_back(p);
    alone_m.push_back(m);
    alone_v.push_back(v);
    list.push_back({&params[i], &grads[i], &ms[i], &vs[i], nullptr, i != 2});
  }
  ops::adamw_step(list, args);
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(params[i].to_vector<double>(), alone_p[i].to_vector<double>()) << i;
    EXPECT_EQ(ms[i].to_vector<double>(), alone_m[i].to_vector<double>()) << i;
    EXPECT_EQ(vs[i].to_vector<double>(), alone_v[i].to_vector<double>()) << i;
  }
}

TEST(AdamW, BadListsAreRefused) {
  Tensor p = Tensor::zeros({4}, DType::f32), m = Tensor::zeros({4}, DType::f32), v = Tensor::zeros({4}, DType::f32);
  const Tensor g = Tensor::zeros({4}, DType::f32);
  EXPECT_THROW(ops::adamw_step(std::span<const ops::AdamWParameter>{}, {}), Error);
  const ops::AdamWParameter missing_grad[] = {{&p, &g, &m, &v}, {&p, nullptr, &m, &v}};
  EXPECT_THROW(ops::adamw_step(missing_grad, {}), Error);
  Tensor p64 = Tensor::zeros({4}, DType::f64), g64 = Tensor::zeros({4}, DType::f64);
  Tensor m64 = Tensor::zeros({4}, DType::f64), v64 = Tensor::zeros({4}, DType::f64);
  const ops::AdamWParameter mixed[] = {{&p, &g, &m, &v}, {&p64, &g64, &m64, &v64}};  // one dtype per list
  EXPECT_THROW(ops::adamw_step(mixed, {}), Error);
  Tensor q = Tensor::zeros({4}, DType::f32), mq = Tensor::zeros({4}, DType::f32), vq = Tensor::zeros({4}, DType::f32);
  const ops::AdamWParameter twice[] = {{&p, &g, &m, &v}, {&q, &g, &mq, &vq}, {&p, &g, &m, &v}};
  EXPECT_THROW(ops::adamw_step(twice, {}), Error);  // the same parameter twice
  Tensor v_short = Tensor::zeros({3}, DType::f32);
  const ops::AdamWParameter short_later[] = {{&p, &g, &m, &v}, {&q, &g, &mq, &v_short}};
  EXPECT_THROW(ops::adamw_step(short_later, {}), Error);
  Tensor working32 = Tensor::empty({4}, DType::f32);
  const ops::AdamWParameter f32_working_later[] = {{&p, &g, &m, &v}, {&q, &g, &mq, &vq, &working32}};
  EXPECT_THROW(ops::adamw_step(f32_working_later, {}), Error);
  const ops::AdamWParameter distinct[] = {{&p, &g, &m, &v}, {&q, &g, &mq, &vq}};  // a shared gradient is fine
  EXPECT_NO_THROW(ops::adamw_step(distinct, {}));
}

TEST(ClipGradNorm, ScalesAllTensorsByTheGlobalNorm) {
  Tensor a = Tensor::from_vector<double>({3, 4}, {2}), b = Tensor::from_vector<double>({12}, {1});
  EXPECT_DOUBLE_EQ(ops::clip_grad_norm({&a, &b}, 100.0), 13.0);  // below max_norm: unchanged
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{3, 4}));
  EXPECT_DOUBLE_EQ(ops::clip_grad_norm({&a, &b}, 6.5), 13.0);
  const double factor = 6.5 / (13.0 + 1e-6);
  EXPECT_NEAR(a.to_vector<double>()[0], 3 * factor, 1e-15);
  EXPECT_NEAR(a.to_vector<double>()[1], 4 * factor, 1e-15);
  EXPECT_NEAR(b.to_vector<double>()[0], 12 * factor, 1e-15);
}

TEST(ClipGradNorm, Float32SumIsAccurate) {
  // 1e6 elements of 0.1f: a float accumulator drifts; the compensated double sum does not.
  const int64_t n = 1000000;
  Tensor g = Tensor::from_vector(std::vector<float>(n, 0.1f), {n});
  const double element = static_cast<double>(0.1f);
  EXPECT_NEAR(ops::clip_grad_norm({&g}, 1e9), std::sqrt(n * element * element), 1e-12);
}

TEST(ClipGradNorm, BadArgumentsAreRefused) {
  Tensor a = Tensor::zeros({2}, DType::f32), b64 = Tensor::zeros({2}, DType::f64);
  EXPECT_THROW(ops::clip_grad_norm({}, 1.0), Error);
  EXPECT_THROW(ops::clip_grad_norm({&a}, 0.0), Error);
  EXPECT_THROW(ops::clip_grad_norm({&a, &b64}, 1.0), Error);
  EXPECT_THROW(ops::clip_grad_norm({&a, nullptr}, 1.0), Error);
  Tensor c = Tensor::zeros({3}, DType::f32);
  EXPECT_THROW(ops::clip_grad_norm({&a, &c, &a}, 1.0), Error);  // the same gradient twice
}

}  // namespace
}  // namespace spindle
