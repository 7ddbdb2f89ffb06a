// RankFailures on 1-4 ranks: a failure on one rank (at the start, or midway through a loop
// of checks) ends every rank with the same error naming the rank, after at most one more
// step of the others; ranks sharing a message are named together; a world of one gets its
// own exception back unchanged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "platform/distributed/mpi_communicator.h"
#include "platform/distributed/rank_failures.h"

namespace spindle {
namespace {

using ::testing::EndsWith;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::StrEq;
using ::testing::ThrowsMessage;

class RankFailuresTest : public ::testing::Test {
 protected:
  std::unique_ptr<MpiCommunicator> world = MpiCommunicator::world();
  int rank = world->rank(), size = world->size();
  std::string of_size = " of " + std::to_string(world->size());
};

TEST_F(RankFailuresTest, WithoutFailuresCheckTellsWhetherAnyRankHasWorkLeft) {
  RankFailures failures(*world, "test");
  EXPECT_TRUE(failures.check(rank == size - 1));
  EXPECT_TRUE(failures.check(rank == 0));
  EXPECT_FALSE(failures.check(false));
  EXPECT_FALSE(failures.check());
}

TEST_F(RankFailuresTest, ARankFailingBeforeItsFirstCheckEndsEveryRank) {
  if (size < 2) GTEST_SKIP() << "needs two ranks";
  const int failing = size - 1;
  auto job = [&] {
    RankFailures failures(*world, "score-variants");
    try {
      if (rank == failing) throw Error("ref.fa: c [1744, 2256)", "htslib read 0 bases", "512 bases");
      while (failures.check(true)) {
      }
    } catch (...) {
      failures.fail();
    }
  };
  EXPECT_THAT(job, ThrowsMessage<Error>(StrEq("score-variants: rank " + std::to_string(failing) + of_size +
                                              " failed: ref.fa: c [1744, 2256): htslib read 0 bases (expected 512 "
                                              "bases)")));
}

TEST_F(RankFailuresTest, AFailureMidwayStopsTheOthersAfterAtMostOneMoreStep) {
  if (size < 2) GTEST_SKIP() << "needs two ranks";
  // Rank 1 fails in its step 2 of 5; the others finish step 2 and stop at the next check.
  int steps_done = 0;
  auto job = [&] {
    RankFailures failures(*world, "job");
    try {
      for (int step = 0; failures.check(step < 5); ++step) {
        if (rank == 1 && step == 2) throw std::runtime_error("disk full");
        ++steps_done;
      }
    } catch (...) {
      failures.fail();
    }
  };
  EXPECT_THAT(job, ThrowsMessage<Error>(StrEq("job: rank 1" + of_size + " failed: disk full")));
  EXPECT_EQ(steps_done, rank == 1 ? 2 : 3);
}

TEST_F(RankFailuresTest, RanksWithTheSameMessageAreNamedTogether) {
  if (size < 2) GTEST_SKIP() << "needs two ranks";
  auto job = [&] {
    RankFailures failures(*world, "job");
    try {
      throw std::runtime_error(rank == 1 ? "out of memory" : "no such file");
    } catch (...) {
      failures.fail();
    }
  };
  const std::string others = size == 2 ? "rank 0" : size == 3 ? "ranks 0, 2" : "ranks 0, 2-" + std::to_string(size - 1);
  EXPECT_THAT(job, ThrowsMessage<Error>(StrEq("job: " + others + of_size + " failed: no such file; rank 1" +
                                              of_size + " failed: out of memory")));
}

TEST_F(RankFailuresTest, ALongMessageIsCutShort) {
  if (size < 2) GTEST_SKIP() << "needs two ranks";
  auto job = [&] {
    RankFailures failures(*world, "job");
    try {
      if (rank == 0) throw std::runtime_error(std::string(10000, 'x'));
      failures.check();
    } catch (...) {
      failures.fail();
    }
  };
  try {
    job();
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, StartsWith("job: rank 0" + of_size + " failed: xxx"));
    EXPECT_THAT(message, EndsWith("xxx..."));
    EXPECT_THAT(message, SizeIs(std::string("job: rank 0" + of_size + " failed: ").size() + 4096));
  }
}

TEST_F(RankFailuresTest, AWorldOfOneGetsItsOwnExceptionBack) {
  if (size != 1) GTEST_SKIP() << "a world of one";
  auto job = [&] {
    RankFailures failures(*world, "job");
    try {
      throw std::out_of_range("position 12 past the end");
    } catch (...) {
      failures.fail();
    }
  };
  EXPECT_THAT(job, ThrowsMessage<std::out_of_range>(StrEq("position 12 past the end")));
}

TEST_F(RankFailuresTest, TheWorldStillWorksAfterAFailure) {
  auto job = [&] {
    RankFailures failures(*world, "job");
    try {
      if (rank == 0) throw std::runtime_error("stop");
      failures.check();
    } catch (...) {
      failures.fail();
    }
  };
  EXPECT_THROW(job(), std::exception);
  RankFailures again(*world, "job");
  EXPECT_TRUE(again.check(rank == 0));
}

}  // namespace
}  // namespace spindle
