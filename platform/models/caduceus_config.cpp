#include "platform/models/caduceus_config.h"

#include <cmath>

#include "kernels/error.h"
#include "kernels/reverse_complement.h"

namespace spindle {
namespace {

void require_positive(int64_t value, const std::string& source, const char* field) {
  SPINDLE_CHECK(value > 0, source + ": " + field, "got " + std::to_string(value), "a positive integer");
}

void require_positive(double value, const std::string& source, const char* field) {
  SPINDLE_CHECK(std::isfinite(value) && value > 0, source + ": " + field, "got " + std::to_string(value),
                "a positive finite number");
}

// The complement map spindle implements (kernels/reverse_complement.h) must be the one the
// configuration asks for, id by id; an involution over the padded vocabulary first, because
// that is the clearer message for a map that is not a complement at all.
void check_complement_map(const CaduceusConfig& config, const std::string& source) {
  const std::string where = source + ": complement_map";
  const int64_t vocab = config.padded_vocab_size();
  SPINDLE_CHECK(static_cast<int64_t>(config.complement_map.size()) <= vocab, where,
                std::to_string(config.complement_map.size()) + " entries",
                "at most the padded vocab_size, " + std::to_string(vocab));
  const std::vector<int64_t> map = config.padded_complement_map();
  for (int64_t id = 0; id < vocab; ++id) {
    SPINDLE_CHECK(map[id] >= 0 && map[id] < vocab, where,
                  "id " + std::to_string(id) + " maps to " + std::to_string(map[id]),
                  "ids in [0, " + std::to_string(vocab) + ")");
  }
  for (int64_t id = 0; id < vocab; ++id) {
    SPINDLE_CHECK(map[map[id]] == id, where,
                  "id " + std::to_string(id) + " -> " + std::to_string(map[id]) + " -> " + std::to_string(map[map[id]]),
                  "an involution (the complement of the complement is the id itself)");
  }
  for (int64_t id = 0; id < vocab; ++id) {
    SPINDLE_CHECK(map[id] == kernels::complement_token(id), where,
                  "id " + std::to_string(id) + " maps to " + std::to_string(map[id]),
                  std::to_string(kernels::complement_token(id)) +
                      ": the DNA tokenizer's complement (A7<->T10, C8<->G9, every other id itself), the "
                      "one spindle's reverse complement implements");
  }
}

}  // namespace

int64_t CaduceusConfig::padded_vocab_size() const {
  return (vocab_size + pad_vocab_size_multiple - 1) / pad_vocab_size_multiple * pad_vocab_size_multiple;
}

std::vector<int64_t> CaduceusConfig::padded_complement_map() const {
  std::vector<int64_t> map = complement_map;
  for (int64_t id = static_cast<int64_t>(map.size()); id < padded_vocab_size(); ++id) map.push_back(id);
  return map;
}

void CaduceusConfig::validate(const std::string& source) {
  require_positive(d_model, source, "d_model");
  require_positive(n_layer, source, "n_layer");
  require_positive(vocab_size, source, "vocab_size");
  require_positive(pad_vocab_size_multiple, source, "pad_vocab_size_multiple");
  require_positive(ssm.d_state, source, "ssm_cfg.d_state");
  require_positive(ssm.d_conv, source, "ssm_cfg.d_conv");
  require_positive(ssm.expand, source, "ssm_cfg.expand");
  SPINDLE_CHECK(ssm.dt_rank >= 0, source + ": ssm_cfg.dt_rank", "got " + std::to_string(ssm.dt_rank),
                "a positive integer, or \"auto\"");
  require_positive(ssm.dt_min, source, "ssm_cfg.dt_min");
  require_positive(ssm.dt_max, source, "ssm_cfg.dt_max");
  SPINDLE_CHECK(ssm.dt_min <= ssm.dt_max, source + ": ssm_cfg.dt_max",
                "dt_max " + std::to_string(ssm.dt_max) + " below dt_min " + std::to_string(ssm.dt_min),
                "dt_min <= dt_max");
  require_positive(ssm.dt_init_floor, source, "ssm_cfg.dt_init_floor");
  require_positive(ssm.dt_scale, source, "ssm_cfg.dt_scale");
  require_positive(norm_epsilon, source, "norm_epsilon");
  SPINDLE_CHECK(bidirectional_strategy == "add", source + ": bidirectional_strategy",
                "got \"" + bidirectional_strategy + "\"", "\"add\" (the only strategy spindle implements)");
  SPINDLE_CHECK(std::isfinite(initializer_range) && initializer_range >= 0, source + ": initializer_cfg.initializer_range",
                "got " + std::to_string(initializer_range), "a finite number >= 0");
  require_positive(n_residuals_per_layer, source, "initializer_cfg.n_residuals_per_layer");
  SPINDLE_CHECK(!rcps || !complement_map.empty(), source + ": complement_map", "missing for an rcps model",
                "the token complement map (rcps models embed and predict both strands)");
  if (!complement_map.empty()) check_complement_map(*this, source);
  ssm.d_model = d_model;
}

CaduceusConfig caduceus_131k_config(bool rcps) {
  // As in the published config.json (huggingface.co/kuleshov-group/caduceus-ps_seqlen-131k_
  // d_model-256_n_layer-16): vocab_size and complement_map already padded to 16 there.
  CaduceusConfig config;
  config.d_model = 256;
  config.n_layer = 16;
  config.vocab_size = 16;
  config.pad_vocab_size_multiple = 8;
  config.ssm = {.d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0,
                .dt_min = 0.001, .dt_max = 0.1, .dt_init_floor = 1e-4, .dt_scale = 1.0};
  config.rms_norm = true;
  config.residual_in_fp32 = false;
  config.fused_add_norm = true;
  config.norm_epsilon = 1e-5;
  config.bidirectional = true;
  config.bidirectional_strategy = "add";
  config.bidirectional_weight_tie = true;
  config.rcps = rcps;
  config.complement_map = {0, 1, 2, 3, 4, 5, 6, 10, 9, 8, 7, 11, 12, 13, 14, 15};
  config.initializer_range = 0.02;
  config.rescale_prenorm_residual = true;
  config.n_residuals_per_layer = 1;
  config.validate("caduceus_131k_config");
  return config;
}

}  // namespace spindle
