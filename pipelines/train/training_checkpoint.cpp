#include "pipelines/train/training_checkpoint.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "io/atomic_write.h"
#include "io/caduceus_checkpoint.h"
#include "io/safetensors.h"
#include "kernels/error.h"
#include "pipelines/train/mlm_masking.h"

namespace fs = std::filesystem;

namespace spindle {
namespace {

constexpr const char* kStateFormat = "spindle-trainer-state";
constexpr int kStateVersion = 1;
// Steps stop at 2^31 (train_config.cpp), so at most 10 digits: std::stoll cannot overflow.
const std::regex kCheckpointName(R"(step-(\d{8,10}))");

std::string folder_name(int64_t step) { return fmt::format("step-{:08d}", step); }
constexpr const char* kDeletingSuffix = ".deleting";
constexpr const char* kRecordName = "latest_checkpoint.json";

// FNV-1a, 64 bits: a short fingerprint of the settings for people comparing runs.
std::string fingerprint(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return fmt::format("fnv1a64:{:016x}", hash);
}

// Checkpoint folders of `dir` by step, oldest first.
std::vector<std::pair<int64_t, fs::path>> checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  if (!fs::is_directory(dir)) return found;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && std::regex_match(name, match, kCheckpointName)) {
      found.emplace_back(std::stoll(match[1]), entry.path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// All but the newest `keep` checkpoints of `dir` leave the step-* names by a rename, then are
// deleted: a kill during a deletion leaves a *.deleting folder, not half a checkpoint under a
// checkpoint's name. Such folders that an earlier run left are deleted too.
void prune_checkpoints(const std::string& dir, int64_t keep) {
  const auto all = checkpoints(dir);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) {
    std::error_code error;
    fs::rename(all[i].second, fs::path(all[i].second) += kDeletingSuffix, error);
    if (error) spdlog::warn("{}: old checkpoint not deleted: {}", all[i].second.string(), error.message());
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || !entry.path().filename().string().ends_with(kDeletingSuffix)) continue;
    std::error_code error;
    fs::remove_all(entry.path(), error);
    if (error) spdlog::warn("{}: old checkpoint not deleted: {}", entry.path().string(), error.message());
  }
}

std::string moment_name(const Parameter& parameter, bool second) {
  return parameter.name + (second ? ".exp_avg_sq" : ".exp_avg");
}

// The first difference between the checkpoint's settings and this run's, as an Error. The
// store is compared as a file, not as path text: one store named by another path (relative
// to another folder, through a link) is the same data.
void check_same_settings(nlohmann::json saved, const nlohmann::json& current, const std::string& where) {
  const nlohmann::json::json_pointer store("/data/store");
  const auto path_at = [&](const nlohmann::json& settings) {
    return settings.contains(store) && settings[store].is_string() ? settings[store].get<std::string>() : "";
  };
  const std::string saved_store = path_at(saved), current_store = path_at(current);
  if (!saved_store.empty() && !current_store.empty() && same_file(saved_store, current_store)) {
    saved[store] = current[store];
  }
  const nlohmann::json patch = nlohmann::json::diff(saved, current);
  if (patch.empty()) return;
  const nlohmann::json::json_pointer pointer(patch[0]["path"].get<std::string>());
  std::string key = pointer.to_string().substr(1);
  std::replace(key.begin(), key.end(), '/', '.');
  const auto value = [&](const nlohmann::json& settings) {
    return settings.contains(pointer) ? settings[pointer].dump() : std::string("(absent)");
  };
  throw Error(where, "written by a run with " + key + " = " + value(saved) + ", this configuration has " + value(current),
              "the settings of the run being resumed (a changed setting changes the losses; start a new run "
              "in another output folder instead)");
}

// A count of the trainer state: a missing or mistyped one is an error naming the file and the key.
int64_t state_count(const nlohmann::json& state, const std::string& key, const std::string& path) {
  const auto found = state.find(key);
  SPINDLE_CHECK(found != state.end() && found->is_number_integer() && found->get<int64_t>() >= 0,
                path + ": " + key, found == state.end() ? "missing" : "got " + found->dump(),
                "a count (0 or more), as spindle train writes");
  return found->get<int64_t>();
}

}  // namespace

void save_training_checkpoint(const std::string& dir, int64_t keep, Caduceus& model, const AdamWOptimizer& optimizer,
                              const TrainerState& state) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, Tensor>> moments;
  for (const AdamWOptimizer::Moments& moment : optimizer.moments()) {
    moments.emplace_back(moment_name(*moment.parameter, false), moment.m);
    moments.emplace_back(moment_name(*moment.parameter, true), moment.v);
  }
  const nlohmann::json trainer_state{
      {"format", kStateFormat},
      {"version", kStateVersion},
      {"step", state.step},
      {"windows_cursor", state.windows_cursor},
      {"masks", {{"stream", "MASK"}, {"next_index", state.step + 1}}},
      {"optimizer_steps", optimizer.steps_taken()},
      {"settings", state.settings},
      {"settings_hash", fingerprint(state.settings.dump())}};
  const std::string folder = (fs::path(dir) / folder_name(state.step)).string();
  write_folder_atomically(folder, [&](const std::string& temporary) {
    save_caduceus((fs::path(temporary) / "model").string(), model);
    write_safetensors((fs::path(temporary) / "optimizer.safetensors").string(), moments,
                      {{"steps_taken", std::to_string(optimizer.steps_taken())}});
    write_file_atomically((fs::path(temporary) / "trainer_state.json").string(),
                          [&](std::ostream& out) { out << trainer_state.dump(2) << '\n'; });
  });
  prune_checkpoints(dir, keep);
}

