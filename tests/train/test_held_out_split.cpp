// Held-out validation data: records and intervals out, everything else in, no overlap.
#include <gtest/gtest.h>

#include "kernels/error.h"
#include "pipelines/train/held_out_split.h"

namespace spindle {
namespace {

const std::vector<SequenceInfo> kRecords{{"a", 1000}, {"b", 500}, {"c", 300}};

TEST(HeldOutSplit, ComplementOfTheHeldOutRecordsAndIntervalsIsTraining) {
  const HeldOutSplit split = split_held_out(kRecords, {"b"}, {{"a", 100, 200}, {"a", 900, 1000}}, "data.validation");
  EXPECT_EQ(split.training, (std::vector<WindowRegion>{{"a", 0, 100}, {"a", 200, 900}, {"c", 0, 300}}));
  EXPECT_EQ(split.validation, (std::vector<WindowRegion>{{"a", 100, 200}, {"a", 900, 1000}, {"b", 0, 500}}));
}

TEST(HeldOutSplit, UnknownRecordsOverlapsAndRangesPastTheEndAreErrors) {
  const auto message = [](std::vector<std::string> records, std::vector<WindowRegion> intervals) {
    try {
      split_held_out(kRecords, records, intervals, "train.yaml:9: data.validation");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message({"chrZ"}, {}).find("train.yaml:9: data.validation: held-out record 'chrZ' is not in the store"),
            std::string::npos);
  EXPECT_NE(message({}, {{"a", 0, 100}, {"a", 50, 150}}).find("overlap at 51"), std::string::npos);
  EXPECT_NE(message({"c"}, {{"c", 10, 20}}).find("overlap"), std::string::npos);
  EXPECT_NE(message({}, {{"b", 0, 501}}).find("ends past the record's 500 bases"), std::string::npos);
}

}  // namespace
}  // namespace spindle
