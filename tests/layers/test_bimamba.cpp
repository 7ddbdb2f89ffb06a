// The BiMamba mixer on the CPU: dx and every parameter gradient against central finite
// differences in float64, for both directions with in_proj and out_proj tied (the published
// models) and untied, and for the forward direction alone; through backward after a training
// forward and through backward_recomputing after a forward that kept nothing. Tolerance 1e-6
// relative (max(1, |numeric|)), as the Mamba block's check.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/layers/bimamba.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

struct Variant {
  const char* name;
  bool bidirectional, weight_tie, recompute;
  int64_t batch, length;
};

class BiMambaGradcheck : public ::testing::TestWithParam<Variant> {};

TEST_P(BiMambaGradcheck, GradientsMatchFiniteDifferences) {
  const Variant v = GetParam();
  const MambaConfig config{.d_model = 4, .d_state = 3, .d_conv = 3, .expand = 2, .dt_rank = 2};
  BiMamba mixer(config, v.bidirectional, v.weight_tie, Device::cpu(), DType::f64, "mixer.");
  RandomStream random{13, 0};
  mixer.initialize(random);
  Tensor x = testing::random_tensor({v.batch, v.length, 4}, DType::f64, 3);
  const Tensor dout = testing::random_tensor(x.shape(), DType::f64, 4);
  Tensor out = Tensor::empty(x.shape(), DType::f64);
  Tensor dx = testing::poisoned(x.shape(), DType::f64, Device::cpu());
  if (v.recompute) {
    mixer.forward(x, out, false);
    mixer.backward_recomputing(x, dout, dx);
  } else {
    mixer.forward(x, out, true);
    mixer.backward(dout, dx);
  }

  auto loss = [&] {
    mixer.forward(x, out, false);
    return testing::weighted_sum(out, dout);
  };
  std::vector<testing::GradcheckInput> inputs{{"x", &x, &dx}};
  for (Parameter* p : mixer.parameters()) inputs.push_back({p->name, &p->value, &p->grad});
  const size_t expected = v.bidirectional ? (v.weight_tie ? 16u : 18u) : 9u;
  EXPECT_EQ(mixer.parameters().size(), expected);
  testing::expect_gradients_match(loss, inputs, 1e-6, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Variants, BiMambaGradcheck,
                         ::testing::Values(Variant{"tied", true, true, false, 2, 6},
                                           Variant{"untied", true, false, false, 1, 5},
                                           Variant{"unidirectional", false, true, false, 1, 5},
                                           Variant{"tied_recomputing", true, true, true, 1, 6},
                                           Variant{"untied_recomputing", true, false, true, 2, 4},
                                           Variant{"tied_one_position", true, true, false, 1, 1}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace spindle
