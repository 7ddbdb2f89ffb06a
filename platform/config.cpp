#include "platform/config.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "kernels/error.h"

namespace spindle {
namespace {

std::string at_line(const std::string& source, const YAML::Mark& mark) {
  return mark.line >= 0 ? source + ":" + std::to_string(mark.line + 1) : source;
}

std::string describe_value(const YAML::Node& value) {
  if (value.IsNull()) return "nothing (null)";
  if (value.IsSequence()) return "a list";
  if (value.IsMap()) return "a mapping";
  if (value.Tag() == "!") return "the quoted string '" + value.Scalar() + "'";
  if (value.Tag() != "?") return "'" + value.Scalar() + "' tagged " + value.Tag();
  return "'" + value.Scalar() + "'";
}

// yaml-cpp tags plain (unquoted, untagged) scalars "?", quoted and block ones "!", and
// explicitly tagged ones with their tag (!!str 10: tag:yaml.org,2002:str). A number or boolean
// is a plain scalar, or one tagged as that type (!!int 10, !!float 0.5, !!bool true).
bool is_scalar_of(const YAML::Node& value, const char* yaml_type) {
  return value.IsScalar() && (value.Tag() == "?" || value.Tag() == std::string("tag:yaml.org,2002:") + yaml_type);
}

std::string dotted(const ConfigFile::KeyPath& path) {
  std::string text;
  for (const std::string& key : path) text += (text.empty() ? "" : ".") + key;
  return text;
}

// Rejects duplicate keys anywhere in the tree (yaml-cpp keeps both silently).
void check_unique_keys(const YAML::Node& node, const std::string& source) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        throw Error(at_line(source, entry.first.Mark()), "duplicate key '" + key + "'", "each key once per mapping");
      }
      check_unique_keys(entry.second, source);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_unique_keys(item, source);
  }
}

void find_unread(const YAML::Node& node, const ConfigFile::KeyPath& path, const ConfigFile::State& state) {
  if (!node.IsMap()) return;
  for (const auto& entry : node) {
    ConfigFile::KeyPath key = path;
    key.push_back(entry.first.Scalar());
    if (!state.read_keys.contains(key)) {
      throw Error(at_line(state.source, entry.first.Mark()) + ": " + dotted(key), "unknown key",
                  "only the keys this command reads (see its --help and docs)");
    }
    find_unread(entry.second, key, state);
  }
}

template <typename Number>
bool parse_number(const std::string& text, Number& value) {
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && stop == end;
}

}  // namespace

ConfigFile::ConfigFile(YAML::Node root, std::string source)
    : root_(std::move(root)), state_(std::make_shared<State>(State{std::move(source), {}})) {
  if (root_.IsNull()) root_ = YAML::Node(YAML::NodeType::Map);  // an empty file is an empty mapping
  if (!root_.IsMap()) {
    throw Error(at_line(state_->source, root_.Mark()), "the document is " + describe_value(root_),
                "a mapping of keys to values");
  }
  check_unique_keys(root_, state_->source);
}

ConfigFile ConfigFile::parse(const std::string& text, const std::string& source_name) {
  try {
    // Load would read the first document and ignore the rest without a word. Empty ones (a
    // trailing '---' or '...', as editors and templates leave) hold nothing to ignore.
    const std::vector<YAML::Node> documents = YAML::LoadAll(text);
    for (size_t i = 1; i < documents.size(); ++i) {
      if (documents[i].IsNull()) continue;
      throw Error(at_line(source_name, documents[i].Mark()), "a second YAML document",
                  "one document per configuration file");
    }
    return ConfigFile(documents.empty() ? YAML::Node() : documents[0], source_name);
  } catch (const YAML::Exception& e) {
    throw Error(source_name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
                "YAML syntax error: " + e.msg, "well-formed YAML");
  }
}

ConfigFile ConfigFile::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path, "cannot open configuration file", "a readable YAML file");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

ConfigMap ConfigFile::root() const { return ConfigMap(root_, {}, state_); }

void ConfigFile::finish() const { find_unread(root_, {}, *state_); }

ConfigFile::KeyPath ConfigMap::child_path(std::string_view key) const {
  ConfigFile::KeyPath path = path_;
  path.emplace_back(key);
  return path;
}

std::string ConfigMap::key_path(std::string_view key) const { return dotted(child_path(key)); }

std::string ConfigMap::location(std::string_view key) const {
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.Scalar() == key) return at_line(state_->source, entry.second.Mark()) + ": " + key_path(key);
    }
    return at_line(state_->source, node_.Mark()) + ": " + key_path(key);
  }
  return state_->source + ": " + key_path(key);
}

bool ConfigMap::has(std::string_view key) const { return node_.IsMap() && node_[std::string(key)].IsDefined(); }

