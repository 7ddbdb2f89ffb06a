#include "pipelines/progress_meter.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace spindle {
namespace {

constexpr std::chrono::seconds kLogInterval{3};

// "812 B", "8.1 kB", "12.0 MB", "3.2 Gtokens": the SI prefix that keeps the figure readable.
std::string amount(double value, const std::string& unit) {
  constexpr struct {
    double scale;
    const char* prefix;
  } kPrefixes[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& [scale, prefix] : kPrefixes) {
    if (value >= scale) return fmt::format("{:.1f} {}{}", value / scale, prefix, unit);
  }
  return fmt::format("{:.0f} {}", value, unit);
}

// "42 s", "17 min 05 s", "3 h 02 min".
std::string duration(double seconds) {
  const int64_t whole = std::llround(seconds);
  if (whole < 60) return fmt::format("{} s", whole);
  if (whole < 3600) return fmt::format("{} min {:02d} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02d} min", whole / 3600, whole % 3600 / 60);
}

}  // namespace

ProgressMeter::ProgressMeter(std::string task, int64_t total, std::string unit)
    : task_(std::move(task)), unit_(std::move(unit)), total_(total), start_(Clock::now()), last_log_(start_) {}

void ProgressMeter::update(int64_t done, const std::string& detail) {
  const Clock::time_point now = Clock::now();
  if (now - last_log_ < kLogInterval) return;
  last_log_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = done / seconds;
  if (total_ > 0 && rate > 0) {
    spdlog::info("{}: {:.1f}% ({} of {}), {}/s, ETA {}; {}", task_, 100.0 * done / total_, amount(done, unit_),
                 amount(total_, unit_), amount(rate, unit_), duration((total_ - done) / rate), detail);
  } else {
    spdlog::info("{}: {}, {}/s; {}", task_, amount(done, unit_), amount(rate, unit_), detail);
  }
}

}  // namespace spindle
