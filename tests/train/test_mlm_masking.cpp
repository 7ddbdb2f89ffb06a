// Masked-LM masking: the 15% / 80-10-10 rule in distribution, only bases selected, and the
// masks a pure function of (seed, stream, index, position).
#include <gtest/gtest.h>

#include <cmath>

#include "io/dna_tokenizer.h"
#include "kernels/error.h"
#include "pipelines/train/mlm_masking.h"

namespace spindle {
namespace {

Tensor bases(int64_t windows, int64_t length) {
  std::vector<uint8_t> tokens(static_cast<size_t>(windows * length));
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<uint8_t>(dna::kTokenA + i % 4);
  return Tensor::from_vector(tokens, {windows, length});
}

// |observed - expected| within 5 standard deviations of a binomial proportion over n trials.
void expect_proportion(int64_t hits, int64_t n, double p, const char* what) {
  const double observed = static_cast<double>(hits) / static_cast<double>(n);
  EXPECT_NEAR(observed, p, 5 * std::sqrt(p * (1 - p) / static_cast<double>(n))) << what;
}

TEST(MlmMasking, SelectsFifteenPercentAndReplacesEightyTenTen) {
  const Tensor tokens = bases(64, 4096);
  const MaskedBatch batch = mask_tokens(tokens, MaskingRule{}, 17, MaskStream::training, 1);
  ASSERT_EQ(batch.inputs.shape(), (Shape{64, 4096}));
  ASSERT_EQ(batch.targets.shape(), (Shape{64 * 4096}));
  const std::vector<uint8_t> original = tokens.to_vector<uint8_t>();
  const std::vector<int32_t> inputs = batch.inputs.to_vector<int32_t>(), targets = batch.targets.to_vector<int32_t>();
  int64_t masked = 0, to_mask_token = 0, changed_base = 0, unchanged = 0;
  std::vector<int64_t> random_bases(4, 0);
  for (size_t p = 0; p < original.size(); ++p) {
    if (targets[p] == kIgnoreTarget) {
      ASSERT_EQ(inputs[p], original[p]) << "an unselected position changed at " << p;
      continue;
    }
    ASSERT_EQ(targets[p], original[p]) << "the target is the original token";
    ++masked;
    if (inputs[p] == 3) {
      ++to_mask_token;
    } else {
      ASSERT_GE(inputs[p], dna::kTokenA);
      ASSERT_LE(inputs[p], dna::kTokenT);
      ++random_bases[inputs[p] - dna::kTokenA];
      (inputs[p] == original[p] ? unchanged : changed_base) += 1;
    }
  }
  EXPECT_EQ(batch.masked, masked);
  expect_proportion(masked, static_cast<int64_t>(original.size()), 0.15, "selected");
  expect_proportion(to_mask_token, masked, 0.8, "[MASK]");
  // A random base differs from the original 3 times in 4; the other 10% stay as they were.
  expect_proportion(changed_base, masked, 0.1 * 0.75, "random base, changed");
  expect_proportion(unchanged, masked, 0.1 + 0.1 * 0.25, "unchanged");
  const int64_t kept_or_random = changed_base + unchanged;
  for (int base = 0; base < 4; ++base) expect_proportion(random_bases[base], kept_or_random, 0.25, "base share");
}

TEST(MlmMasking, NeverSelectsNOrSpecialTokens) {
  std::vector<uint8_t> tokens(20000);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = (i % 3 == 0) ? dna::kTokenN : (i % 3 == 1 ? 4 : dna::kTokenG);
  const MaskedBatch batch = mask_tokens(Tensor::from_vector(tokens, {2, 10000}), MaskingRule{}, 3, MaskStream::training, 9);
  const std::vector<int32_t> inputs = batch.inputs.to_vector<int32_t>(), targets = batch.targets.to_vector<int32_t>();
  int64_t masked = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] != dna::kTokenG) {
      ASSERT_EQ(targets[i], kIgnoreTarget) << "position " << i << " token " << int(tokens[i]);
      ASSERT_EQ(inputs[i], tokens[i]);
    }
    masked += targets[i] != kIgnoreTarget;
  }
  expect_proportion(masked, 6667, 0.15, "of the G positions");
}

TEST(MlmMasking, MasksArePureFunctionsOfSeedStreamIndexAndPosition) {
  const Tensor tokens = bases(4, 1000);
  const auto targets = [&](uint64_t seed, MaskStream stream, uint32_t index) {
    return mask_tokens(tokens, MaskingRule{}, seed, stream, index).targets.to_vector<int32_t>();
  };
  const MaskedBatch first = mask_tokens(tokens, MaskingRule{}, 5, MaskStream::training, 12);
  const MaskedBatch again = mask_tokens(tokens, MaskingRule{}, 5, MaskStream::training, 12);
  EXPECT_EQ(first.inputs.to_vector<int32_t>(), again.inputs.to_vector<int32_t>());
  EXPECT_EQ(first.targets.to_vector<int32_t>(), again.targets.to_vector<int32_t>());
  EXPECT_NE(targets(5, MaskStream::training, 13), first.targets.to_vector<int32_t>()) << "another step";
  EXPECT_NE(targets(6, MaskStream::training, 12), first.targets.to_vector<int32_t>()) << "another seed";
  EXPECT_NE(targets(5, MaskStream::validation, 12), first.targets.to_vector<int32_t>()) << "the validation stream";
  // Position p of the batch is row * length + column: the first two windows alone mask alike.
  const std::vector<int32_t> head = mask_tokens(tokens.slice(0, 0, 2), MaskingRule{}, 5, MaskStream::training, 12)
                                        .targets.to_vector<int32_t>();
  const std::vector<int32_t> whole = first.targets.to_vector<int32_t>();
  EXPECT_EQ(head, std::vector<int32_t>(whole.begin(), whole.begin() + 2000));
}

TEST(MlmMasking, RuleOutsideItsRangeIsAnError) {
  EXPECT_THROW((MaskingRule{0.0, 0.8, 0.1}.validate("masking")), Error);
  EXPECT_THROW((MaskingRule{0.15, 0.8, 0.3}.validate("masking")), Error);
  EXPECT_NO_THROW((MaskingRule{1.0, 1.0, 0.0}.validate("masking")));
}

}  // namespace
}  // namespace spindle
