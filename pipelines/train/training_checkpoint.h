// Checkpoints of a training run: everything a run needs to continue exactly as if it had
// never stopped. One folder per checkpoint, <dir>/step-<8-digit step>:
//
//   model/                 the model folder (io/caduceus_checkpoint.h: config.json +
//                          model.safetensors), loadable on its own (load_caduceus)
//   optimizer.safetensors  AdamW's moments, "<parameter>.exp_avg" and "<parameter>.exp_avg_sq"
//                          (f32, torch's names), and the steps taken in the metadata
//   trainer_state.json     the step, the training window reader's cursor, the mask stream's
//                          position, and the settings that decide the losses with their hash
//
// Each folder is written under a temporary name and renamed when complete, so a folder
// named step-* is whole; after each save only the newest `keep` remain (older ones leave the
// step-* names before they are deleted, so a kill midway leaves no half checkpoint).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/atomic_write.h"
#include "pipelines/train/adamw_optimizer.h"
#include "platform/models/caduceus.h"

namespace spindle {

struct TrainerState {
  int64_t step = 0;            // optimizer steps completed
  int64_t windows_cursor = 0;  // WindowReader::cursor() of the training windows
  nlohmann::json settings;     // trajectory_settings() of the run that wrote it
};

// Writes the checkpoint of `state.step` into `dir` (created if needed), then deletes all
// but the newest `keep` checkpoints there.
void save_training_checkpoint(const std::string& dir, int64_t keep, Caduceus& model, const AdamWOptimizer& optimizer,
                              const TrainerState& state);

// The newest checkpoint folder in `dir`, if any.
std::optional<std::string> latest_training_checkpoint(const std::string& dir);

// Checkpoint folders of `dir` that a save replacing them left moved aside and that are not
// settled yet (io/atomic_write.h: renamed back only once their process is gone and an hour
// has passed), so that a resume finding no checkpoint can name them.
std::vector<ReplacedFolder> replaced_training_checkpoints(const std::string& dir);

// Where the run of an output folder saved its newest checkpoint, kept in
// <output>/latest_checkpoint.json (rewritten with each save). A resume looks for its
// checkpoint in checkpoint.dir alone, and finding none there starts over at step 0, which is
// right only for a run stopped before its first checkpoint: this record tells the two apart.
struct CheckpointRecord {
  std::string dir;  // checkpoint.dir (written absolute)
  int64_t step = 0;
};

void write_checkpoint_record(const std::string& output_dir, const CheckpointRecord& record);

// The record of `output_dir`, or none when no checkpoint of its run was saved; a damaged one
// is an Error naming the file.
std::optional<CheckpointRecord> read_checkpoint_record(const std::string& output_dir);

// Deletes the record a deleted earlier run left in `output_dir` (a new run starts there).
void remove_checkpoint_record(const std::string& output_dir);

// Loads `folder` into `model` and `optimizer` (built with the run's configuration). The
// checkpoint's settings must equal `settings`: a difference is an Error naming the key and
// both values, since the resumed losses would not be the ones of an uninterrupted run.
TrainerState load_training_checkpoint(const std::string& folder, const nlohmann::json& settings, Caduceus& model,
                                      AdamWOptimizer& optimizer);

}  // namespace spindle
