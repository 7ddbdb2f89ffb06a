// Test entry point: logs warnings and above only, so test output stays readable.
#include <gtest/gtest.h>

#include "platform/logging.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  spindle::configure_logging(spdlog::level::warn, spindle::LogFormat::text);
  return RUN_ALL_TESTS();
}
