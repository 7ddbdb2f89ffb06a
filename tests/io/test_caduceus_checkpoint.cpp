// Caduceus model folders: config.json as the published checkpoints hold it (read, written,
// refused with the key named) and model.safetensors round trips of Ph and PS models (same
// parameters, same logits), tied tensors under either name, and missing, extra or misshaped
// tensors refused with the tensor named.
#include "io/caduceus_checkpoint.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "io/safetensors.h"
#include "kernels/error.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;
using Json = nlohmann::ordered_json;

// config.json of the published caduceus-ps_seqlen-131k_d_model-256_n_layer-16, as
// save_pretrained wrote it (transformers 4.38.1).
const char* const kPublishedPsConfig = R"({
  "architectures": [
    "CaduceusForMaskedLM"
  ],
  "auto_map": {
    "AutoConfig": "configuration_caduceus.CaduceusConfig",
    "AutoModel": "modeling_caduceus.Caduceus",
    "AutoModelForMaskedLM": "modeling_caduceus.CaduceusForMaskedLM",
    "AutoModelForSequenceClassification": "modeling_caduceus.CaduceusForSequenceClassification"
  },
  "bidirectional": true,
  "bidirectional_strategy": "add",
  "bidirectional_weight_tie": true,
  "complement_map": {
    "0": 0,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "6": 6,
    "7": 10,
    "8": 9,
    "9": 8,
    "10": 7,
    "11": 11,
    "12": 12,
    "13": 13,
    "14": 14,
    "15": 15
  },
  "d_model": 256,
  "fused_add_norm": true,
  "initializer_cfg": {
    "initializer_range": 0.02,
    "n_residuals_per_layer": 1,
    "rescale_prenorm_residual": true
  },
  "model_type": "caduceus",
  "n_layer": 16,
  "norm_epsilon": 1e-05,
  "pad_vocab_size_multiple": 8,
  "rcps": true,
  "residual_in_fp32": false,
  "rms_norm": true,
  "ssm_cfg": {
    "bias": false,
    "conv_bias": true,
    "d_conv": 4,
    "d_state": 16,
    "dt_init": "random",
    "dt_init_floor": 0.0001,
    "dt_max": 0.1,
    "dt_min": 0.001,
    "dt_rank": "auto",
    "dt_scale": 1.0,
    "expand": 2,
    "use_fast_path": true
  },
  "torch_dtype": "float32",
  "transformers_version": "4.38.1",
  "vocab_size": 16
}
)";

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every field of config.json form, for comparing configurations.
std::string as_json(const CaduceusConfig& config) {
  TemporaryFolder folder;
  write_caduceus_config(folder.file("config.json"), config);
  return file_text(folder.file("config.json"));
}

TEST(CaduceusConfigJson, PublishedConfigsRead) {
  TemporaryFolder folder;
  const CaduceusConfig ps = read_caduceus_config(folder.write("ps.json", kPublishedPsConfig));
  const CaduceusConfig expected = caduceus_131k_config(true);
  EXPECT_EQ(ps.d_model, 256);
  EXPECT_EQ(ps.n_layer, 16);
  EXPECT_EQ(ps.padded_vocab_size(), 16);
  EXPECT_TRUE(ps.rcps);
  EXPECT_FALSE(ps.residual_in_fp32);
  EXPECT_EQ(ps.ssm.d_model, 256);
  EXPECT_EQ(ps.ssm.resolved_dt_rank(), 16);
  EXPECT_EQ(ps.complement_map, expected.complement_map);
  EXPECT_EQ(as_json(ps), as_json(expected));

  Json ph = Json::parse(kPublishedPsConfig);
  ph["rcps"] = false;
  EXPECT_EQ(as_json(read_caduceus_config(folder.write("ph.json", ph.dump(2)))), as_json(caduceus_131k_config(false)));
}

TEST(CaduceusConfigJson, UnpaddedVocabularyAndMapAreAccepted) {
  TemporaryFolder folder;
  Json config = Json::parse(kPublishedPsConfig);
  config["vocab_size"] = 12;
  for (const char* id : {"12", "13", "14", "15"}) config["complement_map"].erase(id);
  const CaduceusConfig read = read_caduceus_config(folder.write("config.json", config.dump()));
  EXPECT_EQ(read.vocab_size, 12);
  EXPECT_EQ(read.complement_map.size(), 12u);
  EXPECT_EQ(read.padded_complement_map(), caduceus_131k_config(true).complement_map);
  EXPECT_EQ(as_json(read), as_json(caduceus_131k_config(true)));  // written padded, as the reference saves it
}