std::optional<std::string> latest_training_checkpoint(const std::string& dir) {
  const auto all = checkpoints(dir);
  if (all.empty()) return std::nullopt;
  return all.back().second.string();
}

std::vector<ReplacedFolder> replaced_training_checkpoints(const std::string& dir) {
  std::vector<ReplacedFolder> found = replaced_folders_in(dir);
  std::erase_if(found, [](const ReplacedFolder& replaced) {
    return !std::regex_match(fs::path(replaced.output).filename().string(), kCheckpointName);
  });
  return found;
}

void write_checkpoint_record(const std::string& output_dir, const CheckpointRecord& record) {
  const nlohmann::json json{{"checkpoint_dir", fs::absolute(record.dir).lexically_normal().string()},
                            {"step", record.step}};
  write_file_atomically((fs::path(output_dir) / kRecordName).string(),
                        [&](std::ostream& out) { out << json.dump(2) << '\n'; });
}

std::optional<CheckpointRecord> read_checkpoint_record(const std::string& output_dir) {
  const std::string path = (fs::path(output_dir) / kRecordName).string();
  std::error_code absent;
  if (!fs::exists(path, absent)) return std::nullopt;
  std::ifstream in(path);
  SPINDLE_CHECK(in.good(), path, "cannot open", "a readable file");
  const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
  const bool has_dir = record.is_object() && record.contains("checkpoint_dir") && record["checkpoint_dir"].is_string();
  SPINDLE_CHECK(has_dir, path + ": checkpoint_dir", record.is_object() ? "missing or not a path" : "not a JSON object",
                "the folder of the run's checkpoints, as spindle train writes");
  return CheckpointRecord{record["checkpoint_dir"].get<std::string>(), state_count(record, "step", path)};
}

void remove_checkpoint_record(const std::string& output_dir) {
  std::error_code error;
  fs::remove(fs::path(output_dir) / kRecordName, error);
  SPINDLE_CHECK(!error, (fs::path(output_dir) / kRecordName).string(), "cannot be deleted: " + error.message(),
                "a writable output folder");
}

TrainerState load_training_checkpoint(const std::string& folder, const nlohmann::json& settings, Caduceus& model,
                                      AdamWOptimizer& optimizer) {
  const std::string state_path = (fs::path(folder) / "trainer_state.json").string();
  std::ifstream in(state_path);
  SPINDLE_CHECK(in.good(), state_path, "cannot open", "a checkpoint folder as spindle train writes it");
  const nlohmann::json state = nlohmann::json::parse(in, nullptr, false);
  SPINDLE_CHECK(state.is_object() && state.value("format", "") == kStateFormat &&
                    state.value("version", 0) == kStateVersion,
                state_path, "not a trainer state", std::string(kStateFormat) + " version " + std::to_string(kStateVersion));
  const int64_t step = state_count(state, "step", state_path);
  const int64_t cursor = state_count(state, "windows_cursor", state_path);
  const int64_t optimizer_steps = state_count(state, "optimizer_steps", state_path);
  SPINDLE_CHECK(state.contains("settings") && state["settings"].is_object(), state_path + ": settings",
                state.contains("settings") ? "got " + state["settings"].dump() : "missing",
                "the settings of the run that wrote it, as spindle train writes");
  check_same_settings(state["settings"], settings, state_path);

  load_caduceus_weights((fs::path(folder) / "model").string(), model);
  SafetensorsReader reader((fs::path(folder) / "optimizer.safetensors").string());
  for (AdamWOptimizer::Moments& moment : optimizer.moments()) {
    for (const bool second : {false, true}) {
      const std::string name = moment_name(*moment.parameter, second);
      Tensor& target = second ? moment.v : moment.m;
      const SafetensorsEntry* entry = reader.find(name);
      SPINDLE_CHECK(entry && entry->shape == target.shape(), reader.path() + ": " + name,
                    entry ? "shape " + shape_str(entry->shape) : "missing",
                    "the moment of parameter " + moment.parameter->name + ", shape " + shape_str(target.shape()));
      target.copy_from(reader.read(name, target.dtype()));
    }
  }
  optimizer.set_steps_taken(optimizer_steps);
  return {step, cursor, state["settings"]};
}

}  // namespace spindle
