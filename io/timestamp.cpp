#include "io/timestamp.h"

#include <chrono>

namespace spindle {
namespace {

// Reads exactly `digits` decimal digits at `position`.
std::optional<int> read_digits(std::string_view text, size_t& position, size_t digits) {
  if (position + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[position + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  position += digits;
  return value;
}

// Whole years inside int64 nanoseconds' range (1677-09-21 to 2262-04-11): the arithmetic
// below cannot overflow for them.
constexpr int kFirstYear = 1678, kLastYear = 2261;

bool expect(std::string_view text, size_t& position, char c) {
  if (position >= text.size() || text[position] != c) return false;
  ++position;
  return true;
}

}  // namespace

std::optional<int64_t> parse_timestamp_ns(std::string_view text) {
  const bool utc_designator = !text.empty() && text.back() == 'Z';
  if (utc_designator) text.remove_suffix(1);
  size_t at = 0;
  const auto year = read_digits(text, at, 4);
  if (!year || *year < kFirstYear || *year > kLastYear || !expect(text, at, '-')) return std::nullopt;
  const auto month = read_digits(text, at, 2);
  if (!month || !expect(text, at, '-')) return std::nullopt;
  const auto day = read_digits(text, at, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  int64_t fraction_ns = 0, offset_ns = 0;
  if (at < text.size()) {
    if (text[at] != ' ' && text[at] != 'T') return std::nullopt;
    ++at;
    const auto h = read_digits(text, at, 2);
    if (!h || !expect(text, at, ':')) return std::nullopt;
    const auto m = read_digits(text, at, 2);
    if (!m) return std::nullopt;
    hour = *h;
    minute = *m;
    if (expect(text, at, ':')) {
      const auto s = read_digits(text, at, 2);
      if (!s) return std::nullopt;
      second = *s;
      if (expect(text, at, '.')) {
        int64_t scale = 100'000'000;
        const size_t first_digit = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9' && scale > 0) {
          fraction_ns += (text[at++] - '0') * scale;
          scale /= 10;
        }
        if (at == first_digit) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    // A UTC offset ("+02:00", "-0500"): the time is local, UTC is that time minus the offset.
    if (!utc_designator && at < text.size() && (text[at] == '+' || text[at] == '-')) {
      const int64_t sign = text[at++] == '-' ? -1 : 1;
      const auto offset_hours = read_digits(text, at, 2);
      expect(text, at, ':');
      const auto offset_minutes = read_digits(text, at, 2);
      if (!offset_hours || !offset_minutes || *offset_hours > 23 || *offset_minutes > 59) return std::nullopt;
      offset_ns = sign * (*offset_hours * 60 + *offset_minutes) * 60'000'000'000LL;
    }
  }
  if (at != text.size()) return std::nullopt;
  const int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * 60'000'000'000LL + second * 1'000'000'000LL + fraction_ns - offset_ns;
}

}  // namespace spindle
