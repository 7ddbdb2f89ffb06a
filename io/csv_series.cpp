#include "io/csv_series.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "io/timestamp.h"
#include "kernels/error.h"

namespace spindle {
namespace {

// Splits one line into fields (RFC 4180 quoting within the line).
std::vector<std::string> split_fields(const std::string& line, const std::string& where) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw Error(where, "unterminated quoted field", "a closing '\"' on the same line");
  return fields;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

bool is_missing(std::string_view text) {
  return text.empty() || ((text.size() == 3) && (text[0] | 0x20) == 'n' && (text[1] | 0x20) == 'a' && (text[2] | 0x20) == 'n');
}

// Steps between consecutive times: the most common one, and how many differ from it.
std::pair<int64_t, int64_t> step_statistics(const std::vector<int64_t>& times) {
  std::map<int64_t, int64_t> counts;
  for (size_t i = 1; i < times.size(); ++i) ++counts[times[i] - times[i - 1]];
  int64_t common = 0, common_count = 0;
  for (const auto& [step, count] : counts) {
    if (count > common_count) {
      common = step;
      common_count = count;
    }
  }
  return {common, static_cast<int64_t>(times.size()) - 1 - common_count};
}

}  // namespace

MissingPolicy parse_missing_policy(const std::string& name, const std::string& where) {
  if (name == "error") return MissingPolicy::error;
  if (name == "mask") return MissingPolicy::mask;
  if (name == "ffill") return MissingPolicy::forward_fill;
  throw Error(where, "unknown missing-value policy '" + name + "'", "error, mask or ffill");
}

Series read_csv_series(const std::string& path, const CsvOptions& options) {
  std::ifstream input(path, std::ios::binary);
  if (!input) throw Error(path, "cannot open", "a readable CSV file");
  std::string line;
  if (!std::getline(input, line)) throw Error(path + ":1", "empty file", "a header line naming the columns");
  // Excel's "CSV UTF-8" begins with a byte order mark, which is no part of the first name.
  if (line.starts_with(kUtf8ByteOrderMark)) line.erase(0, kUtf8ByteOrderMark.size());
  // Names trimmed, the '\r' of a CRLF file too: channels and messages use them.
  std::vector<std::string> header = split_fields(line, path + ":1");
  for (std::string& name : header) name = std::string(trim(name));
  int time_index = -1;
  Series series;
  series.name = std::filesystem::path(path).stem().string();
  series.kind = "csv";
  series.source = std::filesystem::absolute(path).lexically_normal().string();
  std::map<std::string, size_t> first_column;  // names are how channels (and the time) are found later
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.empty()) {
      // pandas' to_csv writes its index under an empty name: to_csv(index=False) leaves it out.
      throw Error(path + ":1", "column " + std::to_string(i + 1) + " has an empty name",
                  "a name for every column (a pandas index written without a name: to_csv(index=False))");
    }
    if (const auto [seen, added] = first_column.emplace(name, i + 1); !added) {
      throw Error(path + ":1",
                  "columns " + std::to_string(seen->second) + " and " + std::to_string(i + 1) + " are both named '" +
                      name + "'",
                  "a name of its own for every column");
    }
    if (options.time_column && name == *options.time_column) {
      time_index = static_cast<int>(i);
    } else {
      series.channel_names.push_back(name);
      series.units.push_back("");
    }
  }
  if (options.time_column && time_index < 0) {
    throw Error(path + ":1", "no column named '" + *options.time_column + "' in the header",
                "one of the header's names for --time-column");
  }
  series.channels = static_cast<int64_t>(series.channel_names.size());
  if (series.channels == 0) throw Error(path + ":1", "no value columns", "at least one column besides the time");

  bool any_missing = false;
  int64_t line_number = 1;
  while (std::getline(input, line)) {
    ++line_number;
    const std::string where = path + ":" + std::to_string(line_number);
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split_fields(line, where);
    if (fields.size() != header.size()) {
      throw Error(where, "ragged row: " + std::to_string(fields.size()) + " fields",
                  std::to_string(header.size()) + " fields, as in the header");
    }
    size_t channel = 0;
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string_view text = trim(fields[i]);
      if (static_cast<int>(i) == time_index) {
        const std::optional<int64_t> time = parse_timestamp_ns(text);
        if (!time) {
          throw Error(where + ": column " + header[i], "unparseable date '" + std::string(text) + "'",
                      "YYYY-MM-DD[ HH:MM[:SS[.fff]][Z|+HH:MM]]");
        }
        if (!series.time_ns.empty() && *time <= series.time_ns.back()) {
          throw Error(where + ": column " + header[i], "time '" + std::string(text) + "' does not increase",
                      "rows in increasing time order");
        }
        series.time_ns.push_back(*time);
        continue;
      }
      float value = NAN;
      const bool missing = is_missing(text);
      if (!missing) {
        double parsed = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        // from_chars also reads inf, -nan and nan(...): not decimal numbers, nor missing values.
        if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(parsed)) {
          throw Error(where + ": column " + header[i], "unparseable number '" + std::string(text) + "'",
                      "a decimal number, empty or NaN" + std::string(options.time_column ? "" : " (a time column? name it with --time-column)"));
        }
        if (std::fabs(parsed) > std::numeric_limits<float>::max()) {
          throw Error(where + ": column " + header[i], "number '" + std::string(text) + "' outside the float32 range",
                      "a magnitude below 3.4e38 (values are stored as float32)");
        }
        value = static_cast<float>(parsed);
      } else if (options.missing == MissingPolicy::error) {
        throw Error(where + ": column " + header[i], "missing value",
                    "a number (or choose a policy for missing values: --missing mask|ffill)");
      } else if (options.missing == MissingPolicy::forward_fill) {
        if (series.rows == 0) {
          throw Error(where + ": column " + header[i], "missing value in the first row, nothing to fill it from",
                      "a number in the first row");
        }
        value = series.values[(series.rows - 1) * series.channels + channel];
      }
      series.values.push_back(value);
      if (options.missing == MissingPolicy::mask) series.missing.push_back(missing ? 1 : 0);
      any_missing |= missing;
      ++channel;
    }
    ++series.rows;
  }
  if (series.rows == 0) throw Error(path, "no data rows", "at least one row after the header");
  if (options.missing == MissingPolicy::mask && !any_missing) series.missing.clear();
  if (series.time_ns.size() > 1) {
    const auto [step, irregular] = step_statistics(series.time_ns);
    series.irregular_steps = irregular;
    series.start_time_ns = series.time_ns.front();
    if (irregular == 0) {
      series.sampling_rate_hz = 1e9 / static_cast<double>(step);
    } else {
      for (size_t i = 1; i < series.time_ns.size(); ++i) {
        if (series.time_ns[i] - series.time_ns[i - 1] != step) {
          spdlog::warn("{}: irregular timestamps: {} of {} steps differ from the usual {} s, the first at data row {}",
                       path, irregular, series.time_ns.size() - 1, step / 1e9, i + 1);
          break;
        }
      }
    }
  }
  return series;
}

}  // namespace spindle
