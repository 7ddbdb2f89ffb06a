#include <gtest/gtest.h>

#include "kernels/error.h"

namespace spindle {
namespace {

TEST(Error, MessageNamesWhereWhatAndExpected) {
  try {
    SPINDLE_CHECK(1 + 1 == 3, "train.yaml:12: optimizer.lr", "got -1", "a number in [0, 1]");
    FAIL() << "SPINDLE_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "train.yaml:12: optimizer.lr: got -1 (expected a number in [0, 1])");
    EXPECT_EQ(e.where(), "train.yaml:12: optimizer.lr");
    EXPECT_EQ(e.problem(), "got -1");
    EXPECT_EQ(e.expected(), "a number in [0, 1]");
    EXPECT_TRUE(e.raised_at().starts_with("tests/unit/test_error.cpp:")) << e.raised_at();
  }
}

TEST(Error, PassingCheckDoesNotThrow) {
  EXPECT_NO_THROW(SPINDLE_CHECK(true, "x", "never"));
}

TEST(Error, WithoutExpectationOrPlace) {
  const Error e("", "something broke");
  EXPECT_STREQ(e.what(), "something broke");
}

}  // namespace
}  // namespace spindle
