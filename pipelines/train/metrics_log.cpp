#include "pipelines/train/metrics_log.h"

#include <filesystem>

#include "kernels/error.h"
#include "io/atomic_write.h"

namespace spindle {

MetricsLog::MetricsLog(const std::string& path) : path_(path) {}

MetricsLog MetricsLog::create(const std::string& path) {
  // An empty file is a run that stopped before its first step (diverged, killed): nothing to lose.
  std::error_code no_size;
  const bool holds_metrics = std::filesystem::exists(path) && std::filesystem::file_size(path, no_size) != 0;
  SPINDLE_CHECK(!holds_metrics, path, "metrics of a run are already here",
                "a new output folder, or resume: true to continue that run");
  MetricsLog log(path);
  log.out_.open(path, std::ios::out | std::ios::trunc);
  SPINDLE_CHECK(log.out_.good(), path, "cannot create", "a writable folder");
  return log;
}

MetricsLog MetricsLog::resume(const std::string& path, int64_t step) {
  MetricsLog log(path);
  std::string kept;
  {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      const bool last = in.eof();  // no newline after it: cut short while being written
      const nlohmann::json object = nlohmann::json::parse(line, nullptr, false);
      if (object.is_discarded() && last) break;
      SPINDLE_CHECK(object.is_object() && object.contains("kind") && object.contains("step") &&
                        object["step"].is_number_integer(),
                    path + ":" + std::to_string(number), "not a metrics line",
                    "a JSON object with kind and step per line, as spindle train writes");
      if (object["step"].get<int64_t>() > step) continue;
      log.record(object);
      kept += line + "\n";
    }
  }
  write_file_atomically(path, [&](std::ostream& out) { out << kept; });
  log.out_.open(path, std::ios::out | std::ios::app);
  SPINDLE_CHECK(log.out_.good(), path, "cannot append", "a writable file");
  return log;
}

void MetricsLog::record(const nlohmann::json& line) {
  if (!line.contains("loss") || !line["loss"].is_number()) return;
  const LossPoint point{line["step"].get<int64_t>(), line["loss"].get<double>()};
  if (line["kind"] == "train") training_.push_back(point);
  if (line["kind"] == "validation") validation_.push_back(point);
}

void MetricsLog::append(const nlohmann::json& line) {
  SPINDLE_CHECK(line.is_object() && line.contains("kind") && line.contains("step"), "MetricsLog::append",
                "a line without kind or step", "both");
  record(line);
  out_ << line.dump() << '\n';
  out_.flush();
  SPINDLE_CHECK(out_.good(), path_, "cannot write", "a writable file with free space");
}

}  // namespace spindle