std::optional<YAML::Node> ConfigMap::take(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  state_->read_keys.insert(child_path(key));
  return node_[std::string(key)];
}

YAML::Node ConfigMap::require(std::string_view key, const std::string& expected) const {
  std::optional<YAML::Node> value = take(key);
  if (!value) throw Error(location(key), "required key is missing", expected);
  return *value;
}

std::string ConfigMap::scalar(const YAML::Node& value, std::string_view key, const std::string& expected) const {
  if (!value.IsScalar()) throw Error(location(key), "got " + describe_value(value), expected);
  return value.Scalar();
}

int64_t ConfigMap::integer(std::string_view key, IntRange range, std::optional<int64_t> fallback) const {
  const std::string expected =
      "an integer in [" + std::to_string(range.min) + ", " + std::to_string(range.max) + "]";
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  int64_t number = 0;
  if (!is_scalar_of(value, "int") || !parse_number(value.Scalar(), number)) {
    throw Error(location(key), "got " + describe_value(value), expected);
  }
  if (number < range.min || number > range.max) throw Error(location(key), "got " + value.Scalar(), expected);
  return number;
}

double ConfigMap::real(std::string_view key, RealRange range, std::optional<double> fallback) const {
  std::ostringstream expected_text;
  expected_text << "a number in [" << range.min << ", " << range.max << "]";
  const std::string expected = expected_text.str();
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  double number = 0;
  if ((!is_scalar_of(value, "float") && !is_scalar_of(value, "int")) || !parse_number(value.Scalar(), number)) {
    throw Error(location(key), "got " + describe_value(value), expected);
  }
  if (!(number >= range.min && number <= range.max)) throw Error(location(key), "got " + value.Scalar(), expected);
  return number;
}

bool ConfigMap::boolean(std::string_view key, std::optional<bool> fallback) const {
  const std::string expected = "true or false";
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  const std::string text = scalar(value, key, expected);
  if (is_scalar_of(value, "bool")) {
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  throw Error(location(key), "got " + describe_value(value), expected);
}

std::string ConfigMap::text(std::string_view key, std::optional<std::string> fallback) const {
  const std::string expected = "a string";
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  if (value.IsNull()) throw Error(location(key), "got " + describe_value(value), expected);
  return scalar(value, key, expected);
}

std::string ConfigMap::choice(std::string_view key, const std::vector<std::string>& allowed,
                              std::optional<std::string> fallback) const {
  std::string expected = "one of";
  for (size_t i = 0; i < allowed.size(); ++i) expected += (i ? ", " : " ") + allowed[i];
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  const std::string text = scalar(value, key, expected);
  for (const std::string& option : allowed) {
    if (option == text) return text;
  }
  throw Error(location(key), "got " + describe_value(value), expected);
}

std::vector<int64_t> ConfigMap::integers(std::string_view key, IntRange range,
                                         std::optional<std::vector<int64_t>> fallback) const {
  const std::string expected =
      "a list of integers in [" + std::to_string(range.min) + ", " + std::to_string(range.max) + "]";
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  if (!value.IsSequence()) throw Error(location(key), "got " + describe_value(value), expected);
  std::vector<int64_t> numbers;
  for (const YAML::Node& item : value) {
    int64_t number = 0;
    if (!is_scalar_of(item, "int") || !parse_number(item.Scalar(), number) || number < range.min ||
        number > range.max) {
      throw Error(at_line(state_->source, item.Mark()) + ": " + key_path(key) + "[" +
                      std::to_string(numbers.size()) + "]",
                  "got " + describe_value(item), expected);
    }
    numbers.push_back(number);
  }
  return numbers;
}

std::vector<std::string> ConfigMap::texts(std::string_view key, std::optional<std::vector<std::string>> fallback) const {
  const std::string expected = "a list of strings";
  if (fallback && !has(key)) return *fallback;
  const YAML::Node value = require(key, expected);
  if (!value.IsSequence()) throw Error(location(key), "got " + describe_value(value), expected);
  std::vector<std::string> strings;
  for (const YAML::Node& item : value) {
    if (!item.IsScalar()) {
      throw Error(at_line(state_->source, item.Mark()) + ": " + key_path(key) + "[" + std::to_string(strings.size()) + "]",
                  "got " + describe_value(item), expected);
    }
    strings.push_back(item.Scalar());
  }
  return strings;
}

ConfigMap ConfigMap::map(std::string_view key) const {
  const YAML::Node value = require(key, "a mapping");
  if (!value.IsMap()) throw Error(location(key), "got " + describe_value(value), "a mapping");
  return ConfigMap(value, child_path(key), state_);
}

ConfigMap ConfigMap::optional_map(std::string_view key) const {
  if (!has(key)) return ConfigMap(YAML::Node(YAML::NodeType::Map), child_path(key), state_);
  return map(key);
}

}  // namespace spindle
