#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/error.h"
#include "platform/distributed/grid_shape.h"

namespace spindle {
namespace {

TEST(GridShape, ReadsTheParallelSection) {
  const ConfigFile file = ConfigFile::parse("steps: 10\nparallel: {sequence: 4, data: 2}\n", "train.yaml");
  const GridShape shape = read_grid_shape(file.root());
  EXPECT_EQ(shape.sequence, 4);
  EXPECT_EQ(shape.data, 2);
  EXPECT_EQ(shape.ranks(), 8);
  EXPECT_EQ(shape.where, "train.yaml:2: parallel");
  EXPECT_EQ(shape.str(), "{sequence: 4, data: 2}");
  EXPECT_EQ(shape.gradient_bucket_mib, 25);
}

TEST(GridShape, ReadsTheGradientBucketSize) {
  const ConfigFile file = ConfigFile::parse("parallel: {data: 2, gradient_bucket_mib: 50}\n", "train.yaml");
  EXPECT_EQ(read_grid_shape(file.root()).gradient_bucket_mib, 50);
  const ConfigFile zero = ConfigFile::parse("parallel: {gradient_bucket_mib: 0}\n", "train.yaml");
  EXPECT_THAT([&] { read_grid_shape(zero.root()); },
              ::testing::ThrowsMessage<Error>(
                  ::testing::HasSubstr("train.yaml:1: parallel.gradient_bucket_mib: got 0")));
}

TEST(GridShape, AbsentKeysAreOne) {
  const ConfigFile file = ConfigFile::parse("parallel:\n  data: 3\n", "train.yaml");
  const GridShape shape = read_grid_shape(file.root());
  EXPECT_EQ(shape.sequence, 1);
  EXPECT_EQ(shape.data, 3);
  const GridShape single = read_grid_shape(ConfigFile::parse("steps: 1\n", "train.yaml").root());
  EXPECT_EQ(single.ranks(), 1);
}

TEST(GridShape, ZeroRanksIsAnErrorNamingTheKey) {
  const ConfigFile file = ConfigFile::parse("parallel: {sequence: 0}\n", "train.yaml");
  EXPECT_THAT([&] { read_grid_shape(file.root()); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("train.yaml:1: parallel.sequence: got 0")));
}

}  // namespace
}  // namespace spindle
