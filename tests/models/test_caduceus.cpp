// The Caduceus model on the CPU: reference parameter names and ties, every gradient of a
// tiny model against finite differences in float64 (Ph and PS, fused and unfused add +
// norm, RMSNorm and LayerNorm), and the PS model's reverse-complement equivariance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <span>

#include "platform/models/caduceus.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

struct Variant {
  const char* name;
  bool rcps, fused_add_norm, rms_norm, bidirectional, weight_tie;
};

CaduceusConfig tiny_config(const Variant& v) {
  CaduceusConfig c;
  c.d_model = 8;
  c.n_layer = 2;
  c.ssm = {.d_state = 3, .d_conv = 4, .expand = 2, .dt_rank = 2};
  c.rcps = v.rcps;
  c.fused_add_norm = v.fused_add_norm;
  c.rms_norm = v.rms_norm;
  c.bidirectional = v.bidirectional;
  c.bidirectional_weight_tie = v.weight_tie;
  c.complement_map = {0, 1, 2, 3, 4, 5, 6, 10, 9, 8, 7, 11};
  return c;
}

// Token ids over the whole padded vocabulary of the tiny models (16), int64.
Tensor random_ids(int64_t batch, int64_t length, uint64_t seed) {
  std::vector<double> u = testing::to_doubles(testing::random_tensor({batch, length}, DType::f64, seed, 0.0, 16.0));
  std::vector<int64_t> ids(u.size());
  std::transform(u.begin(), u.end(), ids.begin(), [](double x) { return static_cast<int64_t>(x); });
  return Tensor::from_vector(ids, {batch, length});
}

// The variant's f64 model on the CPU, initialized from seed 21.
Caduceus initialized_model(const Variant& v, bool recompute = false) {
  Caduceus model(tiny_config(v), Device::cpu(), DType::f64);
  RandomStream random{21, 0};
  model.initialize(random);
  model.set_recompute(recompute);
  return model;
}

class CaduceusVariants : public ::testing::TestWithParam<Variant> {};

// Every parameter's gradient of sum(logits x dlogits), dlogits random (seed), against central
// finite differences in float64 (tolerance 1e-6).
void expect_parameter_gradients_match(Caduceus& model, const Tensor& ids, uint64_t seed) {
  Tensor logits;
  model.forward(ids, DType::f64, logits);
  const Tensor dlogits = testing::random_tensor(logits.shape(), DType::f64, seed);
  model.zero_grad();
  model.backward(dlogits);
  auto loss = [&] {
    model.forward(ids, DType::f64, logits, nullptr, false);
    return testing::weighted_sum(logits, dlogits);
  };
  std::vector<testing::GradcheckInput> inputs;
  for (Parameter* p : model.parameters()) inputs.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(loss, inputs, 1e-6, 1e-6);
}

TEST_P(CaduceusVariants, GradientsMatchFiniteDifferences) {
  Caduceus model = initialized_model(GetParam());
  expect_parameter_gradients_match(model, random_ids(2, 9, 5), 6);
}

// Recomputing each layer in backward gives the same logits and gradients, bit for bit.
TEST_P(CaduceusVariants, RecomputationGivesTheSameGradients) {
  const Tensor ids = random_ids(2, 9, 5);
  std::vector<std::vector<double>> outputs[2];
  for (const bool recompute : {false, true}) {
    Caduceus model = initialized_model(GetParam(), recompute);
    Tensor logits;
    model.forward(ids, DType::f64, logits);
    model.zero_grad();
    model.backward(testing::random_tensor(logits.shape(), DType::f64, 6));
    outputs[recompute].push_back(testing::to_doubles(logits));
    for (Parameter* p : model.parameters()) outputs[recompute].push_back(testing::to_doubles(p->grad));
  }
  ASSERT_EQ(outputs[0].size(), outputs[1].size());
  for (size_t i = 0; i < outputs[0].size(); ++i) EXPECT_EQ(outputs[0][i], outputs[1][i]) << "output " << i;
}

TEST_P(CaduceusVariants, TiedTensorsShareStorageAndAreListedOnce) {
  Caduceus model(tiny_config(GetParam()), Device::cpu());
  std::set<std::string> names;
  std::set<const void*> storages;
  for (Parameter* p : model.parameters()) {
    EXPECT_TRUE(names.insert(p->name).second) << p->name;
    EXPECT_TRUE(storages.insert(p->value.raw_data()).second) << p->name << " shares storage with another";
  }
  for (const auto& [alias, listed] : model.tied_names()) {
    EXPECT_EQ(names.count(alias), 0u) << alias;
    EXPECT_EQ(names.count(listed), 1u) << listed;
  }
}

