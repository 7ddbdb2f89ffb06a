#include "pipelines/train/lr_schedule.h"

#include <cmath>
#include <numbers>
#include <string>

#include "kernels/error.h"

namespace spindle {

void LrSchedule::validate(const std::string& where) const {
  SPINDLE_CHECK(peak > 0 && floor >= 0 && floor <= peak, where,
                "peak " + std::to_string(peak) + ", floor " + std::to_string(floor), "0 <= floor <= peak, peak > 0");
  SPINDLE_CHECK(warmup_steps >= 0 && warmup_steps < total_steps, where,
                std::to_string(warmup_steps) + " warmup steps of " + std::to_string(total_steps),
                "fewer warmup steps than steps");
}

double LrSchedule::at(int64_t step) const {
  SPINDLE_CHECK(step >= 1 && step <= total_steps, "LrSchedule::at", "step " + std::to_string(step),
                "a step in [1, " + std::to_string(total_steps) + "]");
  if (step <= warmup_steps) return peak * static_cast<double>(step) / static_cast<double>(warmup_steps);
  const double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(total_steps - warmup_steps);
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace spindle
