// Configuration files in YAML, read against a strict schema.
//
// The code that reads a section states each key's type, range and default as it reads it;
// the file is checked against exactly that. Wrong types, out-of-range values, missing
// required keys, duplicate keys and keys nobody read are errors naming the file, the line
// (1-based) and the key path ("optimizer.lr"). Quoted scalars are strings: `steps: "10"`
// is not an integer. Booleans are true/false only.
//
//   ConfigFile file = ConfigFile::load("train.yaml");
//   ConfigMap root = file.root();
//   int64_t steps = root.integer("steps", {1, 1'000'000'000}, 1000);
//   ConfigMap optimizer = root.map("optimizer");
//   double lr = optimizer.real("lr", {0.0, 1.0});          // required
//   file.finish();                                         // unknown keys -> error
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

struct IntRange {
  int64_t min, max;  // inclusive
};
struct RealRange {
  double min, max;  // inclusive
};

class ConfigMap;

class ConfigFile {
 public:
  // Parse errors name the file, line and column.
  static ConfigFile load(const std::string& path);
  // `source_name` stands in for the file name in messages.
  static ConfigFile parse(const std::string& text, const std::string& source_name);

  ConfigMap root() const;
  // Throws for the first key (in file order) that no reader asked for.
  void finish() const;

  // A key and the keys of the mappings above it, from the root: {"optimizer", "lr"}. Kept apart
  // rather than joined with dots, so that a key "optimizer.lr" is not taken for the nested one.
  using KeyPath = std::vector<std::string>;
  struct State {
    std::string source;
    std::set<KeyPath> read_keys;
  };

 private:
  ConfigFile(YAML::Node root, std::string source);
  YAML::Node root_;
  std::shared_ptr<State> state_;
};

class ConfigMap {
 public:
  bool has(std::string_view key) const;
  // Each reader: `fallback` given -> optional key with that default; absent -> required.
  int64_t integer(std::string_view key, IntRange range, std::optional<int64_t> fallback = std::nullopt) const;
  double real(std::string_view key, RealRange range, std::optional<double> fallback = std::nullopt) const;
  bool boolean(std::string_view key, std::optional<bool> fallback = std::nullopt) const;
  std::string text(std::string_view key, std::optional<std::string> fallback = std::nullopt) const;
  // A string that must be one of `allowed`.
  std::string choice(std::string_view key, const std::vector<std::string>& allowed,
                     std::optional<std::string> fallback = std::nullopt) const;
  // A list of integers, each in range.
  std::vector<int64_t> integers(std::string_view key, IntRange range,
                                std::optional<std::vector<int64_t>> fallback = std::nullopt) const;
  // A list of strings (quoted or not).
  std::vector<std::string> texts(std::string_view key, std::optional<std::vector<std::string>> fallback = std::nullopt) const;
  // A nested mapping; required.
  ConfigMap map(std::string_view key) const;
  // A nested mapping that may be absent (then an empty mapping).
  ConfigMap optional_map(std::string_view key) const;

  // "train.yaml:12: optimizer.lr" for a key of this map.
  std::string location(std::string_view key) const;

 private:
  friend class ConfigFile;
  ConfigMap(YAML::Node node, ConfigFile::KeyPath path, std::shared_ptr<ConfigFile::State> state)
      : node_(std::move(node)), path_(std::move(path)), state_(std::move(state)) {}
  // The value of key, marked as read; nullopt when absent (or the map itself is absent).
  std::optional<YAML::Node> take(std::string_view key) const;
  YAML::Node require(std::string_view key, const std::string& expected) const;
  std::string scalar(const YAML::Node& value, std::string_view key, const std::string& expected) const;
  ConfigFile::KeyPath child_path(std::string_view key) const;
  // "optimizer.lr", for messages.
  std::string key_path(std::string_view key) const;

  YAML::Node node_;  // a mapping, or null for an absent optional_map
  ConfigFile::KeyPath path_;  // key path of this map (empty for the root)
  std::shared_ptr<ConfigFile::State> state_;
};

}  // namespace spindle
