#include "pipelines/progress_meter.h"

#include <spdlog/spdlog.h>

namespace spindle {
namespace {

constexpr std::chrono::seconds kLogInterval{3};

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
    const double eta = (total_ - done) / rate;
    spdlog::info("{}: {:.1f}% ({:.1f} M{} of {:.1f} M{}), {:.1f} M{}/s, ETA {:.0f} s; {}", task_, 100.0 * done / total_,
                 done / 1e6, unit_, total_ / 1e6, unit_, rate / 1e6, unit_, eta, detail);
  } else {
    spdlog::info("{}: {:.1f} M{}, {:.1f} M{}/s; {}", task_, done / 1e6, unit_, rate / 1e6, unit_, detail);
  }
}

}  // namespace spindle
