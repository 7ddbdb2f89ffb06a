#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/error.h"
#include "platform/distributed/sequence_slice.h"

namespace spindle {
namespace {

TEST(SequenceSlice, UnevenLengthGivesTheFirstRanksOneExtraPosition) {
  const std::vector<SequenceSlice> expected = {{0, 3}, {3, 6}, {6, 8}, {8, 10}};
  for (int position = 0; position < 4; ++position) {
    EXPECT_EQ(ring_slice(10, 4, position, "test"), expected[position]) << "position " << position;
  }
}

TEST(SequenceSlice, SlicesTileTheSequenceInRingOrderAndDifferByAtMostOne) {
  for (int ring_size : {1, 2, 3, 4, 7}) {
    for (int64_t length : {int64_t{ring_size}, int64_t{ring_size} + 1, int64_t{1000003}, int64_t{1} << 20}) {
      int64_t next = 0;
      for (int position = 0; position < ring_size; ++position) {
        const SequenceSlice slice = ring_slice(length, ring_size, position, "test");
        EXPECT_EQ(slice.begin, next) << length << " over " << ring_size << ", position " << position;
        const bool longer = position < length % ring_size;
        EXPECT_EQ(slice.length(), length / ring_size + (longer ? 1 : 0)) << length << " over " << ring_size;
        next = slice.end;
      }
      EXPECT_EQ(next, length) << length << " over " << ring_size;
    }
  }
}

TEST(SequenceSlice, SequenceShorterThanTheRingIsAnError) {
  EXPECT_THAT([] { ring_slice(3, 4, 0, "chr21:1-3"); },
              ::testing::ThrowsMessage<Error>(::testing::StrEq(
                  "chr21:1-3: a sequence of 3 positions over a ring of 4 ranks (expected at least one position per "
                  "rank (length >= 4))")));
  EXPECT_THROW(ring_slice(10, 4, 4, "test"), Error);
}

}  // namespace
}  // namespace spindle
