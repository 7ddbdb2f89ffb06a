// Sequence flips and reverse complements on the CPU: hand-made examples, the Caduceus
// definitions element by element, involution, and finite-difference gradients (each op
// is its own backward).
#include <gtest/gtest.h>

#include "platform/ops/flip.h"
#include "platform/ops/reverse_complement.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using ops::SequenceLayout;
using testing::random_tensor;

TEST(FlipLength, HandMadeExamples) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  ops::flip_length(x, y, SequenceLayout::channels_first);  // (1, channels 2, length 3)
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{3, 2, 1, 6, 5, 4}));
  ops::flip_length(x, y, SequenceLayout::channels_last);  // (1, length 2, channels 3)
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{4, 5, 6, 1, 2, 3}));
  ops::reverse_complement_channels(x, y);
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{6, 5, 4, 3, 2, 1}));
}

TEST(FlipLength, ReverseComplementOfChannelsIsTorchFlipOfLengthAndChannels) {
  const int64_t batch = 2, length = 17, channels = 2 * 3;
  const Tensor x = random_tensor({batch, length, channels}, DType::f32, 1);
  Tensor y = Tensor::empty(x.shape(), DType::f32);
  ops::reverse_complement_channels(x, y);
  const std::vector<float> in = x.to_vector<float>(), out = y.to_vector<float>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < length; ++t) {
      for (int64_t c = 0; c < channels; ++c) {
        EXPECT_EQ(out[(b * length + t) * channels + c],
                  in[(b * length + length - 1 - t) * channels + channels - 1 - c]);
      }
    }
  }
}

TEST(FlipLength, TwiceIsIdentity) {
  const Tensor x = random_tensor({3, 5, 257}, DType::f32, 2);
  Tensor once = Tensor::empty(x.shape(), DType::f32), twice = Tensor::empty(x.shape(), DType::f32);
  for (SequenceLayout layout : {SequenceLayout::channels_first, SequenceLayout::channels_last}) {
    ops::flip_length(x, once, layout);
    ops::flip_length(once, twice, layout);
    EXPECT_EQ(twice.to_vector<float>(), x.to_vector<float>());
  }
  ops::reverse_complement_channels(x, once);
  ops::reverse_complement_channels(once, twice);
  EXPECT_EQ(twice.to_vector<float>(), x.to_vector<float>());
}

// The backward of each op is the op itself applied to dy.
TEST(FlipLength, OwnBackwardMatchesFiniteDifferences) {
  const std::vector<std::function<void(const Tensor&, Tensor&)>> ops_under_test{
      [](const Tensor& in, Tensor& out) { ops::flip_length(in, out, SequenceLayout::channels_first); },
      [](const Tensor& in, Tensor& out) { ops::flip_length(in, out, SequenceLayout::channels_last); },
      [](const Tensor& in, Tensor& out) { ops::reverse_complement_channels(in, out); }};
  for (const Shape& shape : {Shape{1, 1, 1}, Shape{2, 3, 17}, Shape{1, 4, 1}}) {
    for (const auto& op : ops_under_test) {
      Tensor x = random_tensor(shape, DType::f64, 1);
      const Tensor dy = random_tensor(shape, DType::f64, 2);
      Tensor y = Tensor::empty(shape, DType::f64), dx = Tensor::empty(shape, DType::f64);
      op(dy, dx);
      auto loss = [&] {
        op(x, y);
        return testing::weighted_sum(y, dy);
      };
      testing::expect_gradients_match(loss, {{"x", &x, &dx}});
    }
  }
}

TEST(FlipLength, BadArgumentsAreRefused) {
  const Tensor x = Tensor::zeros({2, 3}, DType::f32);
  Tensor y = Tensor::empty({2, 3}, DType::f32);
  EXPECT_THROW(ops::flip_length(x, y, SequenceLayout::channels_first), Error);  // not 3-D
  Tensor x3 = Tensor::zeros({1, 2, 3}, DType::f32);
  EXPECT_THROW(ops::flip_length(x3, x3, SequenceLayout::channels_last), Error);  // in place
  Tensor y64 = Tensor::empty({1, 2, 3}, DType::f64);
  EXPECT_THROW(ops::reverse_complement_channels(x3, y64), Error);
}

template <typename Id>
std::vector<Id> reverse_complement(const std::vector<Id>& ids, const Shape& shape) {
  const Tensor in = Tensor::from_vector(ids, shape);
  Tensor out = Tensor::empty(shape, in.dtype());
  ops::reverse_complement_tokens(in, out);
  return out.to_vector<Id>();
}

TEST(ReverseComplementTokens, CaduceusTokenizer) {
  // [CLS] A C G T N A [SEP] -> [SEP] T N A C G T [CLS]; specials and N map to themselves.
  const std::vector<int32_t> ids{0, 7, 8, 9, 10, 11, 7, 1};
  EXPECT_EQ(reverse_complement(ids, {1, 8}), (std::vector<int32_t>{1, 10, 11, 7, 8, 9, 10, 0}));
  EXPECT_EQ(reverse_complement<int64_t>({7, 4, 6, 9, 3, 2, 5, 12}, {2, 4}),
            (std::vector<int64_t>{8, 6, 4, 10, 12, 5, 2, 3}));
  EXPECT_EQ(reverse_complement<uint8_t>({7}, {1, 1}), (std::vector<uint8_t>{10}));
}

TEST(ReverseComplementTokens, TwiceIsIdentity) {
  std::vector<int64_t> ids(3 * 1001);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 7919) % 13);
  const std::vector<int64_t> once = reverse_complement(ids, {3, 1001});
  EXPECT_EQ(reverse_complement(once, {3, 1001}), ids);
}

TEST(ReverseComplementTokens, BadArgumentsAreRefused) {
  const Tensor floats = Tensor::zeros({1, 4}, DType::f32);
  Tensor out = Tensor::empty({1, 4}, DType::f32);
  EXPECT_THROW(ops::reverse_complement_tokens(floats, out), Error);
  const Tensor ids = Tensor::zeros({1, 4}, DType::i32);
  Tensor wrong = Tensor::empty({1, 4}, DType::i64);
  EXPECT_THROW(ops::reverse_complement_tokens(ids, wrong), Error);
  Tensor flat = Tensor::empty({4}, DType::i32);
  EXPECT_THROW(ops::reverse_complement_tokens(flat, flat), Error);
}

}  // namespace
}  // namespace spindle
