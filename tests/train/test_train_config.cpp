// The training configuration: the documented example reads as written; mistakes are errors
// naming file:line and the key.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "io/caduceus_checkpoint.h"
#include "kernels/error.h"
#include "pipelines/train/train_config.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

const std::string kMinimal =
    "model:\n"
    "  preset: caduceus-131k-ps\n"
    "  d_model: 16\n"
    "  n_layer: 2\n"
    "data:\n"
    "  store: genome.h5\n"
    "  window: 64\n"
    "  batch: 2\n"
    "  validation:\n"
    "    records: [chrV]\n"
    "optimizer:\n"
    "  lr: 1.0e-3\n"
    "steps: 20\n"
    "output: run\n";

// The error `text` (as train.yaml in a temporary folder) raises, with the folder's path
// replaced by "DIR" ("" when it reads without error).
std::string error_of(const std::string& text) {
  test::TemporaryFolder folder;
  const std::string path = folder.write("train.yaml", text);
  try {
    read_train_config(path);
  } catch (const Error& e) {
    std::string message = e.what();
    const std::string directory = std::filesystem::path(path).parent_path().string();
    for (size_t at; (at = message.find(directory)) != std::string::npos;) message.replace(at, directory.size(), "DIR");
    return message;
  }
  return "";
}