// save_pretrained sorts keys as text ("0", "1", "10", "11", "2", ...): read by id.
TEST(CaduceusConfigJson, ComplementMapKeysAreIdsInAnyOrder) {
  TemporaryFolder folder;
  Json config = Json::parse(kPublishedPsConfig);
  Json sorted_as_text = Json::object();
  std::vector<std::string> keys;
  for (const auto& item : config["complement_map"].items()) keys.push_back(item.key());
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) sorted_as_text[key] = config["complement_map"][key];
  config["complement_map"] = sorted_as_text;
  EXPECT_EQ(read_caduceus_config(folder.write("config.json", config.dump())).complement_map,
            caduceus_131k_config(true).complement_map);
}

// Keys some transformers versions write into every config.json (4.48 to 4.50 saved
// _attn_implementation_autoset); the reference's CaduceusConfig takes them as **kwargs.
TEST(CaduceusConfigJson, KeysOtherTransformersVersionsWriteAreIgnored) {
  TemporaryFolder folder;
  Json config = Json::parse(kPublishedPsConfig);
  config["_attn_implementation_autoset"] = true;
  config["transformers_version"] = "4.49.0";
  EXPECT_EQ(as_json(read_caduceus_config(folder.write("config.json", config.dump(2)))),
            as_json(caduceus_131k_config(true)));
}

TEST(CaduceusConfigJson, WritesWhatSavePretrainedWrites) {
  TemporaryFolder folder;
  write_caduceus_config(folder.file("config.json"), caduceus_131k_config(true));
  std::string published = kPublishedPsConfig;
  const std::string version_line = "  \"transformers_version\": \"4.38.1\",\n";
  published.erase(published.find(version_line), version_line.size());  // spindle is not transformers
  EXPECT_EQ(file_text(folder.file("config.json")), published);
}

TEST(CaduceusConfigJson, OtherSettingsRoundTrip) {
  CaduceusConfig config;
  config.d_model = 24;
  config.n_layer = 3;
  config.vocab_size = 12;
  config.ssm = {.d_state = 5, .d_conv = 3, .expand = 3, .dt_rank = 2, .dt_min = 0.002, .dt_max = 0.2,
                .dt_init_floor = 2e-4, .dt_scale = 0.5};
  config.rms_norm = false;
  config.fused_add_norm = false;
  config.norm_epsilon = 1e-6;
  config.bidirectional = false;
  config.bidirectional_weight_tie = false;
  config.rescale_prenorm_residual = false;
  config.initializer_range = 0.01;
  config.n_residuals_per_layer = 2;
  TemporaryFolder folder;
  write_caduceus_config(folder.file("config.json"), config);
  const CaduceusConfig read = read_caduceus_config(folder.file("config.json"));
  EXPECT_EQ(read.ssm.dt_rank, 2);
  EXPECT_EQ(read.ssm.dt_scale, 0.5);
  EXPECT_TRUE(read.complement_map.empty());
  EXPECT_EQ(read.padded_vocab_size(), 16);
  EXPECT_EQ(as_json(read), as_json(config));
  EXPECT_EQ(Json::parse(file_text(folder.file("config.json")))["complement_map"], nullptr);
}

struct BadConfig {
  const char* name;
  std::function<void(Json&)> change;
  std::vector<std::string> message_parts;
};

class CaduceusConfigJsonRefused : public ::testing::TestWithParam<BadConfig> {};

