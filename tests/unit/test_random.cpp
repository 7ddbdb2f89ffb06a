#include <gtest/gtest.h>

#include <cmath>

#include "kernels/philox.h"
#include "platform/random.h"

namespace spindle {
namespace {

std::vector<float> uniform_draws(int64_t n, uint64_t seed, uint64_t offset) {
  Tensor t = Tensor::empty({n}, DType::f32);
  RandomStream stream{seed, offset};
  fill_uniform(t, stream);
  EXPECT_EQ(stream.offset, offset + static_cast<uint64_t>(n));
  return t.to_vector<float>();
}

// Known-answer vectors of Philox4x32-10 published with Random123 (kat_vectors).
TEST(Philox, MatchesPublishedKnownAnswers) {
  const philox::Block zero = philox::philox4x32_10(0, 0, 0, 0, 0);
  EXPECT_EQ(zero.word[0], 0x6627e8d5u);
  EXPECT_EQ(zero.word[1], 0xe169c58du);
  EXPECT_EQ(zero.word[2], 0xbc57ac4cu);
  EXPECT_EQ(zero.word[3], 0x9b00dbd8u);
  const philox::Block ones = philox::philox4x32_10(~uint64_t{0}, ~0u, ~0u, ~0u, ~0u);
  EXPECT_EQ(ones.word[0], 0x408f276du);
  EXPECT_EQ(ones.word[1], 0x41c83b0eu);
  EXPECT_EQ(ones.word[2], 0xa20bc7c6u);
  EXPECT_EQ(ones.word[3], 0x6d5451fdu);
  const philox::Block pi = philox::philox4x32_10((uint64_t{0x299f31d0} << 32) | 0xa4093822u, 0x243f6a88u,
                                                 0x85a308d3u, 0x13198a2eu, 0x03707344u);
  EXPECT_EQ(pi.word[0], 0xd16cfe09u);
  EXPECT_EQ(pi.word[1], 0x94fdccebu);
  EXPECT_EQ(pi.word[2], 0x5001e420u);
  EXPECT_EQ(pi.word[3], 0x24126ea1u);
}

TEST(RandomStream, SameSeedAndOffsetGiveSameDraws) {
  EXPECT_EQ(uniform_draws(1001, 7, 3), uniform_draws(1001, 7, 3));
  EXPECT_NE(uniform_draws(1001, 7, 3), uniform_draws(1001, 8, 3));
}

TEST(RandomStream, PiecesEqualTheWholeAtAwkwardSplits) {
  const int64_t n = 10007;
  const std::vector<float> whole = uniform_draws(n, 99, 5);
  for (int64_t split : {int64_t{1}, int64_t{3}, int64_t{4}, int64_t{4097}, n - 1}) {
    std::vector<float> joined = uniform_draws(split, 99, 5);
    const std::vector<float> rest = uniform_draws(n - split, 99, 5 + static_cast<uint64_t>(split));
    joined.insert(joined.end(), rest.begin(), rest.end());
    EXPECT_EQ(joined, whole) << "split at " << split;
  }
}

TEST(RandomStream, OffsetsBeyond32BitsUseTheHighCounterWord) {
  const uint64_t far = (uint64_t{1} << 34) + 5;
  EXPECT_NE(uniform_draws(64, 1, far), uniform_draws(64, 1, 5));
  EXPECT_EQ(uniform_draws(8, 1, far)[3], philox::uniform(1, far + 3));
}

TEST(RandomStream, UniformIsInUnitIntervalWithMeanOneHalf) {
  const std::vector<float> draws = uniform_draws(200000, 3, 0);
  double sum = 0;
  for (float u : draws) {
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  // Standard error of the mean is sqrt(1/12 / n) = 6.5e-4; allow five of them.
  EXPECT_NEAR(sum / draws.size(), 0.5, 5 * 6.5e-4);
}

TEST(RandomStream, NormalHasUnitMomentsAndNoInfinities) {
  Tensor t = Tensor::empty({400000}, DType::f32);
  RandomStream stream{11, 0};
  fill_normal(t, stream);
  double sum = 0, squares = 0, fourth = 0;
  for (float z : t.to_vector<float>()) {
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    squares += double(z) * z;
    fourth += double(z) * z * z * z;
  }
  const double n = 400000;
  EXPECT_NEAR(sum / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(squares / n, 1.0, 5 * std::sqrt(2 / n));
  EXPECT_NEAR(fourth / n, 3.0, 5 * std::sqrt(96 / n));  // kurtosis of a normal
}

TEST(RandomStream, RefusesNonFloatOrStridedTensors) {
  RandomStream stream{1, 0};
  Tensor ints = Tensor::empty({4}, DType::i32);
  EXPECT_THROW(fill_uniform(ints, stream), Error);
  Tensor strided = Tensor::empty({4, 4}, DType::f32).slice(1, 0, 2);
  EXPECT_THROW(fill_normal(strided, stream), Error);
  EXPECT_EQ(stream.offset, 0u);
}

}  // namespace
}  // namespace spindle
