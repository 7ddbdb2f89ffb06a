#include "pipelines/train/mlm_masking.h"

#include "io/dna_tokenizer.h"
#include "kernels/error.h"
#include "kernels/philox.h"

namespace spindle {
namespace {

constexpr int32_t kMaskToken = 3;

// The top 24 bits of a Philox word as a uniform draw in [0, 1), as philox::uniform forms it.
double unit(uint32_t bits) { return static_cast<double>(philox::bits_to_unit_float(bits)); }

}  // namespace

void MaskingRule::validate(const std::string& where) const {
  SPINDLE_CHECK(probability > 0 && probability <= 1, where, "probability " + std::to_string(probability),
                "a probability in (0, 1]");
  SPINDLE_CHECK(mask_fraction >= 0 && random_fraction >= 0 && mask_fraction + random_fraction <= 1, where,
                "mask_fraction " + std::to_string(mask_fraction) + " and random_fraction " +
                    std::to_string(random_fraction),
                "fractions in [0, 1] whose sum is at most 1 (the rest stays unchanged)");
}

MaskedBatch mask_tokens(const Tensor& tokens, const MaskingRule& rule, uint64_t seed, MaskStream stream,
                        uint32_t index) {
  SPINDLE_CHECK(tokens.device().is_cpu() && tokens.dtype() == DType::u8 && tokens.dim() == 2, "mask_tokens",
                "tokens " + tokens.describe(), "u8 [windows, length] on the host");
  const int64_t windows = tokens.size(0), length = tokens.size(1);
  MaskedBatch batch;
  batch.inputs = Tensor::empty({windows, length}, DType::i32);
  batch.targets = Tensor::empty({windows * length}, DType::i32);
  int32_t* inputs = batch.inputs.data<int32_t>();
  int32_t* targets = batch.targets.data<int32_t>();
  const double replace_below = rule.mask_fraction, randomize_below = rule.mask_fraction + rule.random_fraction;
  for (int64_t row = 0; row < windows; ++row) {
    const uint8_t* source = tokens.data<uint8_t>() + row * tokens.row_pitch();
    for (int64_t column = 0; column < length; ++column) {
      const int64_t p = row * length + column;
      const int32_t token = source[column];
      inputs[p] = token;
      targets[p] = kIgnoreTarget;
      if (token < dna::kTokenA || token > dna::kTokenT) continue;
      const uint64_t position = static_cast<uint64_t>(p);
      const philox::Block draws = philox::philox4x32_10(seed, static_cast<uint32_t>(position),
                                                        static_cast<uint32_t>(position >> 32),
                                                        static_cast<uint32_t>(stream), index);
      if (unit(draws.word[0]) >= rule.probability) continue;
      targets[p] = token;
      ++batch.masked;
      const double action = unit(draws.word[1]);
      if (action < replace_below) {
        inputs[p] = kMaskToken;
      } else if (action < randomize_below) {
        inputs[p] = dna::kTokenA + static_cast<int32_t>(draws.word[2] >> 30);
      }
    }
  }
  return batch;
}

}  // namespace spindle