TEST(TrainConfig, TheDocumentedExampleReadsAsWritten) {
  const char* source = std::getenv("SPINDLE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "run through ctest";
  const TrainConfig config = read_train_config(std::string(source) + "/docs/train_caduceus.yaml");
  EXPECT_EQ(config.model_source, "caduceus-131k-ph");
  EXPECT_FALSE(config.model.rcps);
  EXPECT_EQ(config.model.d_model, 128);
  EXPECT_EQ(config.model.ssm.d_model, 128);
  EXPECT_EQ(config.model.n_layer, 4);
  EXPECT_EQ(config.data.window_tokens, 1024);
  EXPECT_TRUE(config.data.reverse_complement);
  EXPECT_EQ(config.data.validation_records, std::vector<std::string>{"chr22"});
  ASSERT_EQ(config.data.validation_intervals.size(), 1u);
  EXPECT_EQ(config.data.validation_intervals[0].start, 5'000'000);
  EXPECT_EQ(config.data.validation_intervals[0].end, 6'000'000);
  EXPECT_DOUBLE_EQ(config.schedule.peak, 8e-3);
  EXPECT_EQ(config.schedule.warmup_steps, 1000);
  EXPECT_EQ(config.schedule.total_steps, 10000);
  EXPECT_DOUBLE_EQ(config.adamw.beta2, 0.95);
  EXPECT_DOUBLE_EQ(config.adamw.weight_decay, 0.1);
  EXPECT_EQ(config.device, Device::cuda(0));
  EXPECT_EQ(config.activations, DType::bf16);
  EXPECT_FALSE(config.recompute);
  EXPECT_EQ(config.parallel.ranks(), 1);
  EXPECT_EQ(config.checkpoint_every, 500);
  EXPECT_EQ(config.seed, 2222u);
}

TEST(TrainConfig, DefaultsOfAMinimalConfig) {
  test::TemporaryFolder folder;
  const TrainConfig config = read_train_config(folder.write("train.yaml", kMinimal));
  EXPECT_TRUE(config.model.rcps);
  EXPECT_DOUBLE_EQ(config.masking.probability, 0.15);
  EXPECT_EQ(config.device, Device::cpu());
  EXPECT_EQ(config.activations, DType::f32);
  EXPECT_EQ(config.checkpoint_dir, "run/checkpoints");
  EXPECT_EQ(config.checkpoint_keep, 3);
  EXPECT_DOUBLE_EQ(config.gradient_clip, 1.0);
  EXPECT_FALSE(config.resume);
}

TEST(TrainConfig, AModelFromAConfigJsonWithOverrides) {
  test::TemporaryFolder folder;
  CaduceusConfig published = caduceus_131k_config(true);
  write_caduceus_config(folder.file("config.json"), published);
  std::string text = kMinimal;
  text.replace(text.find("  preset: caduceus-131k-ps\n"), 27, "  config: " + folder.file("config.json") + "\n");
  const TrainConfig config = read_train_config(folder.write("train.yaml", text));
  EXPECT_EQ(config.model_source, folder.file("config.json"));
  EXPECT_TRUE(config.model.rcps);
  EXPECT_EQ(config.model.d_model, 16);
  EXPECT_EQ(config.model.n_layer, 2);
  EXPECT_EQ(config.model.complement_map, published.complement_map);
  std::string missing = text;
  missing.replace(missing.find(folder.file("config.json")), folder.file("config.json").size(), "nowhere/config.json");
  EXPECT_EQ(error_of(missing), "DIR/train.yaml:2: model.config: no file 'nowhere/config.json' (expected the path of a "
                               "Hugging Face config.json (relative to the current folder))");
  text.replace(text.find("  config:"), 0, "  preset: caduceus-131k-ph\n");
  EXPECT_NE(error_of(text).find("DIR/train.yaml:3: model.config: both model.preset and model.config"),
            std::string::npos)
      << error_of(text);
}

TEST(TrainConfig, UnknownKeyWrongTypeAndBadValuesNameFileLineAndKey) {
  EXPECT_EQ(error_of(kMinimal + "optimizer_x: 1\n"),
            "DIR/train.yaml:15: optimizer_x: unknown key (expected only the keys this command reads (see its --help and "
            "docs))");
  EXPECT_EQ(error_of(kMinimal + "masking:\n  probability: 0.15\n  keep_fraction: 0.1\n"),
            "DIR/train.yaml:17: masking.keep_fraction: unknown key (expected only the keys this command reads (see its "
            "--help and docs))");
  std::string wrong_type = kMinimal;
  wrong_type.replace(wrong_type.find("window: 64"), 10, "window: 6k");
  EXPECT_EQ(error_of(wrong_type), "DIR/train.yaml:7: data.window: got '6k' (expected an integer in [1, 1073741824])");
  EXPECT_EQ(error_of(kMinimal + "precision: bf16\n"),
            "DIR/train.yaml:15: precision: bf16 on the CPU (expected f32 on the CPU (bf16 activations run on a GPU))");
  EXPECT_EQ(error_of(kMinimal + "device: gpu\n"),
            "DIR/train.yaml:15: device: unknown device 'gpu' (expected cpu, cuda or cuda:N with N >= 0)");
  std::string bad_preset = kMinimal;
  bad_preset.replace(bad_preset.find("caduceus-131k-ps"), 16, "caduceus-1m");
  EXPECT_NE(error_of(bad_preset).find("DIR/train.yaml:2: model.preset: got 'caduceus-1m'"), std::string::npos);
  std::string no_held_out = kMinimal;
  no_held_out.replace(no_held_out.find("    records: [chrV]\n"), 20, "    records: []\n");
  EXPECT_NE(error_of(no_held_out).find("DIR/train.yaml:10: data.validation: nothing held out"), std::string::npos);
  EXPECT_NE(error_of(kMinimal + "masking:\n  mask_fraction: 0.95\n").find("sum is at most 1"), std::string::npos);
}

TEST(TrainConfig, ParallelGridMustSplitTheBatchAndTheWindow) {
  const TrainConfig config = [] {
    test::TemporaryFolder folder;
    return read_train_config(folder.write("train.yaml", kMinimal + "parallel: {sequence: 4, data: 2}\n"));
  }();
  EXPECT_EQ(config.parallel.sequence, 4);
  EXPECT_EQ(config.parallel.data, 2);
  EXPECT_EQ(error_of(kMinimal + "parallel: {data: 3}\n"),
            "DIR/train.yaml:15: parallel: data: 3 replicas for a batch of 2 windows (expected a data size that "
            "divides data.batch (each replica trains on batch / data windows))");
  EXPECT_EQ(error_of(kMinimal + "parallel: {sequence: 32}\n"),
            "DIR/train.yaml:15: parallel: sequence: 32 ranks for windows of 64 tokens (expected at least 3 tokens "
            "per rank (the convolution's halo): data.window >= 96)");
}

// `kMinimal` with `key: value` lines replaced (each key as written there, with its indent).
std::string with(std::string text, const std::vector<std::pair<std::string, std::string>>& replacements) {
  for (const auto& [from, to] : replacements) text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(TrainConfig, ProductsOfSizesMustFitTheirCounters) {
  // The LM head's matrix product has a row per token of a process's forward (32-bit sizes).
  const std::string huge = with(kMinimal, {{"window: 64", "window: 4096"}, {"batch: 2", "batch: 1048576"}});
  EXPECT_EQ(error_of(huge),
            "DIR/train.yaml:8: data.batch: 1048576 windows of 4096 tokens: 4294967296 tokens in each process's "
            "forward (expected at most 2147483647 (the LM head's matrix product has a row per token): a smaller "
            "data.batch or data.window, or more processes in parallel)");
  EXPECT_NE(error_of(huge + "parallel: {data: 2}\n").find("524288 windows of 4096 tokens: 2147483648 tokens"),
            std::string::npos);
  EXPECT_EQ(error_of(huge + "parallel: {data: 4}\n"), "");
  // Tokens of the whole run are counted in 64 bits (progress, metrics).
  const std::string long_run =
      with(kMinimal,
           {{"window: 64", "window: 1073741824"}, {"batch: 2", "batch: 1048576"}, {"steps: 20", "steps: 2147483648"}}) +
      "parallel: {data: 1048576}\n";
  EXPECT_EQ(error_of(long_run),
            "DIR/train.yaml:13: steps: 2147483648 steps of 1125899906842624 tokens (data.batch x data.window) "
            "(expected at most 8191 steps of so many tokens: a run's tokens are counted in 64 bits)");
}

TEST(TrainConfig, WeightDecayThatFlipsTheWeightsIsRefused) {
  // Each step scales the weights by 1 - lr x weight_decay: at 0 or below they vanish or flip sign.
  EXPECT_EQ(error_of(with(kMinimal, {{"  lr: 1.0e-3\n", "  lr: 1.0e-3\n  weight_decay: 1000\n"}})),
            "DIR/train.yaml:13: optimizer.weight_decay: 1000 with optimizer.lr 0.001: each step scales the weights "
            "by 1 - lr x weight_decay = 0 (expected lr x weight_decay below 1)");
  EXPECT_EQ(error_of(with(kMinimal, {{"  lr: 1.0e-3\n", "  lr: 1.0e-3\n  weight_decay: 999\n"}})), "");
}

TEST(TrainConfig, ALearningRateOfZeroOrAFloorAboveItNamesThatKey) {
  // Both were refused at optimizer.warmup_steps (its line, or the optimizer's when absent) as
  // "peak 0.000000, floor 0.000000": a key the user did not get wrong, in words the file has not.
  EXPECT_EQ(error_of(with(kMinimal, {{"  lr: 1.0e-3\n", "  lr: 0\n  warmup_steps: 2\n"}})),
            "DIR/train.yaml:12: optimizer.lr: got 0 (expected a learning rate above 0)");
  EXPECT_EQ(error_of(with(kMinimal, {{"  lr: 1.0e-3\n", "  lr: 1.0e-3\n  min_lr: 1.0e-2\n  warmup_steps: 2\n"}})),
            "DIR/train.yaml:13: optimizer.min_lr: 0.01 above optimizer.lr 0.001 (expected a floor of the cosine "
            "decay at most optimizer.lr)");
  EXPECT_EQ(error_of(with(kMinimal, {{"  lr: 1.0e-3\n", "  lr: 1.0e-3\n  min_lr: 1.0e-3\n"}})), "");
}

TEST(TrainConfig, FractionsSummingAboveOneNameAFractionTheFileSets) {
  // They were refused at masking.probability (the masking: line when probability is not set).
  EXPECT_EQ(error_of(kMinimal + "masking:\n  mask_fraction: 0.95\n"),
            "DIR/train.yaml:16: masking.mask_fraction: mask_fraction 0.950000 and random_fraction 0.100000 "
            "(expected fractions in [0, 1] whose sum is at most 1 (the rest stays unchanged))");
  EXPECT_EQ(error_of(kMinimal + "masking:\n  probability: 0.2\n  random_fraction: 0.5\n"),
            "DIR/train.yaml:17: masking.random_fraction: mask_fraction 0.800000 and random_fraction 0.500000 "
            "(expected fractions in [0, 1] whose sum is at most 1 (the rest stays unchanged))");
  EXPECT_NE(error_of(kMinimal + "masking:\n  probability: 0\n").find("DIR/train.yaml:16: masking.probability: "),
            std::string::npos);
}

TEST(TrainConfig, AVocabularyWithoutTheDnaTokensIsRefused) {
  // A config.json whose vocab_size stops short of N (token 11) was accepted, and the run
  // failed at step 1 in the embedding ("id 7 at position 0"), naming neither file nor key.
  test::TemporaryFolder folder;
  CaduceusConfig small = caduceus_131k_config(false);
  small.vocab_size = 4;
  small.pad_vocab_size_multiple = 1;
  small.complement_map.clear();
  write_caduceus_config(folder.file("config.json"), small);
  const std::string text =
      with(kMinimal, {{"  preset: caduceus-131k-ps\n", "  config: " + folder.file("config.json") + "\n"}});
  EXPECT_EQ(error_of(text), "DIR/train.yaml:2: model.config: vocab_size 4 (expected at least 12: the store's tokens "
                            "run from [CLS] (0) to N (11))");
}

TEST(TrainConfig, AWindowShorterThanTheHaloNamesDataWindowWithoutAGrid) {
  // Without a parallel: key the error named "train.yaml:1: parallel", a key not in the file.
  EXPECT_EQ(error_of(with(kMinimal, {{"window: 64", "window: 2"}})),
            "DIR/train.yaml:7: data.window: windows of 2 tokens (expected at least 3 tokens (the convolution's "
            "halo))");
  EXPECT_EQ(error_of(with(kMinimal, {{"window: 64", "window: 3"}})), "");
}

TEST(TrainConfig, IntervalsAreOneBasedInclusiveLikeSamtools) {
  const WindowRegion region = parse_interval("chrUn:KI270742v1:1,001-2,000", "intervals[0]");
  EXPECT_EQ(region.record, "chrUn:KI270742v1");
  EXPECT_EQ(region.start, 1000);
  EXPECT_EQ(region.end, 2000);
  for (const char* bad : {"chr1", "chr1:0-10", "chr1:20-10", "chr1:5", ":1-2", "chr1:1-2x"}) {
    EXPECT_THROW(parse_interval(bad, "intervals[0]"), Error) << bad;
  }
}

}  // namespace
}  // namespace spindle
