// Date-time text to nanoseconds since 1970-01-01 00:00:00 UTC (proleptic Gregorian).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace spindle {

// Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS" and "YYYY-MM-DD HH:MM:SS.fff"
// (up to 9 fraction digits), with 'T' in place of the space and, after a time, a trailing 'Z'
// or a UTC offset ("+02:00", "-0500", subtracted to give UTC); times without a zone are taken
// as UTC, and so is a date alone (also with 'Z'). Years 1678 to 2261 (whole years inside the range
// of int64 nanoseconds, 1677-09-21 to 2262-04-11). Returns nothing for any other text, an
// impossible date or time (2017-02-30, 24:00) or a year outside that range.
std::optional<int64_t> parse_timestamp_ns(std::string_view text);

}  // namespace spindle
