#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

#include "platform/device.h"
#include "platform/tensor.h"

namespace spindle {
namespace {

std::vector<float> iota_values(int64_t n) {
  std::vector<float> values(static_cast<size_t>(n));
  std::iota(values.begin(), values.end(), 0.0f);
  return values;
}

TEST(Tensor, EmptyHasShapeDtypeAndAlignedHostMemory) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8}) {
    const Tensor t = Tensor::empty({3, 5, 7}, dtype);
    EXPECT_EQ(t.numel(), 105);
    EXPECT_EQ(t.nbytes(), 105 * dtype_size(dtype));
    EXPECT_EQ(t.dim(), 3);
    EXPECT_EQ(t.size(-1), 7);
    EXPECT_EQ(t.rows(), 15);
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % kHostAlignment, 0u);
    EXPECT_EQ(t.device(), Device::cpu());
  }
  EXPECT_EQ(dtype_size(DType::bf16), 2u);
  EXPECT_EQ(dtype_size(DType::i64), 8u);
}

TEST(Tensor, ZerosAreZero) {
  const Tensor t = Tensor::zeros({4, 9}, DType::f64);
  for (double v : t.to_vector<double>()) EXPECT_EQ(v, 0.0);
}

TEST(Tensor, ScalarAndZeroSized) {
  const Tensor scalar = Tensor::from_vector<float>({2.5f}, {});
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_EQ(scalar.to_vector<float>(), std::vector<float>{2.5f});
  const Tensor none = Tensor::empty({0, 4}, DType::f32);
  EXPECT_EQ(none.numel(), 0);
  EXPECT_EQ(none.to(Device::cpu()).numel(), 0);
  EXPECT_EQ(none.slice(1, 1, 3).shape(), (Shape{0, 2}));
}

TEST(Tensor, FirstAxisSliceIsAViewWithoutCopy) {
  Tensor t = Tensor::from_vector(iota_values(4 * 3 * 5), {4, 3, 5});
  Tensor middle = t.slice(0, 1, 3);
  EXPECT_EQ(middle.shape(), (Shape{2, 3, 5}));
  EXPECT_TRUE(middle.is_contiguous());
  EXPECT_EQ(middle.storage(), t.storage());
  EXPECT_EQ(middle.data<float>()[0], 15.0f);
  middle.data<float>()[0] = -1.0f;  // writes through to the base tensor
  EXPECT_EQ(t.data<float>()[15], -1.0f);
}

TEST(Tensor, LastAxisSliceKeepsPitchAndCopiesOut) {
  const Tensor t = Tensor::from_vector(iota_values(3 * 2 * 7), {3, 2, 7});
  const Tensor narrow = t.slice(-1, 2, 5);
  EXPECT_EQ(narrow.shape(), (Shape{3, 2, 3}));
  EXPECT_EQ(narrow.row_pitch(), 7);
  EXPECT_FALSE(narrow.is_contiguous());
  EXPECT_EQ(narrow.storage(), t.storage());
  const std::vector<float> values = narrow.contiguous().to_vector<float>();
  ASSERT_EQ(values.size(), 18u);
  for (int64_t row = 0; row < 6; ++row) {
    for (int64_t col = 0; col < 3; ++col) EXPECT_EQ(values[row * 3 + col], static_cast<float>(row * 7 + 2 + col));
  }
}

TEST(Tensor, SlicesOfBothAxesCompose) {
  const Tensor t = Tensor::from_vector(iota_values(6 * 11), {6, 11});
  const Tensor block = t.slice(0, 2, 5).slice(1, 3, 10).slice(0, 1, 3).slice(1, 0, 4);
  EXPECT_EQ(block.shape(), (Shape{2, 4}));
  const std::vector<float> values = block.contiguous().to_vector<float>();
  const std::vector<float> expected{36, 37, 38, 39, 47, 48, 49, 50};
  EXPECT_EQ(values, expected);
}

TEST(Tensor, CopyFromStridedIntoStrided) {
  const Tensor source = Tensor::from_vector(iota_values(4 * 6), {4, 6}).slice(1, 1, 4);
  Tensor destination = Tensor::zeros({4, 9}, DType::f32).slice(1, 5, 8);
  destination.copy_from(source);
  EXPECT_EQ(destination.contiguous().to_vector<float>(), source.contiguous().to_vector<float>());
}

