#include "pipelines/progress_meter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>

namespace spindle {
namespace {

constexpr std::chrono::seconds kLogInterval{3};

// "1,234,567" (fmt's {:L} would depend on the process's locale).
std::string with_thousands_separators(int64_t value) {
  std::string digits = std::to_string(value);
  for (int64_t at = static_cast<int64_t>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<size_t>(at), 1, ',');
  return digits;
}

// Below a million: "0.042", "0.42", "5.3", "42", "1,234", "999,999" (see progress_line).
std::string figure(double value) {
  // Two significant digits, trailing zero kept ("0.50"); from 9.95 up it would read "10.".
  if (value > 0 && value < 9.95 && value != std::floor(value)) return fmt::format("{:#.2g}", value);
  return with_thousands_separators(std::llround(value));
}

// "21 variants", "1,234 B", "12.3 MB", "3.2 Gtokens".
std::string amount(double value, const std::string& unit) {
  constexpr struct {
    double scale;
    const char* prefix;
  } kPrefixes[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}};
  for (const auto& [scale, prefix] : kPrefixes) {
    if (value >= scale) return fmt::format("{:.1f} {}{}", value / scale, prefix, unit);
  }
  return figure(value) + " " + unit;
}

// "42 s", "17 min 05 s", "3 h 02 min".
std::string duration(double seconds) {
  const int64_t whole = std::llround(seconds);
  if (whole < 60) return fmt::format("{} s", whole);
  if (whole < 3600) return fmt::format("{} min {:02d} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02d} min", whole / 3600, whole % 3600 / 60);
}

}  // namespace

std::string progress_line(const std::string& task, int64_t done, int64_t total, const std::string& unit,
                          double seconds, const std::string& detail) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  if (total > 0 && rate > 0) {
    return fmt::format("{}: {:.1f}% ({} of {}), {}/s, ETA {}; {}", task, 100.0 * static_cast<double>(done) / total,
                       amount(done, unit), amount(total, unit), amount(rate, unit),
                       duration(static_cast<double>(total - done) / rate), detail);
  }
  return fmt::format("{}: {}, {}/s; {}", task, amount(done, unit), amount(rate, unit), detail);
}

ProgressMeter::ProgressMeter(std::string task, int64_t total, std::string unit)
    : task_(std::move(task)), unit_(std::move(unit)), total_(total), start_(Clock::now()), last_log_(start_) {}

void ProgressMeter::update(int64_t done, const std::string& detail) {
  const Clock::time_point now = Clock::now();
  if (now - last_log_ < kLogInterval) return;
  last_log_ = now;
  spdlog::info("{}", progress_line(task_, done, total_, unit_, std::chrono::duration<double>(now - start_).count(),
                                   detail));
}

}  // namespace spindle
