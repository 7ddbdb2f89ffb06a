// The synthetic genome's Markov chain: sampled transition frequencies, entropies, and the
// forward-backward posteriors behind the Bayes-optimal masked-LM loss against brute-force
// enumeration of every sequence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pipelines/markov_genome.h"

namespace spindle {
namespace {

TEST(MarkovChain, SamplesFollowTheTransitions) {
  RandomStream draws{4, 0};
  const MarkovChain chain = MarkovChain::random(1, 1.0, draws);
  const std::vector<uint8_t> tokens = chain.sample(400000, draws);
  double counts[4][4] = {}, totals[4] = {};
  for (size_t t = 1; t < tokens.size(); ++t) {
    ++counts[tokens[t - 1] - 7][tokens[t] - 7];
    ++totals[tokens[t - 1] - 7];
  }
  for (int c = 0; c < 4; ++c) {
    for (int b = 0; b < 4; ++b) EXPECT_NEAR(counts[c][b] / totals[c], chain.probability(c, b), 0.01);
  }
}

TEST(MarkovChain, EntropiesOfAnIndependentChainAgree) {
  RandomStream draws{5, 0};
  const MarkovChain chain = MarkovChain::random(0, 1.0, draws);
  EXPECT_NEAR(chain.entropy_rate(), chain.unigram_entropy(), 1e-12);
  const MarkovChain higher = MarkovChain::random(2, 2.0, draws);
  EXPECT_LT(higher.entropy_rate(), higher.unigram_entropy());
  EXPECT_LE(higher.unigram_entropy(), std::log(4.0) + 1e-12);
}

TEST(MarkovChain, PosteriorsEqualBruteForceEnumeration) {
  RandomStream draws{6, 0};
  const MarkovChain chain = MarkovChain::random(2, 1.5, draws);
  const MaskingRule odds{0.3, 0.6, 0.2};
  const int length = 7;
  const std::vector<uint8_t> shown{2, MarkovChain::kShownMask, 0, 3, MarkovChain::kShownMask, 1, 1};
  const std::vector<bool> target{false, true, true, false, true, false, true};
  const std::vector<std::array<double, 4>> posteriors = chain.target_posteriors(shown, target, odds);
  ASSERT_EQ(posteriors.size(), 4u);

  // P(sequence): the stationary distribution of the first two bases (power iteration of the
  // context chain), then the transitions; times every position's emission.
  double start[16];
  std::fill(start, start + 16, 1.0 / 16);
  for (int iteration = 0; iteration < 5000; ++iteration) {
    double next[16] = {};
    for (int c = 0; c < 16; ++c) {
      for (int b = 0; b < 4; ++b) next[(c * 4 + b) % 16] += start[c] * chain.probability(c, b);
    }
    std::copy(next, next + 16, start);
  }
  const double keep = 1 - odds.mask_fraction - odds.random_fraction;
  auto target_emission = [&](uint8_t s, int x) {
    return s == MarkovChain::kShownMask ? odds.mask_fraction : odds.random_fraction / 4 + (s == x ? keep : 0.0);
  };
  auto emission = [&](uint8_t s, int x) {
    return odds.probability * target_emission(s, x) + (1 - odds.probability) * (s == x ? 1.0 : 0.0);
  };
  std::vector<std::array<double, 4>> expected(4, {0, 0, 0, 0});
  for (int code = 0; code < (1 << (2 * length)); ++code) {
    int x[length];
    for (int t = 0; t < length; ++t) x[t] = (code >> (2 * (length - 1 - t))) & 3;
    double p = start[x[0] * 4 + x[1]];
    for (int t = 2; t < length; ++t) p *= chain.probability(x[t - 2] * 4 + x[t - 1], x[t]);
    int k = 0;
    for (int t = 0; t < length; ++t) {
      if (!target[t]) continue;
      double joint = p;
      for (int u = 0; u < length; ++u) joint *= u == t ? target_emission(shown[u], x[u]) : emission(shown[u], x[u]);
      expected[k++][x[t]] += joint;
    }
  }
  for (size_t k = 0; k < 4; ++k) {
    const double total = expected[k][0] + expected[k][1] + expected[k][2] + expected[k][3];
    for (int b = 0; b < 4; ++b) EXPECT_NEAR(posteriors[k][b], expected[k][b] / total, 1e-12) << k << " " << b;
  }
}

TEST(MarkovChain, BayesLossLiesBetweenZeroAndTheEntropyRate) {
  RandomStream draws{7, 0};
  const MarkovChain chain = MarkovChain::random(3, 1.5, draws);
  const std::optional<double> loss = chain.bayes_masked_loss(chain.sample(50000, draws), {}, draws);
  ASSERT_TRUE(loss.has_value());
  EXPECT_GT(*loss, 0.0);
  EXPECT_LT(*loss, chain.entropy_rate());
}

TEST(MarkovChain, BayesLossIsAbsentWhenNoTargetIsDrawn) {
  RandomStream draws{7, 0};
  const MarkovChain chain = MarkovChain::random(2, 1.5, draws);
  MaskingRule rare;
  rare.probability = 1e-12;  // 20 draws below it: about 2e-11
  EXPECT_FALSE(chain.bayes_masked_loss(chain.sample(20, draws), rare, draws).has_value());
}

}  // namespace
}  // namespace spindle
