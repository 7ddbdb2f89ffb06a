// safetensors: round trips of every dtype, the exact bytes the reference library writes,
// conversions on reading, and malformed files refused with the file and tensor named.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>

#include "kernels/error.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string length_prefix(uint64_t length) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(length >> (8 * i));
  return bytes;
}

// A file of the given header text (unpadded) and data bytes.
std::string safetensors_file(const std::string& header, const std::string& data) {
  return length_prefix(header.size()) + header + data;
}

std::string bytes_of(const Tensor& tensor) {
  return std::string(static_cast<const char*>(tensor.raw_data()), tensor.nbytes());
}

// A host tensor of `dtype` whose bytes are a fixed pattern (any bit pattern is a valid
// element for the round trip, which compares bytes).
Tensor patterned(const Shape& shape, DType dtype, unsigned seed) {
  Tensor tensor = Tensor::empty(shape, dtype);
  auto* bytes = static_cast<unsigned char*>(tensor.raw_data());
  for (size_t i = 0; i < tensor.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + seed * 11 + 5);
  return tensor;
}

TEST(Safetensors, RoundTripOfEveryDType) {
  TemporaryFolder folder;
  const std::string path = folder.file("all.safetensors");
  std::vector<std::pair<std::string, Tensor>> tensors = {
      {"f32.matrix", patterned({3, 5}, DType::f32, 1)}, {"f64.vector", patterned({7}, DType::f64, 2)},
      {"bf16.cube", patterned({2, 3, 4}, DType::bf16, 3)}, {"f16.odd", patterned({5, 3}, DType::f16, 4)},
      {"i64.ids", patterned({16}, DType::i64, 5)},          {"i32.pairs", patterned({4, 2}, DType::i32, 6)},
      {"u8.bytes", patterned({9}, DType::u8, 7)},           {"f32.scalar", patterned({}, DType::f32, 8)},
      {"f32.empty", patterned({0, 4}, DType::f32, 9)},
  };
  write_safetensors(path, tensors, {{"format", "pt"}, {"written by", "spindle"}});

  SafetensorsReader reader(path);
  EXPECT_EQ(reader.metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"written by", "spindle"}}));
  ASSERT_EQ(reader.entries().size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    SCOPED_TRACE(name);
    const Tensor back = reader.read(name);
    EXPECT_EQ(back.dtype(), tensor.dtype());
    EXPECT_EQ(back.shape(), tensor.shape());
    EXPECT_EQ(bytes_of(back), bytes_of(tensor));
  }
  // The reference's order: descending dtype alignment (I64, F64, F32, I32, BF16, F16, U8),
  // then by name.
  std::vector<std::string> order;
  for (const SafetensorsEntry& entry : reader.entries()) order.push_back(entry.name);
  EXPECT_EQ(order, (std::vector<std::string>{"i64.ids", "f64.vector", "f32.empty", "f32.matrix", "f32.scalar",
                                             "i32.pairs", "bf16.cube", "f16.odd", "u8.bytes"}));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial-" + std::to_string(getpid())));
}

TEST(Safetensors, WritesTheReferenceLibrarysBytes) {
  TemporaryFolder folder;
  const std::string path = folder.file("attn.safetensors");
  write_safetensors(path, {{"attn.0", Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {1, 2, 3})}});
  const std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(header.size(), 64u);  // already a multiple of 8: no padding
  const float values[] = {0, 1, 2, 3, 4, 5};
  EXPECT_EQ(file_bytes(path), length_prefix(64) + header + std::string(reinterpret_cast<const char*>(values), 24));

  // One character shorter: seven spaces pad the header to 64 bytes.
  write_safetensors(path, {{"attn0", Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {1, 1, 2, 3})}});
  const std::string padded = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})" + std::string(7, ' ');
  EXPECT_EQ(file_bytes(path).substr(0, 8 + 72), length_prefix(72) + padded);

  write_safetensors(path, {}, {{"framework", "pt"}});
  EXPECT_EQ(file_bytes(path), length_prefix(40) + R"({"__metadata__":{"framework":"pt"}})" + std::string(5, ' '));
}

