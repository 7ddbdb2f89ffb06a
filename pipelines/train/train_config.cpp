#include "pipelines/train/train_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <limits>

#include "io/caduceus_checkpoint.h"
#include "io/dna_tokenizer.h"
#include "kernels/error.h"
#include "platform/config.h"

namespace spindle {
namespace {

// Steps and validation batches index the 32-bit Philox counter word of the masks.
constexpr IntRange kCount{1, int64_t{1} << 31};
constexpr IntRange kAnyCount{0, int64_t{1} << 31};
constexpr RealRange kFraction{0.0, 1.0};
constexpr RealRange kRate{0.0, 1e3};

const std::vector<std::string> kPresets{"caduceus-131k-ph", "caduceus-131k-ps"};

CaduceusConfig read_model(const ConfigMap& model, std::string& model_source) {
  const bool preset = model.has("preset");
  SPINDLE_CHECK(preset != model.has("config"), model.location(preset ? "config" : "preset"),
                preset ? "both model.preset and model.config" : "neither model.preset nor model.config",
                "exactly one: a preset (" + kPresets[0] + ", " + kPresets[1] + ") or a config.json");
  const std::string key = preset ? "preset" : "config";
  model_source = preset ? model.choice("preset", kPresets) : model.text("config");
  std::error_code unreadable;  // the path is the user's text: any error means no such file
  SPINDLE_CHECK(preset || std::filesystem::is_regular_file(model_source, unreadable), model.location("config"),
                "no file '" + model_source + "'", "the path of a Hugging Face config.json (relative to the current folder)");
  CaduceusConfig config = preset ? caduceus_131k_config(model_source == kPresets[1]) : read_caduceus_config(model_source);
  config.d_model = model.integer("d_model", {1, 1 << 16}, config.d_model);
  config.n_layer = model.integer("n_layer", {1, 1 << 12}, config.n_layer);
  config.ssm.d_state = model.integer("d_state", {1, 1 << 10}, config.ssm.d_state);
  config.ssm.expand = model.integer("expand", {1, 64}, config.ssm.expand);
  config.validate(model.location(key));
  // The model embeds and predicts store tokens: a smaller vocabulary fails only in the first step.
  constexpr int64_t kStoreTokens = dna::kTokenN + 1;
  SPINDLE_CHECK(config.padded_vocab_size() >= kStoreTokens, model.location(key),
                config.vocab_size == config.padded_vocab_size()
                    ? fmt::format("vocab_size {}", config.vocab_size)
                    : fmt::format("vocab_size {} (padded: {})", config.vocab_size, config.padded_vocab_size()),
                fmt::format("at least {}: the store's tokens run from [CLS] (0) to N ({})", kStoreTokens,
                            dna::kTokenN));
  return config;
}

TrainData read_data(const ConfigMap& data) {
  TrainData settings;
  settings.store = data.text("store");
  settings.window_tokens = data.integer("window", {1, int64_t{1} << 30});
  settings.window_where = data.location("window");
  settings.batch_windows = data.integer("batch", {1, 1 << 20});
  settings.batch_where = data.location("batch");
  settings.reverse_complement = data.boolean("reverse_complement", false);
  const ConfigMap validation = data.map("validation");
  settings.validation_where = data.location("validation");
  settings.validation_records = validation.texts("records", std::vector<std::string>{});
  const std::vector<std::string> intervals = validation.texts("intervals", std::vector<std::string>{});
  for (size_t i = 0; i < intervals.size(); ++i) {
    settings.validation_intervals.push_back(
        parse_interval(intervals[i], validation.location("intervals") + "[" + std::to_string(i) + "]"));
  }
  SPINDLE_CHECK(!settings.validation_records.empty() || !settings.validation_intervals.empty(),
                settings.validation_where, "nothing held out for validation",
                "records: [names] and/or intervals: [\"chr:start-end\"] of the store");
  return settings;
}

MaskingRule read_masking(const ConfigMap& masking) {
  MaskingRule rule;
  rule.probability = masking.real("probability", kFraction, rule.probability);
  rule.mask_fraction = masking.real("mask_fraction", kFraction, rule.mask_fraction);
  rule.random_fraction = masking.real("random_fraction", kFraction, rule.random_fraction);
  // Errors name the key that is wrong: a sum of fractions above 1 (the defaults' is 0.9) at a
  // fraction the file sets, not at probability.
  const bool fractions_wrong = rule.probability > 0 && rule.mask_fraction + rule.random_fraction > 1;
  const char* key = !fractions_wrong                 ? "probability"
                    : masking.has("mask_fraction") ? "mask_fraction"
                                                   : "random_fraction";
  rule.validate(masking.location(key));
  return rule;
}

AdamWSettings read_optimizer(const ConfigMap& optimizer, int64_t steps, LrSchedule& schedule, double& gradient_clip) {
  schedule.peak = optimizer.real("lr", kRate);
  SPINDLE_CHECK(schedule.peak > 0, optimizer.location("lr"), "got 0", "a learning rate above 0");
  schedule.floor = optimizer.real("min_lr", kRate, 0.0);
  SPINDLE_CHECK(schedule.floor <= schedule.peak, optimizer.location("min_lr"),
                fmt::format("{} above optimizer.lr {}", schedule.floor, schedule.peak),
                "a floor of the cosine decay at most optimizer.lr");
  schedule.warmup_steps = optimizer.integer("warmup_steps", kAnyCount, 0);
  schedule.total_steps = steps;
  schedule.validate(optimizer.location("warmup_steps"));
  gradient_clip = optimizer.real("gradient_clip", {1e-12, std::numeric_limits<double>::max()}, 1.0);
  AdamWSettings settings;
  settings.beta1 = optimizer.real("beta1", {0.0, 0.999999}, settings.beta1);
  settings.beta2 = optimizer.real("beta2", {0.0, 0.999999}, settings.beta2);
  settings.eps = optimizer.real("eps", {1e-30, 1.0}, settings.eps);
  settings.weight_decay = optimizer.real("weight_decay", kRate, settings.weight_decay);
  // Each step scales the weights by 1 - lr x weight_decay: at 0 or below they vanish or flip sign.
  const double scale = 1 - schedule.peak * settings.weight_decay;
  SPINDLE_CHECK(scale > 0, optimizer.location("weight_decay"),
                fmt::format("{} with optimizer.lr {}: each step scales the weights by 1 - lr x weight_decay = {}",
                            settings.weight_decay, schedule.peak, scale),
                "lr x weight_decay below 1");
  return settings;
}

// Products of the sizes that the model and the counters of a run hold in fixed widths.
void require_products_fit(const TrainConfig& config, const std::string& steps_where) {
  const TrainData& data = config.data;
  // The LM head's matrix product has a row per token of a process's forward, and matrix
  // sizes are 32-bit (kernels/matmul.h); refused here, not after the batch is allocated.
  const int64_t windows = data.batch_windows / config.parallel.data;
  const int64_t positions = (data.window_tokens + config.parallel.sequence - 1) / config.parallel.sequence;
  constexpr int64_t kMaxRows = std::numeric_limits<int32_t>::max();
  SPINDLE_CHECK(windows * positions <= kMaxRows, data.batch_where,
                fmt::format("{} windows of {} tokens: {} tokens in each process's forward", windows, positions,
                            windows * positions),
                fmt::format("at most {} (the LM head's matrix product has a row per token): a smaller data.batch or "
                            "data.window, or more processes in parallel",
                            kMaxRows));
  // Progress and metrics count the tokens of the whole run.
  const int64_t tokens_per_step = data.batch_windows * data.window_tokens;
  const int64_t most_steps = std::numeric_limits<int64_t>::max() / tokens_per_step;
  SPINDLE_CHECK(config.steps <= most_steps, steps_where,
                fmt::format("{} steps of {} tokens (data.batch x data.window)", config.steps, tokens_per_step),
                fmt::format("at most {} steps of so many tokens: a run's tokens are counted in 64 bits", most_steps));
}

}  // namespace

WindowRegion parse_interval(const std::string& text, const std::string& where) {
  const std::string expected = "\"record:start-end\", 1-based and inclusive as samtools writes regions (chr1:1-1000)";
  const size_t colon = text.rfind(':');
  SPINDLE_CHECK(colon != std::string::npos && colon > 0, where, "got '" + text + "'", expected);
  std::string digits;
  for (const char c : text.substr(colon + 1)) {
    if (c != ',') digits += c;
  }
  const size_t dash = digits.find('-');
  int64_t first = 0, last = 0;
  const auto number = [&](size_t begin, size_t end, int64_t& value) {
    const char* stop = digits.data() + end;
    const auto [at, error] = std::from_chars(digits.data() + begin, stop, value);
    return begin < end && error == std::errc() && at == stop;
  };
  SPINDLE_CHECK(dash != std::string::npos && number(0, dash, first) && number(dash + 1, digits.size(), last) &&
                    first >= 1 && first <= last,
                where, "got '" + text + "'", expected);
  return {text.substr(0, colon), first - 1, last};
}

TrainConfig read_train_config(const std::string& path) {
  const ConfigFile file = ConfigFile::load(path);
  const ConfigMap root = file.root();
  TrainConfig config;
  config.source = path;
  config.model = read_model(root.map("model"), config.model_source);
  config.data = read_data(root.map("data"));
  config.masking = read_masking(root.optional_map("masking"));
  config.steps = root.integer("steps", kCount);
  config.adamw = read_optimizer(root.map("optimizer"), config.steps, config.schedule, config.gradient_clip);
  config.seed = static_cast<uint64_t>(root.integer("seed", {0, std::numeric_limits<int64_t>::max()}, 0));
  config.device = Device::parse(root.text("device", "cpu"), root.location("device"));
  const std::string precision =
      root.choice("precision", {"f32", "bf16"}, config.device.is_cpu() ? "f32" : "bf16");
  SPINDLE_CHECK(precision == "f32" || config.device.is_cuda(), root.location("precision"),
                "bf16 on the CPU", "f32 on the CPU (bf16 activations run on a GPU)");
  config.activations = parse_dtype(precision, root.location("precision"));
  config.recompute = root.boolean("recompute", false);
  config.parallel = read_grid_shape(root);
  // Checked here, from the config alone, so that every rank refuses the same way.
  SPINDLE_CHECK(config.data.batch_windows % config.parallel.data == 0, config.parallel.where,
                "data: " + std::to_string(config.parallel.data) + " replicas for a batch of " +
                    std::to_string(config.data.batch_windows) + " windows",
                "a data size that divides data.batch (each replica trains on batch / data windows)");
  const int64_t halo = config.model.min_slice_length();
  // Without a ring the window alone is too short: named as such, not as the parallel: key.
  SPINDLE_CHECK(config.parallel.sequence > 1 || config.data.window_tokens >= halo, config.data.window_where,
                "windows of " + std::to_string(config.data.window_tokens) + " tokens",
                "at least " + std::to_string(halo) + " tokens (the convolution's halo)");
  SPINDLE_CHECK(config.data.window_tokens >= config.parallel.sequence * halo, config.parallel.where,
                "sequence: " + std::to_string(config.parallel.sequence) + " ranks for windows of " +
                    std::to_string(config.data.window_tokens) + " tokens",
                "at least " + std::to_string(halo) + " tokens per rank (the convolution's halo): data.window >= " +
                    std::to_string(config.parallel.sequence * halo));
  require_products_fit(config, root.location("steps"));
  config.output_dir = root.text("output");
  const ConfigMap checkpoint = root.optional_map("checkpoint");
  config.checkpoint_dir =
      checkpoint.text("dir", (std::filesystem::path(config.output_dir) / "checkpoints").string());
  config.checkpoint_every = checkpoint.integer("every", kCount, 1000);
  config.checkpoint_keep = checkpoint.integer("keep", kCount, 3);
  const ConfigMap validation = root.optional_map("validation");
  config.validation_every = validation.integer("every", kCount, 1000);
  config.validation_batches = validation.integer("batches", kCount, 8);
  config.resume = root.boolean("resume", false);
  file.finish();
  return config;
}

nlohmann::json trajectory_settings(const TrainConfig& config) {
  nlohmann::json held_out = nlohmann::json::array();
  for (const WindowRegion& region : config.data.validation_intervals) {
    held_out.push_back({region.record, region.start, region.end});
  }
  // The store as written: a resumed run compares it as a file (io/atomic_write.h same_file),
  // so a run folder moved with its store, named relative to it, resumes where it is now.
  return {{"data",
           {{"store", config.data.store},
            {"window", config.data.window_tokens},
            {"batch", config.data.batch_windows},
            {"reverse_complement", config.data.reverse_complement},
            {"validation_records", config.data.validation_records},
            {"validation_intervals", held_out}}},
          {"masking",
           {{"probability", config.masking.probability},
            {"mask_fraction", config.masking.mask_fraction},
            {"random_fraction", config.masking.random_fraction}}},
          {"optimizer",
           {{"lr", config.schedule.peak},
            {"min_lr", config.schedule.floor},
            {"warmup_steps", config.schedule.warmup_steps},
            {"beta1", config.adamw.beta1},
            {"beta2", config.adamw.beta2},
            {"eps", config.adamw.eps},
            {"weight_decay", config.adamw.weight_decay},
            {"gradient_clip", config.gradient_clip}}},
          {"steps", config.steps},
          {"seed", config.seed},
          {"device", config.device.is_cpu() ? "cpu" : "cuda"},
          {"precision", std::string(dtype_name(config.activations))}};
}

}  // namespace spindle
