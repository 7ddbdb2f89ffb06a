// Embeddings of DNA by tiny Caduceus models (pipelines/sequence_embedding.h): with RC
// averaging a sequence and its reverse complement embed alike, positions reversed (Ph and
// PS, hidden states and logits); mean pooling is the mean of the per-position states; a
// batch gives what each sequence gives alone.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/dna_tokenizer.h"
#include "pipelines/sequence_embedding.h"
#include "platform/random.h"

namespace spindle {
namespace {

constexpr double kTolerance = 1e-5;

Caduceus tiny_model(bool rcps) {
  CaduceusConfig config;
  config.d_model = 8;
  config.n_layer = 2;
  config.ssm = {.d_state = 3, .d_conv = 4, .expand = 2, .dt_rank = 2};
  config.rcps = rcps;
  config.complement_map = {0, 1, 2, 3, 4, 5, 6, 10, 9, 8, 7, 11};
  Caduceus model(config, Device::cpu());
  RandomStream random{rcps ? 5u : 6u, 0};
  model.initialize(random);
  return model;
}

std::vector<uint8_t> random_tokens(size_t length, uint32_t seed) {
  std::mt19937 generator(seed);
  std::vector<uint8_t> tokens(length);
  for (uint8_t& token : tokens) token = static_cast<uint8_t>(dna::kTokenA + generator() % 5);  // A C G T N
  return tokens;
}

std::vector<uint8_t> reverse_complement(std::vector<uint8_t> tokens) {
  dna::reverse_complement(tokens.data(), static_cast<int64_t>(tokens.size()));
  return tokens;
}

// Largest |a[b][l][permute(c)] - r[b][L-1-l][c]| over (batch, length, columns) host tensors.
double worst_mirror_difference(const Tensor& a, const Tensor& r, const std::function<int64_t(int64_t)>& permute) {
  const int64_t batch = a.size(0), length = a.size(1), columns = a.size(2);
  const float *x = a.data<float>(), *y = r.data<float>();
  double worst = 0;
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t l = 0; l < length; ++l) {
      for (int64_t c = 0; c < columns; ++c) {
        const double expected = x[(b * length + (length - 1 - l)) * columns + permute(c)];
        worst = std::max(worst, std::abs(y[(b * length + l) * columns + c] - expected));
      }
    }
  }
  return worst;
}

int64_t same(int64_t c) { return c; }
int64_t complement_id(int64_t v) { return dna::complement(static_cast<uint8_t>(v)); }

class EmbeddingVariants : public ::testing::TestWithParam<bool> {};  // rcps

TEST_P(EmbeddingVariants, RcAverageEmbedsBothStrandsAlike) {
  Caduceus model = tiny_model(GetParam());
  const std::vector<uint8_t> x = random_tokens(29, 1);
  EmbeddingSettings settings{.rc_average = true, .logits = true};
  const SequenceEmbeddings forward = embed_sequences(model, {x}, settings);
  const SequenceEmbeddings reverse = embed_sequences(model, {reverse_complement(x)}, settings);
  EXPECT_EQ(forward.hidden.shape(), Shape({1, 29, 8}));  // PS averaged down to d_model
  EXPECT_EQ(forward.logits.shape(), Shape({1, 29, 16}));
  EXPECT_LT(worst_mirror_difference(forward.hidden, reverse.hidden, same), kTolerance);
  EXPECT_LT(worst_mirror_difference(forward.logits, reverse.logits, complement_id), kTolerance);
  // Without averaging the two strands differ (Ph), or hold the RC half in the other channels (PS).
  settings.rc_average = false;
  const SequenceEmbeddings raw = embed_sequences(model, {x}, settings);
  const SequenceEmbeddings raw_reverse = embed_sequences(model, {reverse_complement(x)}, settings);
  const int64_t width = model.config().width();
  EXPECT_EQ(raw.hidden.size(2), width);
  EXPECT_GT(worst_mirror_difference(raw.hidden, raw_reverse.hidden, same), 1e-3);
  if (GetParam()) {
    // PS: h(RC x)[l] = reverse_channels(h(x)[L-1-l]): the convention the average relies on.
    const auto reversed = [width](int64_t c) { return width - 1 - c; };
    EXPECT_LT(worst_mirror_difference(raw.hidden, raw_reverse.hidden, reversed), kTolerance);
    EXPECT_LT(worst_mirror_difference(raw.logits, raw_reverse.logits, complement_id), kTolerance);
  }
}