TEST_P(CaduceusConfigJsonRefused, NamingTheKey) {
  TemporaryFolder folder;
  Json config = Json::parse(kPublishedPsConfig);
  GetParam().change(config);
  const std::string path = folder.write("config.json", config.dump(2));
  const std::string message = message_of([&] { read_caduceus_config(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  for (const std::string& part : GetParam().message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Files, CaduceusConfigJsonRefused,
    ::testing::Values(
        BadConfig{"model_type_missing", [](Json& c) { c.erase("model_type"); }, {"model_type", "missing"}},
        BadConfig{"model_type_other", [](Json& c) { c["model_type"] = "mamba"; }, {"model_type", "\"mamba\""}},
        BadConfig{"unknown_key", [](Json& c) { c["d_modle"] = 256; }, {"d_modle", "unknown key"}},
        BadConfig{"size_as_string", [](Json& c) { c["d_model"] = "256"; }, {": d_model", "an integer"}},
        BadConfig{"size_fractional", [](Json& c) { c["n_layer"] = 16.5; }, {": n_layer", "an integer"}},
        BadConfig{"size_zero", [](Json& c) { c["d_model"] = 0; }, {": d_model", "positive"}},
        BadConfig{"size_missing", [](Json& c) { c.erase("vocab_size"); }, {": vocab_size", "missing"}},
        BadConfig{"flag_as_text", [](Json& c) { c["rcps"] = "true"; }, {": rcps", "true or false"}},
        BadConfig{"dt_init_constant", [](Json& c) { c["ssm_cfg"]["dt_init"] = "constant"; }, {"ssm_cfg.dt_init", "\"random\""}},
        BadConfig{"in_proj_bias", [](Json& c) { c["ssm_cfg"]["bias"] = true; }, {"ssm_cfg.bias", "false"}},
        BadConfig{"no_conv_bias", [](Json& c) { c["ssm_cfg"]["conv_bias"] = false; }, {"ssm_cfg.conv_bias"}},
        BadConfig{"dt_rank_word", [](Json& c) { c["ssm_cfg"]["dt_rank"] = "half"; }, {"ssm_cfg.dt_rank", "\"auto\""}},
        BadConfig{"ssm_unknown_key", [](Json& c) { c["ssm_cfg"]["headdim"] = 64; }, {"ssm_cfg.headdim", "unknown key"}},
        BadConfig{"ssm_d_state_zero", [](Json& c) { c["ssm_cfg"]["d_state"] = 0; }, {"ssm_cfg.d_state", "positive"}},
        BadConfig{"initializer_unknown_key", [](Json& c) { c["initializer_cfg"]["std"] = 1; }, {"initializer_cfg.std"}},
        BadConfig{"strategy_multiply", [](Json& c) { c["bidirectional_strategy"] = "ew_multiply"; },
                  {"bidirectional_strategy", "\"add\""}},
        BadConfig{"rcps_without_map", [](Json& c) { c["complement_map"] = nullptr; }, {"complement_map", "rcps"}},
        BadConfig{"map_key_not_an_id", [](Json& c) { c["complement_map"]["A"] = 10; }, {"complement_map", "key \"A\""}},
        BadConfig{"map_id_missing",
                  [](Json& c) {
                    c["complement_map"].erase("3");
                    c["complement_map"]["16"] = 16;
                  },
                  {"complement_map", "key \"16\"", "each once"}},
        BadConfig{"map_not_an_involution", [](Json& c) { c["complement_map"]["7"] = 9; }, {"complement_map", "involution"}},
        BadConfig{"map_not_dna",
                  [](Json& c) {
                    c["complement_map"]["7"] = 9;
                    c["complement_map"]["9"] = 7;
                    c["complement_map"]["8"] = 10;
                    c["complement_map"]["10"] = 8;
                  },
                  {"complement_map", "id 7 maps to 9", "DNA tokenizer's complement"}},
        BadConfig{"map_id_out_of_range", [](Json& c) { c["complement_map"]["15"] = 99; }, {"complement_map", "99"}},
        BadConfig{"untied_head", [](Json& c) { c["tie_word_embeddings"] = false; }, {"tie_word_embeddings"}}),
    [](const ::testing::TestParamInfo<BadConfig>& info) { return std::string(info.param.name); });

TEST(CaduceusConfigJson, RepeatedKeysAndBadJsonAreRefused) {
  TemporaryFolder folder;
  const std::string repeated = folder.write("repeated.json", R"({"model_type": "caduceus", "d_model": 8, "d_model": 16})");
  const std::string message = message_of([&] { read_caduceus_config(repeated); });
  EXPECT_NE(message.find(repeated), std::string::npos) << message;
  EXPECT_NE(message.find("key 'd_model' appears twice"), std::string::npos) << message;
  EXPECT_NE(message_of([&] { read_caduceus_config(folder.write("bad.json", "{\"d_model\": ")); }).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(message_of([&] { read_caduceus_config(folder.file("absent.json")); }).find("cannot open"), std::string::npos);
}

// --- model folders -------------------------------------------------------------------------

struct Variant {
  const char* name;
  bool rcps, fused_add_norm, rms_norm, weight_tie;
};

// The published configuration, shrunk.
CaduceusConfig tiny_config(const Variant& v) {
  CaduceusConfig c = caduceus_131k_config(v.rcps);
  c.d_model = 8;
  c.n_layer = 2;
  c.ssm.d_state = 3;
  c.ssm.dt_rank = 2;
  c.fused_add_norm = v.fused_add_norm;
  c.rms_norm = v.rms_norm;
  c.bidirectional_weight_tie = v.weight_tie;
  return c;
}

Caduceus initialized_model(const CaduceusConfig& config, uint64_t seed) {
  Caduceus model(config, Device::cpu());
  RandomStream random{seed, 0};
  model.initialize(random);
  return model;
}

Tensor logits_of(Caduceus& model) {
  std::vector<int64_t> ids(2 * 13);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 7 + 3) % 16);
  Tensor logits;
  model.forward(Tensor::from_vector(ids, {2, 13}), DType::f32, logits, nullptr, false);
  return logits;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

void expect_same_parameters(Caduceus& a, Caduceus& b) {
  const std::vector<Parameter*> pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i]->name, pb[i]->name);
    EXPECT_TRUE(same_values(pa[i]->value, pb[i]->value)) << pa[i]->name;
  }
}

// Every tensor of a safetensors file, for rewriting it.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

NamedTensors all_tensors(const std::string& path) {
  SafetensorsReader reader(path);
  NamedTensors tensors;
  for (const SafetensorsEntry& entry : reader.entries()) tensors.emplace_back(entry.name, reader.read(entry.name));
  return tensors;
}

Tensor& tensor_named(NamedTensors& tensors, const std::string& name) {
  for (auto& [stored, tensor] : tensors) {
    if (stored == name) return tensor;
  }
  throw std::runtime_error("no tensor " + name);
}

// The folder of a model of `config` (seed 11) and its tensors, for tests that rewrite them.
struct SavedFolder {
  explicit SavedFolder(const CaduceusConfig& config)
      : directory(folder.file("model")), weights(directory + "/model.safetensors"), model(initialized_model(config, 11)) {
    save_caduceus(directory, model);
    tensors = all_tensors(weights);
  }
  void rewrite(const NamedTensors& replacement) const { write_safetensors(weights, replacement, {{"format", "pt"}}); }

  TemporaryFolder folder;
  std::string directory, weights;
  Caduceus model;
  NamedTensors tensors;
};

const char* embedding_name(bool rcps) {
  return rcps ? "caduceus.backbone.embeddings.word_embeddings.embedding.weight"
              : "caduceus.backbone.embeddings.word_embeddings.weight";
}
const char* head_name(bool rcps) { return rcps ? "lm_head.lm_head.weight" : "lm_head.weight"; }

class CaduceusFolder : public ::testing::TestWithParam<Variant> {};

TEST_P(CaduceusFolder, RoundTripKeepsParametersAndLogits) {
  const CaduceusConfig config = tiny_config(GetParam());
  Caduceus saved = initialized_model(config, 11);
  TemporaryFolder folder;
  const std::string directory = folder.file("model");
  save_caduceus(directory, saved);

  Caduceus loaded = load_caduceus(directory, Device::cpu());
  expect_same_parameters(saved, loaded);
  EXPECT_TRUE(same_values(logits_of(saved), logits_of(loaded)));

  Caduceus other = initialized_model(config, 12);
  ASSERT_FALSE(same_values(logits_of(saved), logits_of(other)));
  load_caduceus_weights(directory, other);
  expect_same_parameters(saved, other);
  EXPECT_TRUE(same_values(logits_of(saved), logits_of(other)));  // tied parameters follow the copies

  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder.file(""))) files.push_back(entry.path().filename());
  EXPECT_EQ(files, std::vector<std::string>{"model"});
}