// What backward reports final stays so: each parameter is reported once, with the gradient
// it ends with (the embedding, tied to the LM head, only at the end), in groups following
// parameters() reversed; with and without recomputation.
TEST_P(CaduceusVariants, BackwardReportsEachGradientOnceWhenFinal) {
  for (const bool recompute : {false, true}) {
    Caduceus model = initialized_model(GetParam(), recompute);
    Tensor logits;
    model.forward(random_ids(2, 9, 5), DType::f64, logits);
    model.zero_grad();
    std::vector<Parameter*> backward_order = model.parameters();
    std::reverse(backward_order.begin(), backward_order.end());
    std::vector<std::vector<double>> reported(backward_order.size());
    std::vector<int> times(backward_order.size(), 0);
    int64_t previous_last = -1;  // the highest place in backward_order reported so far
    model.backward(testing::random_tensor(logits.shape(), DType::f64, 6), nullptr,
                   [&](std::span<Parameter* const> final) {
                     ASSERT_FALSE(final.empty());
                     int64_t first = static_cast<int64_t>(backward_order.size()), last = -1;
                     for (Parameter* p : final) {
                       const auto place = std::find(backward_order.begin(), backward_order.end(), p);
                       ASSERT_NE(place, backward_order.end()) << p->name;
                       const auto i = static_cast<int64_t>(place - backward_order.begin());
                       first = std::min(first, i);
                       last = std::max(last, i);
                       times[static_cast<size_t>(i)] += 1;
                       reported[static_cast<size_t>(i)] = testing::to_doubles(p->grad);
                     }
                     EXPECT_EQ(first, previous_last + 1) << final.front()->name << ": a group out of order";
                     EXPECT_EQ(last - first + 1, static_cast<int64_t>(final.size())) << final.front()->name;
                     previous_last = last;
                   });
    for (size_t i = 0; i < backward_order.size(); ++i) {
      const Parameter& p = *backward_order[i];
      EXPECT_EQ(times[i], 1) << p.name << ", recompute " << recompute;
      EXPECT_EQ(reported[i], testing::to_doubles(p.grad)) << p.name << " changed after it was reported final";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Caduceus, CaduceusVariants,
                         ::testing::Values(Variant{"ph_fused", false, true, true, true, true},
                                           Variant{"ph_unfused_layernorm", false, false, false, true, true},
                                           Variant{"ph_untied", false, true, true, true, false},
                                           Variant{"ph_unidirectional", false, true, true, false, true},
                                           Variant{"ps_fused", true, true, true, true, true},
                                           Variant{"ps_unfused", true, false, true, true, true},
                                           Variant{"ps_fused_layernorm", true, true, false, true, true}),
                         [](const auto& info) { return std::string(info.param.name); });

// Combinations the variants above leave out (PS untied, PS forward-only, Ph unfused with
// RMSNorm), each on sequences shorter than the convolution (1 and 2 positions, d_conv 4) and
// one row; the two-position runs with recomputation. Same tolerance, 1e-6.
TEST(Caduceus, OtherVariantsAndShortSequencesMatchFiniteDifferences) {
  const Variant variants[] = {{"ps_untied", true, true, true, true, false},
                              {"ps_unidirectional_layernorm", true, false, false, false, true},
                              {"ph_unfused_rms", false, false, true, true, true}};
  const int64_t shapes[][2] = {{1, 1}, {2, 2}};
  for (const Variant& variant : variants) {
    for (const auto& [batch, length] : shapes) {
      SCOPED_TRACE(std::string(variant.name) + ", batch " + std::to_string(batch) + ", length " +
                   std::to_string(length));
      Caduceus model = initialized_model(variant, length == 2);
      expect_parameter_gradients_match(model, random_ids(batch, length, 7), 8);
    }
  }
}

// logits(RC(x))[b][l][v] == logits(x)[b][L-1-l][complement(v)] for PS, both norm paths.
TEST(Caduceus, ParameterSharingModelIsReverseComplementEquivariant) {
  for (bool fused : {true, false}) {
    const CaduceusConfig config = tiny_config({"ps", true, fused, true, true, true});
    Caduceus model(config, Device::cpu(), DType::f64);
    RandomStream random{8, 0};
    model.initialize(random);
    const int64_t batch = 2, length = 11, vocab = config.padded_vocab_size();
    const Tensor ids = random_ids(batch, length, 9);
    std::vector<int64_t> rc(static_cast<size_t>(batch * length));
    const std::vector<int64_t> map = config.padded_complement_map(), x = ids.to_vector<int64_t>();
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t l = 0; l < length; ++l) rc[b * length + l] = map[x[b * length + (length - 1 - l)]];
    }
    Tensor logits, rc_logits;
    model.forward(ids, DType::f64, logits, nullptr, false);
    model.forward(Tensor::from_vector(rc, {batch, length}), DType::f64, rc_logits, nullptr, false);
    const std::vector<double> a = logits.to_vector<double>(), r = rc_logits.to_vector<double>();
    double worst = 0;
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t l = 0; l < length; ++l) {
        for (int64_t v = 0; v < vocab; ++v) {
          const double expected = a[(b * length + (length - 1 - l)) * vocab + map[v]];
          worst = std::max(worst, std::abs(r[(b * length + l) * vocab + v] - expected));
        }
      }
    }
    EXPECT_LT(worst, 1e-12) << (fused ? "fused" : "unfused");
  }
}

