// The configuration of `spindle train` (masked-LM pretraining of Caduceus), read strictly
// from YAML through platform/config.h: unknown keys, wrong types and values out of range
// are errors naming file:line and the key. docs/train_caduceus.yaml documents every key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/window_reader.h"
#include "pipelines/train/adamw_optimizer.h"
#include "pipelines/train/lr_schedule.h"
#include "pipelines/train/mlm_masking.h"
#include "platform/device.h"
#include "platform/distributed/grid_shape.h"
#include "platform/dtype.h"
#include "platform/models/caduceus_config.h"

namespace spindle {

struct TrainData {
  std::string store;
  int64_t window_tokens = 0;
  std::string window_where;  // "train.yaml:7: data.window"
  int64_t batch_windows = 0;
  std::string batch_where;  // "train.yaml:8: data.batch", for errors found later
  bool reverse_complement = false;
  // Held out for validation (never trained on): whole records and intervals.
  std::vector<std::string> validation_records;
  std::vector<WindowRegion> validation_intervals;
  std::string validation_where;  // "train.yaml:14: data.validation", for errors found later
};

struct TrainConfig {
  std::string source;        // the YAML file
  std::string model_source;  // the preset name or the config.json path
  CaduceusConfig model;
  TrainData data;
  MaskingRule masking;
  AdamWSettings adamw;
  double gradient_clip = 1.0;  // max global gradient norm
  LrSchedule schedule;         // total_steps = steps
  int64_t steps = 0;
  uint64_t seed = 0;
  Device device;
  DType activations = DType::f32;  // f32, or bf16 on a GPU (master weights stay f32)
  bool recompute = false;          // Caduceus::set_recompute: layers recomputed in backward
  // parallel: {sequence, data}: rings of `sequence` ranks share each window, `data` rings
  // split each batch; sequence x data must be the number of processes (mpirun -np).
  GridShape parallel;
  std::string checkpoint_dir;
  int64_t checkpoint_every = 0, checkpoint_keep = 0;
  int64_t validation_every = 0, validation_batches = 0;
  std::string output_dir;  // metrics.jsonl and loss_curve.svg
  bool resume = false;
  // Command line only: stop after this step as an interruption would (no extra checkpoint),
  // to show or test exact resume; 0 runs to `steps`.
  int64_t stop_after = 0;
};

// Reads and checks `path`.
TrainConfig read_train_config(const std::string& path);

// The settings that decide the training losses step by step, as JSON: data, masking,
// optimizer and schedule, steps, seed, device kind and precision. A resumed run must have
// the same. The model is not here (a checkpoint's config.json must describe the model
// being resumed), nor validation, checkpoint and output settings, which change no loss.
nlohmann::json trajectory_settings(const TrainConfig& config);

// "chr1:1,001-2,000" (samtools style: 1-based, inclusive; commas allowed) as the 0-based
// half-open region [1000, 2000) of chr1. Errors name `where`.
WindowRegion parse_interval(const std::string& text, const std::string& where);

}  // namespace spindle