TEST(Tensor, CopyBetweenOverlappingViewsOfOneStorage) {
  // Shifting rows within one buffer: each row must be read before it is overwritten.
  Tensor base = Tensor::from_vector(iota_values(5 * 4), {5, 4});
  Tensor narrow = base.slice(1, 0, 3);  // rows of 3 with a pitch of 4
  narrow.slice(0, 1, 5).copy_from(narrow.slice(0, 0, 4));
  EXPECT_EQ(narrow.contiguous().to_vector<float>(),
            (std::vector<float>{0, 1, 2, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14}));
  // Column halves of one buffer (channel halves) share no element; shifted by one column they do.
  Tensor halves = Tensor::from_vector(iota_values(3 * 8), {3, 8});
  halves.slice(1, 4, 8).copy_from(halves.slice(1, 0, 4));
  EXPECT_EQ(halves.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11, 16,
                                                           17, 18, 19, 16, 17, 18, 19}));
  Tensor shifted_columns = Tensor::from_vector(iota_values(2 * 8), {2, 8});
  shifted_columns.slice(1, 1, 8).copy_from(shifted_columns.slice(1, 0, 7));
  EXPECT_EQ(shifted_columns.to_vector<float>(),
            (std::vector<float>{0, 0, 1, 2, 3, 4, 5, 6, 8, 8, 9, 10, 11, 12, 13, 14}));
  Tensor flat = Tensor::from_vector(iota_values(1000), {1000});
  flat.slice(0, 1, 1000).copy_from(flat.slice(0, 0, 999));
  std::vector<float> shifted = iota_values(999);
  shifted.insert(shifted.begin(), 0.0f);
  EXPECT_EQ(flat.to_vector<float>(), shifted);
}

TEST(Tensor, ToCpuCopiesStorage) {
  const Tensor t = Tensor::from_vector(iota_values(10), {10});
  Tensor copy = t.to(Device::cpu());
  EXPECT_NE(copy.storage(), t.storage());
  copy.data<float>()[0] = 42.0f;
  EXPECT_EQ(t.data<float>()[0], 0.0f);
}

TEST(Tensor, ReshapeIsAView) {
  const Tensor t = Tensor::from_vector(iota_values(24), {2, 12});
  const Tensor r = t.reshape({4, 3, 2});
  EXPECT_EQ(r.storage(), t.storage());
  EXPECT_EQ(r.size(1), 3);
  EXPECT_THROW(t.reshape({5, 5}), Error);
  EXPECT_THROW(t.slice(1, 0, 5).reshape({10}), Error);
}

TEST(Tensor, MisuseIsRefusedWithClearErrors) {
  const Tensor t = Tensor::empty({4, 5, 6}, DType::f32);
  EXPECT_THROW(t.slice(1, 0, 2), Error);   // middle axis
  EXPECT_THROW(t.slice(0, 3, 5), Error);   // past the end
  EXPECT_THROW(t.slice(0, 2, 1), Error);   // reversed
  EXPECT_THROW(t.size(3), Error);
  EXPECT_THROW(t.data<double>(), Error);
  EXPECT_THROW(Tensor::empty({2, -1}, DType::f32), Error);
  EXPECT_THROW(Tensor().raw_data(), Error);
  Tensor other = Tensor::empty({4, 5, 7}, DType::f32);
  try {
    other.copy_from(t);
    FAIL() << "copy between shapes did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f32[4, 5, 6]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("same shape"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tensor::from_vector<float>({1, 2, 3}, {2, 2}), Error);
}

TEST(Tensor, ShapesWhoseSizeOverflowsAreRefused) {
  const int64_t two_to_31 = int64_t{1} << 31, two_to_32 = int64_t{1} << 32;
  EXPECT_THROW(shape_numel({two_to_32, two_to_32}), Error);      // 2^64 elements wrap to 0
  EXPECT_THROW(shape_numel({int64_t{1} << 62, 3}), Error);
  EXPECT_THROW(Tensor::empty({two_to_32, two_to_32}, DType::u8), Error);
  EXPECT_THROW(Tensor::empty({two_to_31, two_to_31}, DType::f32), Error);       // 2^64 bytes wrap to 0
  EXPECT_THROW(Tensor::empty({(int64_t{1} << 61) - 1}, DType::f64), Error);    // rounding up to 64 wraps
  EXPECT_EQ(shape_numel({two_to_32, two_to_32, 0}), 0);  // empty, however large the other extents
  const Tensor t = Tensor::from_vector(iota_values(6), {6});
  EXPECT_THROW(t.reshape({-2, -3}), Error);
  EXPECT_THROW(shape_numel({-1}), Error);
}

TEST(Tensor, DeviceWithoutGpuIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present; the GPU tests cover device copies";
  const Tensor t = Tensor::empty({8}, DType::f32);
  EXPECT_THROW(t.to(Device::cuda(0)), Error);
}

TEST(Device, ParsesAndPrints) {
  EXPECT_EQ(Device::parse("cpu", "--device"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda", "--device"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:3", "--device"), Device::cuda(3));
  EXPECT_EQ(Device::cuda(3).str(), "cuda:3");
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:1x", "CUDA:0"}) {
    EXPECT_THROW(Device::parse(bad, "--device"), Error) << bad;
  }
}

TEST(DType, ParsesNames) {
  EXPECT_EQ(parse_dtype("bf16", "x"), DType::bf16);
  EXPECT_EQ(dtype_name(DType::u8), "u8");
  EXPECT_THROW(parse_dtype("float", "x"), Error);
}

}  // namespace
}  // namespace spindle
