// CSV time series (e.g. ETTh1: "date,HUFL,...,OT") into a Series.
//
// The first line names the columns, each with a name of its own (not empty, blanks trimmed),
// after a UTF-8 byte order mark if there is one.
// Fields are separated by commas; a field may be quoted with '"' (a doubled quote inside
// stands for one). Every row must have as many fields as the header. The time column, when
// named, is parsed by parse_timestamp_ns (io/timestamp.h) and must increase; every other
// column is a float32 channel. A value is missing when it is empty or NaN (any case); what
// happens then is the MissingPolicy. Errors name file:line (1-based) and the column.
#pragma once

#include <optional>
#include <string>

#include "io/series.h"

namespace spindle {

enum class MissingPolicy {
  error,         // a missing value is an error (the default)
  mask,          // kept as NaN, and 1 in Series::missing
  forward_fill,  // the channel's previous value; missing in the first row is an error
};
// "error", "mask" or "ffill"; throws spindle::Error naming `where` otherwise.
MissingPolicy parse_missing_policy(const std::string& name, const std::string& where);

struct CsvOptions {
  std::optional<std::string> time_column;  // header name of the timestamps; none: no time axis
  MissingPolicy missing = MissingPolicy::error;
};

// Reads the whole file. Timestamps equally spaced give sampling_rate_hz and start_time_ns;
// otherwise the irregular steps are counted and the first is logged at warn level (rows
// keep their own times in Series::time_ns either way). Sets name to the file's stem.
Series read_csv_series(const std::string& path, const CsvOptions& options);

}  // namespace spindle