TEST_P(EmbeddingVariants, MeanPoolingIsTheMeanOfThePositions) {
  Caduceus model = tiny_model(GetParam());
  for (const bool rc_average : {false, true}) {
    const std::vector<std::vector<uint8_t>> batch = {random_tokens(17, 2), random_tokens(17, 3)};
    EmbeddingSettings settings{.rc_average = rc_average};
    const Tensor positions = embed_sequences(model, batch, settings).hidden;
    settings.pooling = EmbeddingPooling::mean;
    const SequenceEmbeddings pooled = embed_sequences(model, batch, settings);
    const int64_t width = embedding_width(model.config(), rc_average);
    ASSERT_EQ(pooled.hidden.shape(), Shape({2, width}));
    EXPECT_FALSE(pooled.logits.defined());
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t c = 0; c < width; ++c) {
        double sum = 0;
        for (int64_t l = 0; l < 17; ++l) sum += positions.data<float>()[(b * 17 + l) * width + c];
        EXPECT_NEAR(pooled.hidden.data<float>()[b * width + c], sum / 17, kTolerance) << b << " " << c;
      }
    }
  }
}

TEST_P(EmbeddingVariants, PositionRangeIsThatSliceOfEveryPosition) {
  Caduceus model = tiny_model(GetParam());
  const std::vector<std::vector<uint8_t>> batch = {random_tokens(19, 9), random_tokens(19, 10)};
  for (const bool rc_average : {false, true}) {
    EmbeddingSettings settings{.rc_average = rc_average, .logits = true};
    const SequenceEmbeddings all = embed_sequences(model, batch, settings);
    settings.positions_begin = 4;
    settings.positions_end = 11;
    const SequenceEmbeddings some = embed_sequences(model, batch, settings);
    for (const auto& [whole, range] : {std::pair{all.hidden, some.hidden}, std::pair{all.logits, some.logits}}) {
      const int64_t columns = whole.size(2);
      ASSERT_EQ(range.shape(), Shape({2, 7, columns}));
      for (int64_t b = 0; b < 2; ++b) {
        for (int64_t l = 0; l < 7; ++l) {
          for (int64_t c = 0; c < columns; ++c) {
            ASSERT_EQ(range.data<float>()[(b * 7 + l) * columns + c],
                      whole.data<float>()[(b * 19 + 4 + l) * columns + c]);
          }
        }
      }
    }
    settings.pooling = EmbeddingPooling::mean;
    const Tensor pooled = embed_sequences(model, batch, settings).hidden;
    const int64_t width = pooled.size(1);
    for (int64_t c = 0; c < width; ++c) {
      double sum = 0;
      for (int64_t l = 0; l < 7; ++l) sum += some.hidden.data<float>()[(7 + l) * width + c];
      EXPECT_NEAR(pooled.data<float>()[width + c], sum / 7, kTolerance);
    }
    settings.positions_end = 20;
    EXPECT_THROW(embed_sequences(model, batch, settings), Error);
  }
}

TEST_P(EmbeddingVariants, BatchGivesWhatEachSequenceGivesAlone) {
  Caduceus model = tiny_model(GetParam());
  const std::vector<std::vector<uint8_t>> batch = {random_tokens(13, 4), random_tokens(13, 5), random_tokens(13, 6)};
  const EmbeddingSettings settings{.rc_average = true, .logits = true};
  const SequenceEmbeddings together = embed_sequences(model, batch, settings);
  for (size_t b = 0; b < batch.size(); ++b) {
    const SequenceEmbeddings alone = embed_sequences(model, {batch[b]}, settings);
    for (const auto& [all, one] : {std::pair{together.hidden, alone.hidden}, std::pair{together.logits, alone.logits}}) {
      const int64_t row = one.numel();
      for (int64_t i = 0; i < row; ++i) {
        ASSERT_NEAR(all.data<float>()[static_cast<int64_t>(b) * row + i], one.data<float>()[i], kTolerance);
      }
    }
  }
  EXPECT_THROW(embed_sequences(model, {random_tokens(13, 7), random_tokens(12, 8)}, settings), Error);
}

INSTANTIATE_TEST_SUITE_P(PhAndPs, EmbeddingVariants, ::testing::Values(false, true),
                         [](const auto& info) { return std::string(info.param ? "ps" : "ph"); });

}  // namespace
}  // namespace spindle