TEST(Safetensors, ReadsFloatsAsTheDTypeAskedFor) {
  TemporaryFolder folder;
  const std::string path = folder.file("floats.safetensors");
  // binary16: 1, -2, 2^-24 (smallest subnormal), 65504 (largest), +inf, 0.
  const std::vector<uint16_t> half = {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x0000};
  Tensor f16 = Tensor::empty({6}, DType::f16);
  std::memcpy(f16.raw_data(), half.data(), 12);
  Tensor bf16 = Tensor::empty({3}, DType::bf16);
  const std::vector<uint16_t> brain = {0x3F80, 0xC0A0, 0x3E00};  // 1, -5, 0.125
  std::memcpy(bf16.raw_data(), brain.data(), 6);
  write_safetensors(path, {{"half", f16},
                           {"brain", bf16},
                           {"double", Tensor::from_vector<double>({0.1, -3.5}, {2})},
                           {"ids", Tensor::from_vector<int64_t>({1, 2}, {2})}});
  SafetensorsReader reader(path);
  EXPECT_EQ(reader.read("half", DType::f32).to_vector<float>(),
            (std::vector<float>{1.0f, -2.0f, 5.9604645e-8f, 65504.0f, std::numeric_limits<float>::infinity(), 0.0f}));
  EXPECT_EQ(reader.read("brain", DType::f32).to_vector<float>(), (std::vector<float>{1.0f, -5.0f, 0.125f}));
  EXPECT_EQ(reader.read("brain", DType::f64).to_vector<double>(), (std::vector<double>{1.0, -5.0, 0.125}));
  EXPECT_EQ(reader.read("double", DType::f32).to_vector<float>(), (std::vector<float>{0.1f, -3.5f}));
  EXPECT_EQ(reader.read("ids", DType::i64).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  const std::string refused = message_of([&] { reader.read("ids", DType::f32); });
  EXPECT_NE(refused.find("tensor 'ids'"), std::string::npos) << refused;
  EXPECT_NE(refused.find("stored as i64, asked for f32"), std::string::npos) << refused;
  EXPECT_NE(message_of([&] { reader.read("absent"); }).find("no tensor 'absent'"), std::string::npos);
}

// The reference library reads "__metadata__" as an optional map, so null is no metadata (Go's
// encoding/json writes a nil map so); entries in any order, the header padded with spaces.
TEST(Safetensors, NullMetadataIsNoMetadata) {
  TemporaryFolder folder;
  const float values[] = {1, 2, 3, 4};
  const std::string header =
      R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"__metadata__":null,)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   )";
  const std::string data(reinterpret_cast<const char*>(values), sizeof values);
  const std::string path = folder.write("null.safetensors", safetensors_file(header, data));
  std::string message = message_of([&] {
    SafetensorsReader reader(path);
    EXPECT_TRUE(reader.metadata().empty());
    EXPECT_EQ(reader.read("a").to_vector<float>(), (std::vector<float>{1, 2}));
    EXPECT_EQ(reader.read("b").to_vector<float>(), (std::vector<float>{3, 4}));
  });
  EXPECT_EQ(message, "(no error)");
}

// Header of two F32 tensors of 2 elements each at the given offsets.
std::string two_tensors(const std::string& a_offsets, const std::string& b_offsets) {
  return R"({"a":{"dtype":"F32","shape":[2],"data_offsets":)" + a_offsets +
         R"(},"b":{"dtype":"F32","shape":[2],"data_offsets":)" + b_offsets + "}}";
}

struct Malformed {
  const char* name;
  std::string content;
  std::vector<std::string> message_parts;  // each must appear in the error
};

class SafetensorsMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(SafetensorsMalformed, IsRefusedNamingFileAndTensor) {
  TemporaryFolder folder;
  const std::string path = folder.write("bad.safetensors", GetParam().content);
  const std::string message = message_of([&] { SafetensorsReader reader(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  for (const std::string& part : GetParam().message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

const std::string kSixteenBytes(16, '\x01');

INSTANTIATE_TEST_SUITE_P(
    Files, SafetensorsMalformed,
    ::testing::Values(
        Malformed{"shorter_than_the_length", std::string("\x08\x00\x00", 3), {"3 bytes"}},
        Malformed{"header_length_beyond_the_file", length_prefix(uint64_t{1} << 40) + "{}", {"header length 1099511627776 beyond"}},
        Malformed{"header_cut_short", length_prefix(20) + "{\"a\":", {"beyond the file"}},
        Malformed{"bad_json", safetensors_file(R"({"a":{"dtype":"F32",)", ""), {"not valid JSON"}},
        Malformed{"not_an_object", safetensors_file("[1, 2]", ""), {"does not begin with '{'"}},
        Malformed{"unknown_dtype", safetensors_file(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", "x"),
                  {"tensor 'w'", "'Q7' is not a dtype"}},
        Malformed{"unsupported_dtype", safetensors_file(R"({"w":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}})", "x"),
                  {"tensor 'w'", "'BOOL'"}},
        Malformed{"size_mismatch", safetensors_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
                  {"tensor 'w'", "8 bytes of data for F32[3]", "12 bytes"}},
        Malformed{"offsets_outside", safetensors_file(two_tensors("[0,8]", "[8,16]"), std::string(12, '\0')),
                  {"tensor 'b'", "beyond the file's 12 bytes of data"}},
        Malformed{"overlapping", safetensors_file(two_tensors("[0,8]", "[4,12]"), std::string(12, '\0')),
                  {"tensor 'b'", "overlap tensor 'a'"}},
        Malformed{"gap_between", safetensors_file(two_tensors("[0,8]", "[12,20]"), std::string(20, '\0')),
                  {"tensor 'b'", "4 unreferenced bytes"}},
        Malformed{"bytes_after_the_last", safetensors_file(two_tensors("[0,8]", "[8,16]"), std::string(20, '\0')),
                  {"4 bytes after the last tensor"}},
        Malformed{"begin_after_end", safetensors_file(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", ""),
                  {"tensor 'w'", "begin after end"}},
        Malformed{"negative_offset", safetensors_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", "x"),
                  {"tensor 'w': data_offsets", "non-negative integer"}},
        Malformed{"shape_overflow",
                  safetensors_file(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", kSixteenBytes),
                  {"tensor 'w': shape", "overflows"}},
        Malformed{"duplicate_name", safetensors_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                   kSixteenBytes),
                  {"header", "key 'a' appears twice"}},
        Malformed{"unknown_entry_key", safetensors_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"stride":[1]}})", "x"),
                  {"tensor 'w': stride", "unknown key"}},
        Malformed{"missing_entry_key", safetensors_file(R"({"w":{"dtype":"U8","shape":[1]}})", "x"),
                  {"tensor 'w'", "no data_offsets"}},
        Malformed{"metadata_not_text", safetensors_file(R"({"__metadata__":{"step":3}})", ""),
                  {"__metadata__: step", "a string"}}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

TEST(Safetensors, TruncatedFileIsRefusedNamingTheTensor) {
  TemporaryFolder folder;
  const std::string path = folder.file("cut.safetensors");
  write_safetensors(path, {{"weight", patterned({4, 4}, DType::f32, 1)}});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  const std::string message = message_of([&] { SafetensorsReader reader(path); });
  EXPECT_NE(message.find("tensor 'weight'"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(Safetensors, WriterRefusesDuplicatesAndLeavesNoPartialFile) {
  TemporaryFolder folder;
  const std::string path = folder.file("w.safetensors");
  write_safetensors(path, {{"kept", patterned({2}, DType::f32, 1)}});
  const std::string before = file_bytes(path);
  const std::string message =
      message_of([&] { write_safetensors(path, {{"x", patterned({2}, DType::f32, 1)}, {"x", patterned({3}, DType::f32, 2)}}); });
  EXPECT_NE(message.find("'x' given twice"), std::string::npos) << message;
  EXPECT_EQ(file_bytes(path), before);

  const std::string nowhere = folder.file("missing-folder/w.safetensors");
  EXPECT_NE(message_of([&] { write_safetensors(nowhere, {{"x", patterned({2}, DType::f32, 1)}}); }).find("cannot create"),
            std::string::npos);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder.file("")), std::filesystem::directory_iterator()), 1);
}

// Python reads what spindle writes with nothing but json and numpy (check_safetensors.py
// recomputes every value).
TEST(Safetensors, NumpyReadsWhatSpindleWrites) {
  TemporaryFolder folder;
  const std::string path = folder.file("numpy.safetensors");
  std::vector<float> f32(24);
  std::vector<double> f64(5);
  std::vector<int64_t> i64(6);
  std::vector<int32_t> i32(4);
  std::vector<uint8_t> u8(10);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = 0.25f * static_cast<float>(i) - 3.0f;
  for (size_t i = 0; i < f64.size(); ++i) f64[i] = 1.0 / static_cast<double>(i + 3);
  for (size_t i = 0; i < i64.size(); ++i) i64[i] = static_cast<int64_t>(i) * 1'000'000'000'007 - 5;
  for (size_t i = 0; i < i32.size(); ++i) i32[i] = -static_cast<int32_t>(i) * 70'000;
  for (size_t i = 0; i < u8.size(); ++i) u8[i] = static_cast<uint8_t>(250 + i);
  Tensor bf16 = Tensor::empty({2, 2}, DType::bf16);
  for (int64_t i = 0; i < 4; ++i) bf16.data<bfloat16>()[i] = float_to_bf16(0.5f * static_cast<float>(i) + 1.0f);
  write_safetensors(path,
                    {{"f32", Tensor::from_vector(f32, {2, 3, 4})},
                     {"f64", Tensor::from_vector(f64, {5})},
                     {"i64", Tensor::from_vector(i64, {3, 2})},
                     {"i32", Tensor::from_vector(i32, {4})},
                     {"u8", Tensor::from_vector(u8, {10})},
                     {"bf16", bf16}},
                    {{"format", "pt"}});
  const char* source = std::getenv("SPINDLE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "run through ctest, which sets SPINDLE_SOURCE_DIR";
  const std::string command = std::string(SPINDLE_TEST_PYTHON) + " " + source +
                              "/tests/io/check_safetensors.py " + path;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace
}  // namespace spindle
