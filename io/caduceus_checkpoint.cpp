#include "io/caduceus_checkpoint.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "io/atomic_write.h"
#include "io/safetensors.h"
#include "io/strict_json.h"
#include "kernels/error.h"
#include "platform/ops/convert.h"

namespace spindle {
namespace {

using Json = nlohmann::ordered_json;

// Keys every Hugging Face PretrainedConfig may write; none changes what a Caduceus model
// computes (tie_word_embeddings, which could, is checked separately). transformers 4.48 to
// 4.50 saved _attn_implementation_autoset in every config.json.
const std::set<std::string> kGenericKeys = {
    "_attn_implementation", "_attn_implementation_autoset", "_attn_implementation_internal", "_commit_hash",
    "_name_or_path", "add_cross_attention", "architectures", "auto_map", "bad_words_ids", "begin_suppress_tokens",
    "bos_token_id", "chunk_size_feed_forward",
    "cross_attention_hidden_size", "decoder_start_token_id", "diversity_penalty", "do_sample", "dtype",
    "early_stopping", "encoder_no_repeat_ngram_size", "eos_token_id", "exponential_decay_length_penalty",
    "finetuning_task", "forced_bos_token_id", "forced_eos_token_id", "id2label", "is_decoder", "is_encoder_decoder",
    "label2id", "length_penalty", "max_length", "min_length", "no_repeat_ngram_size", "num_beam_groups", "num_beams",
    "num_labels", "num_return_sequences", "output_attentions", "output_hidden_states", "output_scores",
    "pad_token_id", "prefix", "problem_type", "pruned_heads", "remove_invalid_values", "repetition_penalty",
    "return_dict", "return_dict_in_generate", "sep_token_id", "suppress_tokens", "task_specific_params",
    "temperature", "tf_legacy_loss", "tie_encoder_decoder", "tokenizer_class", "top_k", "top_p", "torch_dtype",
    "torchscript", "transformers_version", "typical_p", "use_bfloat16", "use_cache"};

int64_t integer(const Json& value, const std::string& where) {
  SPINDLE_CHECK(value.is_number_integer() && !(value.is_number_unsigned() &&
                                               value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())),
                where, "got " + value.dump(), "an integer");
  return value.get<int64_t>();
}

double real(const Json& value, const std::string& where) {
  SPINDLE_CHECK(value.is_number(), where, "got " + value.dump(), "a number");
  return value.get<double>();
}

bool boolean(const Json& value, const std::string& where) {
  SPINDLE_CHECK(value.is_boolean(), where, "got " + value.dump(), "true or false");
  return value.get<bool>();
}

std::string text(const Json& value, const std::string& where) {
  SPINDLE_CHECK(value.is_string(), where, "got " + value.dump(), "a string");
  return value.get<std::string>();
}

void require_object_or_null(const Json& value, const std::string& where) {
  SPINDLE_CHECK(value.is_object() || value.is_null(), where, "got " + value.dump(), "an object or null");
}

// A setting spindle implements with one value only.
void require_value(const Json& value, const Json& supported, const std::string& where) {
  SPINDLE_CHECK(value == supported, where, "got " + value.dump(), supported.dump() + " (the only value spindle implements)");
}

// Reads one JSON object key by key: each key of `fields` is read by its reader (given the
// value and the key's location), a key of `ignored` is skipped, any other key is an error.
using FieldReader = std::function<void(const Json& value, const std::string& at)>;
void read_fields(const Json& object, const std::string& prefix, const std::map<std::string, FieldReader>& fields,
                 const std::set<std::string>& ignored = {}) {
  for (const auto& [key, value] : object.items()) {
    const auto reader = fields.find(key);
    if (reader != fields.end()) {
      reader->second(value, prefix + key);
      continue;
    }
    SPINDLE_CHECK(ignored.contains(key), prefix + key, "unknown key",
                  "a field of the reference CaduceusConfig (docs/formats.md)");
  }
}

// ssm_cfg: the keyword arguments of mamba_ssm's Mamba; null means its defaults.
void read_ssm_cfg(const Json& cfg, const std::string& where, MambaConfig& ssm) {
  require_object_or_null(cfg, where);
  if (cfg.is_null()) return;
  read_fields(cfg, where + ".",
              {{"d_state", [&](const Json& v, const std::string& at) { ssm.d_state = integer(v, at); }},
               {"d_conv", [&](const Json& v, const std::string& at) { ssm.d_conv = integer(v, at); }},
               {"expand", [&](const Json& v, const std::string& at) { ssm.expand = integer(v, at); }},
               {"dt_rank",
                [&](const Json& v, const std::string& at) {
                  // "auto" is 0 in MambaConfig: ceil(d_model / 16).
                  ssm.dt_rank = v == "auto" ? 0 : v.is_number_integer() ? integer(v, at) : -1;
                  SPINDLE_CHECK(v == "auto" || ssm.dt_rank > 0, at, "got " + v.dump(), "\"auto\" or a positive integer");
                }},
               {"dt_min", [&](const Json& v, const std::string& at) { ssm.dt_min = real(v, at); }},
               {"dt_max", [&](const Json& v, const std::string& at) { ssm.dt_max = real(v, at); }},
               {"dt_scale", [&](const Json& v, const std::string& at) { ssm.dt_scale = real(v, at); }},
               {"dt_init_floor", [&](const Json& v, const std::string& at) { ssm.dt_init_floor = real(v, at); }},
               {"dt_init", [](const Json& v, const std::string& at) { require_value(v, "random", at); }},
               {"conv_bias", [](const Json& v, const std::string& at) { require_value(v, true, at); }},
               {"bias", [](const Json& v, const std::string& at) { require_value(v, false, at); }},
               // Which CUDA kernels the reference runs: no effect on what it computes.
               {"use_fast_path", [](const Json& v, const std::string& at) { boolean(v, at); }}});
}

void read_initializer_cfg(const Json& cfg, const std::string& where, CaduceusConfig& config) {
  require_object_or_null(cfg, where);
  if (cfg.is_null()) return;
  read_fields(cfg, where + ".",
              {{"initializer_range", [&](const Json& v, const std::string& at) { config.initializer_range = real(v, at); }},
               {"rescale_prenorm_residual",
                [&](const Json& v, const std::string& at) { config.rescale_prenorm_residual = boolean(v, at); }},
               {"n_residuals_per_layer",
                [&](const Json& v, const std::string& at) { config.n_residuals_per_layer = integer(v, at); }}});
}

// Keys are token ids ("0" .. "n-1", each once) and are read as such, in any order: files
// written by save_pretrained sort them as text ("0", "1", "10", "11", "2", ...). (The
// reference's RCPSEmbedding takes the values in file order, but its complement-map buffers
// come from the state dict, which load_caduceus_weights checks against this map.)
std::vector<int64_t> read_complement_map(const Json& map, const std::string& where) {
  require_object_or_null(map, where);
  std::vector<int64_t> complement;
  if (map.is_null()) return complement;
  const int64_t size = static_cast<int64_t>(map.size());
  complement.assign(static_cast<size_t>(size), -1);
  for (const auto& [key, value] : map.items()) {
    size_t used = 0;
    int64_t id = -1;
    try {
      id = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    SPINDLE_CHECK(used == key.size() && id >= 0 && id < size && complement[id] < 0, where,
                  "key \"" + key + "\"", "the token ids \"0\" .. \"" + std::to_string(size - 1) + "\", each once");
    complement[id] = integer(value, where + "." + key);
  }
  return complement;
}

CaduceusConfig parse_config(const Json& root, const std::string& path) {
  SPINDLE_CHECK(root.is_object(), path, "the document is " + root.dump().substr(0, 40), "a JSON object");
  SPINDLE_CHECK(root.contains("model_type"), path + ": model_type", "missing", "\"caduceus\"");
  for (const char* required : {"d_model", "n_layer", "vocab_size"}) {
    SPINDLE_CHECK(root.contains(required), path + ": " + required, "missing", "the key (no default is meaningful)");
  }
  CaduceusConfig config;
  auto flag = [](bool& field) { return [&field](const Json& v, const std::string& at) { field = boolean(v, at); }; };
  auto size = [](int64_t& field) { return [&field](const Json& v, const std::string& at) { field = integer(v, at); }; };
  read_fields(
      root, path + ": ",
      {{"model_type", [](const Json& v, const std::string& at) { require_value(v, "caduceus", at); }},
       {"d_model", size(config.d_model)},
       {"n_layer", size(config.n_layer)},
       {"vocab_size", size(config.vocab_size)},
       {"pad_vocab_size_multiple", size(config.pad_vocab_size_multiple)},
       {"ssm_cfg", [&](const Json& v, const std::string& at) { read_ssm_cfg(v, at, config.ssm); }},
       {"rms_norm", flag(config.rms_norm)},
       {"residual_in_fp32", flag(config.residual_in_fp32)},
       {"fused_add_norm", flag(config.fused_add_norm)},
       {"norm_epsilon", [&](const Json& v, const std::string& at) { config.norm_epsilon = real(v, at); }},
       {"initializer_cfg", [&](const Json& v, const std::string& at) { read_initializer_cfg(v, at, config); }},
       {"bidirectional", flag(config.bidirectional)},
       // null: BiMambaWrapper's default, "add".
       {"bidirectional_strategy",
        [&](const Json& v, const std::string& at) { config.bidirectional_strategy = v.is_null() ? "add" : text(v, at); }},
       {"bidirectional_weight_tie", flag(config.bidirectional_weight_tie)},
       {"rcps", flag(config.rcps)},
       {"complement_map",
        [&](const Json& v, const std::string& at) { config.complement_map = read_complement_map(v, at); }},
       // spindle's LM head is always the embedding.
       {"tie_word_embeddings", [](const Json& v, const std::string& at) { require_value(v, true, at); }}},
      kGenericKeys);
  config.validate(path);
  return config;
}

Json sorted_object(const std::map<std::string, Json>& fields) {
  Json object = Json::object();
  for (const auto& [key, value] : fields) object[key] = value;
  return object;
}

// The config.json save_pretrained writes (json.dumps with sort_keys): the reference pads
// vocab_size and complement_map when it builds the model, and saves them padded.
Json config_json(const CaduceusConfig& config) {
  Json complement = nullptr;
  if (!config.complement_map.empty()) {
    // Ids in numeric order, as Python sorts the integer keys it holds after padding.
    complement = Json::object();
    const std::vector<int64_t> padded = config.padded_complement_map();
    for (size_t id = 0; id < padded.size(); ++id) complement[std::to_string(id)] = padded[id];
  }
  const MambaConfig& ssm = config.ssm;
  return sorted_object({
      {"architectures", Json::array({"CaduceusForMaskedLM"})},
      // The reference's modeling files, for from_pretrained(trust_remote_code=True) when
      // they are copied beside (as in the published folders).
      {"auto_map", sorted_object({{"AutoConfig", "configuration_caduceus.CaduceusConfig"},
                                  {"AutoModel", "modeling_caduceus.Caduceus"},
                                  {"AutoModelForMaskedLM", "modeling_caduceus.CaduceusForMaskedLM"},
                                  {"AutoModelForSequenceClassification",
                                   "modeling_caduceus.CaduceusForSequenceClassification"}})},
      {"bidirectional", config.bidirectional},
      {"bidirectional_strategy", config.bidirectional_strategy},
      {"bidirectional_weight_tie", config.bidirectional_weight_tie},
      {"complement_map", complement},
      {"d_model", config.d_model},
      {"fused_add_norm", config.fused_add_norm},
      {"initializer_cfg", sorted_object({{"initializer_range", config.initializer_range},
                                         {"n_residuals_per_layer", config.n_residuals_per_layer},
                                         {"rescale_prenorm_residual", config.rescale_prenorm_residual}})},
      {"model_type", "caduceus"},
      {"n_layer", config.n_layer},
      {"norm_epsilon", config.norm_epsilon},
      {"pad_vocab_size_multiple", config.pad_vocab_size_multiple},
      {"rcps", config.rcps},
      {"residual_in_fp32", config.residual_in_fp32},
      {"rms_norm", config.rms_norm},
      {"ssm_cfg", sorted_object({{"bias", false},
                                 {"conv_bias", true},
                                 {"d_conv", ssm.d_conv},
                                 {"d_state", ssm.d_state},
                                 {"dt_init", "random"},
                                 {"dt_init_floor", ssm.dt_init_floor},
                                 {"dt_max", ssm.dt_max},
                                 {"dt_min", ssm.dt_min},
                                 {"dt_rank", ssm.dt_rank == 0 ? Json("auto") : Json(ssm.dt_rank)},
                                 {"dt_scale", ssm.dt_scale},
                                 {"expand", ssm.expand},
                                 {"use_fast_path", true}})},
      {"torch_dtype", "float32"},
      {"vocab_size", config.padded_vocab_size()},
  });
}

// The folder's configuration must be the model's: compared in config.json form, so that a
// vocabulary written padded or not compares equal.
void check_same_configuration(const CaduceusConfig& stored, const CaduceusConfig& model, const std::string& path) {
  const Json a = config_json(stored), b = config_json(model);
  for (const auto& [key, value] : b.items()) {
    SPINDLE_CHECK(a.at(key) == value, path + ": " + key, "is " + a.at(key).dump() + " in the folder",
                  value.dump() + ", the model's configuration");
  }
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

std::string describe_ids(const std::vector<int64_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "]";
}

// Reads every tensor of `path` the model expects, checked, before any parameter changes.
void load_weights(const std::string& path, Caduceus& model) {
  SafetensorsReader reader(path);
  const std::vector<Parameter*> parameters = model.parameters();
  const auto buffers = model.buffers();
  // Every name a stored tensor may have: a parameter's listed name and its tied aliases.
  std::map<std::string, std::vector<std::string>> names_of;
  for (const Parameter* parameter : parameters) names_of[parameter->name] = {parameter->name};
  for (const auto& [alias, listed] : model.tied_names()) names_of.at(listed).push_back(alias);
  std::set<std::string> expected;
  for (const auto& [listed, names] : names_of) expected.insert(names.begin(), names.end());
  for (const auto& buffer : buffers) expected.insert(buffer.first);
  for (const SafetensorsEntry& entry : reader.entries()) {
    SPINDLE_CHECK(expected.contains(entry.name), path + ": tensor '" + entry.name + "'", "not a tensor of this model",
                  "the reference state dict of the configured model (" + std::to_string(parameters.size()) +
                      " parameters, " + std::to_string(buffers.size()) + " buffers)");
  }

  std::vector<Tensor> values;
  for (const Parameter* parameter : parameters) {
    const Shape& shape = parameter->value.shape();
    Tensor value;
    std::string first_name;
    for (const std::string& name : names_of.at(parameter->name)) {
      const SafetensorsEntry* entry = reader.find(name);
      if (!entry) continue;
      const std::string where = path + ": tensor '" + name + "'";
      SPINDLE_CHECK(entry->shape == shape, where, "shape " + shape_str(entry->shape), "shape " + shape_str(shape));
      Tensor stored = reader.read(name, parameter->value.dtype());
      if (!value.defined()) {
        value = stored;
        first_name = name;
        continue;
      }
      SPINDLE_CHECK(same_bytes(stored, value), where, "differs from '" + first_name + "', the same tied tensor",
                    "equal values under every name of a tied tensor");
    }
    std::string also;
    for (size_t i = 1; i < names_of.at(parameter->name).size(); ++i) also += ", or as '" + names_of.at(parameter->name)[i] + "'";
    SPINDLE_CHECK(value.defined(), path + ": tensor '" + parameter->name + "'", "missing",
                  "a tensor of shape " + shape_str(shape) + also);
    values.push_back(value);
  }
  for (const auto& [name, ids] : buffers) {
    const std::string where = path + ": tensor '" + name + "'";
    const SafetensorsEntry* entry = reader.find(name);
    const Shape shape = {static_cast<int64_t>(ids.size())};
    SPINDLE_CHECK(entry, where, "missing", "an I64 tensor of shape " + shape_str(shape) + ", the complement map");
    SPINDLE_CHECK(entry->dtype == DType::i64 && entry->shape == shape, where,
                  std::string(dtype_name(entry->dtype)) + shape_str(entry->shape), "i64" + shape_str(shape));
    const std::vector<int64_t> stored = reader.read(name).to_vector<int64_t>();
    SPINDLE_CHECK(stored == ids, where, "holds " + describe_ids(stored), describe_ids(ids) + ", the configuration's map");
  }
  for (size_t i = 0; i < parameters.size(); ++i) parameters[i]->value.copy_from(values[i]);
}

std::string config_path(const std::string& directory) { return directory + "/config.json"; }
std::string weights_path(const std::string& directory) { return directory + "/model.safetensors"; }

}  // namespace

CaduceusConfig read_caduceus_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SPINDLE_CHECK(in.is_open(), path, "cannot open", "a readable config.json");
  const std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_config(parse_strict_json(content, path), path);
}

void write_caduceus_config(const std::string& path, const CaduceusConfig& config) {
  const std::string content = config_json(config).dump(2) + "\n";
  write_file_atomically(path, [&](std::ostream& out) { out << content; });
}

void save_caduceus(const std::string& directory, Caduceus& model) {
  std::vector<std::pair<std::string, Tensor>> state;
  for (const Parameter* parameter : model.parameters()) {
    state.emplace_back(parameter->name, ops::converted(parameter->value, DType::f32));
  }
  for (const auto& [name, ids] : model.buffers()) {
    state.emplace_back(name, Tensor::from_vector(ids, {static_cast<int64_t>(ids.size())}));
  }
  write_folder_atomically(directory, [&](const std::string& folder) {
    write_caduceus_config(config_path(folder), model.config());
    // save_pretrained's metadata; from_pretrained refuses a safetensors file without it.
    write_safetensors(weights_path(folder), state, {{"format", "pt"}});
  });
}

Caduceus load_caduceus(const std::string& directory, Device device, DType dtype) {
  Caduceus model(read_caduceus_config(config_path(directory)), device, dtype);
  load_weights(weights_path(directory), model);
  return model;
}

void load_caduceus_weights(const std::string& directory, Caduceus& model) {
  check_same_configuration(read_caduceus_config(config_path(directory)), model.config(), config_path(directory));
  load_weights(weights_path(directory), model);
}

}  // namespace spindle