TEST_P(CaduceusFolder, HoldsEachTensorOnceUnderItsStateDictName) {
  Caduceus model = initialized_model(tiny_config(GetParam()), 11);
  TemporaryFolder folder;
  save_caduceus(folder.file("model"), model);
  SafetensorsReader reader(folder.file("model/model.safetensors"));
  EXPECT_EQ(reader.metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  std::set<std::string> stored;
  for (const SafetensorsEntry& entry : reader.entries()) {
    stored.insert(entry.name);
    const bool buffer = entry.name.ends_with("complement_map");
    EXPECT_EQ(entry.dtype, buffer ? DType::i64 : DType::f32) << entry.name;
  }
  std::set<std::string> expected;
  for (const Parameter* parameter : model.parameters()) expected.insert(parameter->name);
  for (const auto& buffer : model.buffers()) expected.insert(buffer.first);
  EXPECT_EQ(stored, expected);
  for (const auto& [alias, listed] : model.tied_names()) EXPECT_EQ(stored.count(alias), 0u) << alias;
  EXPECT_EQ(stored.count(embedding_name(GetParam().rcps)), 1u);
}

TEST_P(CaduceusFolder, TiedTensorLoadsUnderEitherName) {
  const CaduceusConfig config = tiny_config(GetParam());
  SavedFolder saved(config);
  const bool rcps = GetParam().rcps;
  const Tensor embedding = tensor_named(saved.tensors, embedding_name(rcps));

  // Under the LM head's name only (as a file that kept the other alias would hold it).
  NamedTensors aliased = saved.tensors;
  std::erase_if(aliased, [&](const auto& named) { return named.first == embedding_name(rcps); });
  aliased.emplace_back(head_name(rcps), embedding);
  saved.rewrite(aliased);
  Caduceus loaded = initialized_model(config, 12);
  load_caduceus_weights(saved.directory, loaded);
  expect_same_parameters(saved.model, loaded);

  // Under both names, equal.
  NamedTensors both = saved.tensors;
  both.emplace_back(head_name(rcps), embedding);
  saved.rewrite(both);
  EXPECT_TRUE(same_values(load_caduceus(saved.directory, Device::cpu()).parameter(embedding_name(rcps)).value, embedding));

  // Under both names, different.
  Tensor changed = Tensor::empty(embedding.shape(), DType::f32);
  changed.copy_from(embedding);
  changed.data<float>()[5] += 1.0f;
  tensor_named(both, head_name(rcps)) = changed;
  saved.rewrite(both);
  const std::string message = message_of([&] { load_caduceus(saved.directory, Device::cpu()); });
  EXPECT_NE(message.find(std::string("tensor '") + head_name(rcps) + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("differs from"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Caduceus, CaduceusFolder,
                         ::testing::Values(Variant{"ph_fused", false, true, true, true},
                                           Variant{"ph_unfused_layernorm_untied", false, false, false, false},
                                           Variant{"ps_fused", true, true, true, true},
                                           Variant{"ps_unfused", true, false, true, true}),
                         [](const auto& info) { return std::string(info.param.name); });

struct BadWeights {
  const char* name;
  std::function<void(NamedTensors&)> change;
  std::vector<std::string> message_parts;
};

class CaduceusWeightsRefused : public ::testing::TestWithParam<BadWeights> {};

// On the PS model (it has every kind of tensor: tied, buffers); the model is unchanged.
TEST_P(CaduceusWeightsRefused, NamingTheTensor) {
  const CaduceusConfig config = tiny_config({"ps", true, true, true, true});
  SavedFolder saved(config);
  NamedTensors tensors = saved.tensors;
  GetParam().change(tensors);
  saved.rewrite(tensors);

  Caduceus target = initialized_model(config, 12);
  const Tensor before = logits_of(target);
  const std::string message = message_of([&] { load_caduceus_weights(saved.directory, target); });
  EXPECT_NE(message.find(saved.weights), std::string::npos) << message;
  for (const std::string& part : GetParam().message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  EXPECT_TRUE(same_values(logits_of(target), before));
}

const std::string kNorm = "caduceus.backbone.layers.1.norm.weight";
const std::string kInProj = "caduceus.backbone.layers.0.mixer.submodule.mamba_fwd.in_proj.weight";

INSTANTIATE_TEST_SUITE_P(
    Files, CaduceusWeightsRefused,
    ::testing::Values(
        BadWeights{"missing",
                   [](auto& t) { std::erase_if(t, [](const auto& named) { return named.first == kNorm; }); },
                   {"tensor '" + kNorm + "'", "missing", "shape [8]"}},
        BadWeights{"missing_tied",
                   [](auto& t) { std::erase_if(t, [](const auto& named) { return named.first == kInProj; }); },
                   {"tensor '" + kInProj + "'", "missing", "shape [32, 8]",
                    "or as 'caduceus.backbone.layers.0.mixer.submodule.mamba_rev.in_proj.weight'"}},
        BadWeights{"extra", [](auto& t) { t.emplace_back("caduceus.backbone.layers.2.norm.weight", Tensor::zeros({8}, DType::f32)); },
                   {"tensor 'caduceus.backbone.layers.2.norm.weight'", "not a tensor of this model"}},
        BadWeights{"misshaped", [](auto& t) { tensor_named(t, kNorm) = Tensor::zeros({9}, DType::f32); },
                   {"tensor '" + kNorm + "'", "shape [9]", "shape [8]"}},
        BadWeights{"integer_weights", [](auto& t) { tensor_named(t, kNorm) = Tensor::zeros({8}, DType::i32); },
                   {"tensor '" + kNorm + "'", "stored as i32"}},
        BadWeights{"other_complement_map",
                   [](auto& t) {
                     tensor_named(t, "lm_head.complement_map") =
                         Tensor::from_vector<int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {16});
                   },
                   {"tensor 'lm_head.complement_map'", "the configuration's map"}},
        BadWeights{"missing_complement_map",
                   [](auto& t) {
                     std::erase_if(t, [](const auto& named) { return named.first == "lm_head.complement_map"; });
                   },
                   {"tensor 'lm_head.complement_map'", "missing"}}),
    [](const ::testing::TestParamInfo<BadWeights>& info) { return std::string(info.param.name); });

TEST(CaduceusWeights, HalfPrecisionFilesAreConverted) {
  SavedFolder saved(tiny_config({"ph", false, true, true, true}));
  NamedTensors tensors = saved.tensors;
  for (auto& [name, tensor] : tensors) {
    Tensor bf16 = Tensor::empty(tensor.shape(), DType::bf16);
    for (int64_t i = 0; i < tensor.numel(); ++i) bf16.data<bfloat16>()[i] = float_to_bf16(tensor.data<float>()[i]);
    tensor = bf16;
  }
  saved.rewrite(tensors);
  Caduceus loaded = load_caduceus(saved.directory, Device::cpu());
  for (Parameter* parameter : saved.model.parameters()) {
    const float* original = parameter->value.data<float>();
    const float* read = loaded.parameter(parameter->name).value.data<float>();
    for (int64_t i = 0; i < parameter->value.numel(); ++i) {
      ASSERT_EQ(read[i], bf16_to_float(float_to_bf16(original[i]))) << parameter->name << " [" << i << "]";
    }
  }
}

TEST(CaduceusWeights, FolderOfAnotherConfigurationIsRefused) {
  TemporaryFolder folder;
  Caduceus fused = initialized_model(tiny_config({"ph", false, true, true, true}), 11);
  save_caduceus(folder.file("model"), fused);
  Caduceus unfused = initialized_model(tiny_config({"ph", false, false, true, true}), 11);
  const std::string message = message_of([&] { load_caduceus_weights(folder.file("model"), unfused); });
  EXPECT_NE(message.find("config.json: fused_add_norm"), std::string::npos) << message;
}

TEST(CaduceusWeights, SavingReplacesAnExistingFolderWhole) {
  TemporaryFolder folder;
  const std::string directory = folder.file("model");
  Caduceus ph = initialized_model(tiny_config({"ph", false, true, true, true}), 11);
  save_caduceus(directory, ph);
  std::ofstream(directory + "/notes.txt") << "left by someone";
  Caduceus ps = initialized_model(tiny_config({"ps", true, true, true, true}), 13);
  save_caduceus(directory, ps);
  Caduceus loaded = load_caduceus(directory, Device::cpu());
  EXPECT_TRUE(loaded.config().rcps);
  expect_same_parameters(ps, loaded);
  EXPECT_FALSE(std::filesystem::exists(directory + "/notes.txt"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder.file("")), std::filesystem::directory_iterator()), 1);
}

}  // namespace
}  // namespace spindle
