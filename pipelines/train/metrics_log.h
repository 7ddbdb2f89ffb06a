// metrics.jsonl of a training run: one JSON object per line, flushed as written, with
// "kind" ("train" or "validation") and "step" in every line. Also keeps the loss history
// the loss curve is drawn from.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/train/loss_curve_svg.h"

namespace spindle {

class MetricsLog {
 public:
  // A new file at `path`; an error if one with metrics exists (metrics of another run are never
  // overwritten). An empty one, left by a run that stopped before its first step, is replaced.
  static MetricsLog create(const std::string& path);
  // Continues `path` after `step`: its lines of later steps (written after the checkpoint a
  // run resumes from, and written again now) are dropped, rewriting the file atomically, and
  // the loss history is read back. A last line cut short by a crash is dropped too; any
  // other line that is not a metrics object is an error naming path:line.
  static MetricsLog resume(const std::string& path, int64_t step);

  // Writes `line` (an object with "kind" and "step"; "loss" is recorded in the history).
  void append(const nlohmann::json& line);

  const std::vector<LossPoint>& training() const { return training_; }
  const std::vector<LossPoint>& validation() const { return validation_; }

 private:
  explicit MetricsLog(const std::string& path);
  void record(const nlohmann::json& line);
  std::string path_;
  std::ofstream out_;
  std::vector<LossPoint> training_, validation_;
};

}  // namespace spindle
