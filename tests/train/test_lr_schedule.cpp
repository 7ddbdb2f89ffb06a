// The learning-rate schedule: linear warmup to the peak, cosine decay to the floor.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "kernels/error.h"
#include "pipelines/train/lr_schedule.h"

namespace spindle {
namespace {

TEST(LrSchedule, WarmsUpLinearlyThenFollowsTheCosineToTheFloor) {
  const LrSchedule schedule{.peak = 1e-3, .floor = 1e-4, .warmup_steps = 10, .total_steps = 110};
  EXPECT_DOUBLE_EQ(schedule.at(1), 1e-4);
  EXPECT_DOUBLE_EQ(schedule.at(5), 5e-4);
  EXPECT_DOUBLE_EQ(schedule.at(10), 1e-3);
  EXPECT_DOUBLE_EQ(schedule.at(60), 1e-4 + 9e-4 * 0.5);                                // halfway down
  EXPECT_DOUBLE_EQ(schedule.at(35), 1e-4 + 9e-4 * 0.5 * (1 + std::cos(std::numbers::pi / 4)));  // a quarter
  EXPECT_DOUBLE_EQ(schedule.at(110), 1e-4);
  for (int64_t step = 11; step <= 110; ++step) EXPECT_LT(schedule.at(step), schedule.at(step - 1)) << step;
}

TEST(LrSchedule, NoWarmupStartsNearThePeak) {
  const LrSchedule schedule{.peak = 2.0, .floor = 0.0, .warmup_steps = 0, .total_steps = 4};
  EXPECT_DOUBLE_EQ(schedule.at(1), 1 + std::cos(std::numbers::pi / 4));
  EXPECT_DOUBLE_EQ(schedule.at(2), 1.0);
  EXPECT_NEAR(schedule.at(4), 0.0, 1e-16);
}

TEST(LrSchedule, InconsistentSettingsAndStepsOutsideTheRunAreErrors) {
  EXPECT_THROW((LrSchedule{.peak = 1e-3, .floor = 0, .warmup_steps = 10, .total_steps = 10}.validate("optimizer")), Error);
  EXPECT_THROW((LrSchedule{.peak = 1e-3, .floor = 1e-2, .warmup_steps = 0, .total_steps = 10}.validate("optimizer")),
               Error);
  const LrSchedule schedule{.peak = 1e-3, .floor = 0, .warmup_steps = 0, .total_steps = 10};
  EXPECT_THROW(schedule.at(0), Error);
  EXPECT_THROW(schedule.at(11), Error);
}

}  // namespace
}  // namespace spindle