TEST(Caduceus, PublishedNamesAndShapes) {
  Caduceus ps(caduceus_131k_config(true), Device::cpu());
  EXPECT_EQ(ps.parameter("caduceus.backbone.embeddings.word_embeddings.embedding.weight").value.shape(),
            Shape({16, 256}));
  EXPECT_EQ(ps.parameter("caduceus.backbone.layers.15.mixer.submodule.mamba_fwd.in_proj.weight").value.shape(),
            Shape({1024, 256}));
  EXPECT_EQ(ps.parameter("caduceus.backbone.layers.0.mixer.submodule.mamba_rev.A_log").value.shape(),
            Shape({512, 16}));
  EXPECT_EQ(ps.parameter("caduceus.backbone.layers.3.norm.weight").value.shape(), Shape({256}));
  EXPECT_EQ(ps.parameter("caduceus.backbone.norm_f.weight").value.shape(), Shape({256}));
  EXPECT_THROW(ps.parameter("caduceus.backbone.layers.0.mixer.submodule.mamba_rev.in_proj.weight"), Error);
  const auto tied = ps.tied_names();
  EXPECT_NE(std::find(tied.begin(), tied.end(),
                      std::pair<std::string, std::string>{
                          "lm_head.lm_head.weight", "caduceus.backbone.embeddings.word_embeddings.embedding.weight"}),
            tied.end());
  ASSERT_EQ(ps.buffers().size(), 2u);
  EXPECT_EQ(ps.buffers()[1].first, "lm_head.complement_map");

  Caduceus ph(caduceus_131k_config(false), Device::cpu());
  EXPECT_EQ(ph.parameter("caduceus.backbone.embeddings.word_embeddings.weight").value.shape(), Shape({16, 256}));
  EXPECT_EQ(ph.parameter("caduceus.backbone.layers.0.mixer.mamba_fwd.out_proj.weight").value.shape(),
            Shape({256, 512}));
  EXPECT_TRUE(ph.buffers().empty());
  // 16 layers x (mamba_fwd 9 + mamba_rev 7 untied + norm 1) + embedding + norm_f.
  EXPECT_EQ(ph.parameters().size(), 16u * 17u + 2u);
}

TEST(Caduceus, InitializationFollowsTheReference) {
  CaduceusConfig config = tiny_config({"ph", false, true, true, true, true});
  Caduceus model(config, Device::cpu(), DType::f64);
  RandomStream random{3, 0};
  model.initialize(random);
  // out_proj: uniform(+-1/sqrt(d_inner)) / sqrt(n_layer).
  const double bound = 1.0 / std::sqrt(16.0) / std::sqrt(2.0);
  double largest = 0;
  for (double w : model.parameter("caduceus.backbone.layers.1.mixer.mamba_rev.A_log").value.to_vector<double>()) {
    EXPECT_GT(w, -1e-12);
  }
  for (double w : model.parameter("caduceus.backbone.layers.1.mixer.mamba_fwd.out_proj.weight")
                      .value.to_vector<double>()) {
    largest = std::max(largest, std::abs(w));
  }
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.8 * bound);
  for (double w : model.parameter("caduceus.backbone.layers.0.norm.weight").value.to_vector<double>()) EXPECT_EQ(w, 1.0);
  const std::vector<double> embedding =
      model.parameter("caduceus.backbone.embeddings.word_embeddings.weight").value.to_vector<double>();
  double sum_squares = 0;
  for (double w : embedding) sum_squares += w * w;
  const double std_dev = std::sqrt(sum_squares / static_cast<double>(embedding.size()));
  EXPECT_NEAR(std_dev, 0.02, 0.005);
}

TEST(Caduceus, RefusesBadInput) {
  Caduceus model(tiny_config({"ph", false, true, true, true, true}), Device::cpu());
  Tensor logits;
  EXPECT_THROW(model.forward(Tensor::empty({2, 3, 4}, DType::i64), DType::f32, logits), Error);
  EXPECT_THROW(model.forward(random_ids(1, 4, 1), DType::f64, logits), Error);
  EXPECT_THROW(model.backward(Tensor::empty({1, 4, 16}, DType::f32)), Error);  // no forward yet
}

}  // namespace
}  // namespace spindle
