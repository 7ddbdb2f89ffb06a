#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

#include "io/atomic_write.h"
#include "io/strict_json.h"
#include "kernels/error.h"
#include "platform/ops/convert.h"

namespace spindle {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian, read and written as is");

// The reference library's limit: a larger header is refused before it is read.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct FormatDType {
  DType dtype;
  const char* name;
  int alignment_rank;  // the reference's Dtype order; writers put higher ranks first
};

constexpr FormatDType kFormatDTypes[] = {
    {DType::i64, "I64", 13}, {DType::f64, "F64", 12}, {DType::f32, "F32", 11}, {DType::i32, "I32", 9},
    {DType::bf16, "BF16", 8}, {DType::f16, "F16", 7}, {DType::u8, "U8", 1},
};

const FormatDType& format_dtype(DType dtype) {
  for (const FormatDType& known : kFormatDTypes) {
    if (known.dtype == dtype) return known;
  }
  throw Error("write_safetensors", "dtype " + std::string(dtype_name(dtype)), "a dtype safetensors can hold");
}

DType parse_format_dtype(const std::string& name, const std::string& where) {
  for (const FormatDType& known : kFormatDTypes) {
    if (name == known.name) return known.dtype;
  }
  throw Error(where + ": dtype", "'" + name + "' is not a dtype spindle reads", "one of F32, F64, BF16, F16, I64, I32, U8");
}

// IEEE binary16 bits to float (exact: every half value is a float).
float half_to_float(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(fraction), -24);  // zero or subnormal
  } else if (exponent == 0x1f) {
    magnitude = fraction == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
  } else {
    magnitude = std::ldexp(static_cast<float>(fraction | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

// A non-negative JSON integer, or an Error naming `where`.
uint64_t unsigned_integer(const nlohmann::ordered_json& value, const std::string& where) {
  SPINDLE_CHECK(value.is_number_unsigned(), where, "got " + value.dump(), "a non-negative integer");
  return value.get<uint64_t>();
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::ordered_json& value, const std::string& path) {
  const std::string where = path + ": tensor '" + name + "'";
  SPINDLE_CHECK(value.is_object(), where, "got " + value.dump(), "an object {dtype, shape, data_offsets}");
  for (const auto& [key, ignored] : value.items()) {
    SPINDLE_CHECK(key == "dtype" || key == "shape" || key == "data_offsets", where + ": " + key, "unknown key",
                  "dtype, shape and data_offsets");
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    SPINDLE_CHECK(value.contains(key), where, std::string("no ") + key, "dtype, shape and data_offsets");
  }
  SPINDLE_CHECK(value["dtype"].is_string(), where + ": dtype", "got " + value["dtype"].dump(), "a string");
  SafetensorsEntry entry{name, parse_format_dtype(value["dtype"].get<std::string>(), where), {}, 0, 0};

  const nlohmann::ordered_json& shape = value["shape"];
  SPINDLE_CHECK(shape.is_array(), where + ": shape", "got " + shape.dump(), "an array of sizes");
  uint64_t numel = 1;
  for (const nlohmann::ordered_json& size : shape) {
    const uint64_t extent = unsigned_integer(size, where + ": shape");
    SPINDLE_CHECK(extent <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
                      !__builtin_mul_overflow(numel, extent, &numel),
                  where + ": shape", shape.dump() + " overflows 64 bits", "a shape that fits in memory");
    entry.shape.push_back(static_cast<int64_t>(extent));
  }
  uint64_t bytes = 0;
  SPINDLE_CHECK(!__builtin_mul_overflow(numel, dtype_size(entry.dtype), &bytes), where + ": shape",
                shape.dump() + " overflows 64 bits in bytes", "a shape that fits in memory");

  const nlohmann::ordered_json& offsets = value["data_offsets"];
  SPINDLE_CHECK(offsets.is_array() && offsets.size() == 2, where + ": data_offsets", "got " + offsets.dump(),
                "[begin, end]");
  entry.begin = unsigned_integer(offsets[0], where + ": data_offsets");
  entry.end = unsigned_integer(offsets[1], where + ": data_offsets");
  SPINDLE_CHECK(entry.begin <= entry.end, where + ": data_offsets", "begin after end: " + offsets.dump(),
                "begin <= end");
  SPINDLE_CHECK(entry.end - entry.begin == bytes, where,
                std::to_string(entry.end - entry.begin) + " bytes of data for " + value["dtype"].get<std::string>() +
                    shape_str(entry.shape),
                std::to_string(bytes) + " bytes (elements x dtype size)");
  return entry;
}

// Sorted by offset, the tensors must tile [0, data_bytes) exactly.
void check_tiling(std::vector<SafetensorsEntry>& entries, uint64_t data_bytes, const std::string& path) {
  for (const SafetensorsEntry& entry : entries) {
    SPINDLE_CHECK(entry.end <= data_bytes, path + ": tensor '" + entry.name + "'",
                  "data bytes [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                      ") lie beyond the file's " + std::to_string(data_bytes) + " bytes of data (truncated?)",
                  "offsets inside the file");
  }
  std::sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const SafetensorsEntry& entry = entries[i];
    const std::string where = path + ": tensor '" + entry.name + "'";
    SPINDLE_CHECK(entry.begin >= covered, where,
                  "data bytes [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + ") overlap tensor '" +
                      entries[i - 1].name + "'",
                  "tensors in separate bytes");
    SPINDLE_CHECK(entry.begin == covered, where,
                  std::to_string(entry.begin - covered) + " unreferenced bytes before its data at " +
                      std::to_string(entry.begin),
                  "each tensor's data beginning where the one before ends");
    covered = entry.end;
  }
  SPINDLE_CHECK(covered == data_bytes, path,
                std::to_string(data_bytes - covered) + " bytes after the last tensor's data",
                "the file to end with the last tensor");
}

}  // namespace

SafetensorsReader::SafetensorsReader(const std::string& path) : path_(path), file_(path, std::ios::binary) {
  SPINDLE_CHECK(file_.is_open(), path, std::string("cannot open: ") + std::strerror(errno), "a readable safetensors file");
  std::error_code error;
  const uint64_t file_bytes = std::filesystem::file_size(path, error);
  SPINDLE_CHECK(!error, path, "cannot read the size: " + error.message(), "a regular file");
  SPINDLE_CHECK(file_bytes >= 8, path, std::to_string(file_bytes) + " bytes",
                "at least the 8-byte header length of a safetensors file");
  unsigned char length_bytes[8];
  file_.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = header_bytes << 8 | length_bytes[i];
  SPINDLE_CHECK(header_bytes <= file_bytes - 8, path,
                "header length " + std::to_string(header_bytes) + " beyond the file's " + std::to_string(file_bytes) +
                    " bytes",
                "a safetensors file (8-byte little-endian header length, JSON header, data)");
  SPINDLE_CHECK(header_bytes <= kMaxHeaderBytes, path, "header length " + std::to_string(header_bytes),
                "at most " + std::to_string(kMaxHeaderBytes) + " bytes, the reference library's limit");
  std::string text(header_bytes, '\0');
  file_.read(text.data(), static_cast<std::streamsize>(header_bytes));
  SPINDLE_CHECK(file_.gcount() == static_cast<std::streamsize>(header_bytes), path, "cannot read the header",
                "a readable file");
  SPINDLE_CHECK(text.starts_with("{"), path + ": header", "does not begin with '{'", "a JSON object");
  const nlohmann::ordered_json header = parse_strict_json(text, path + ": header");
  SPINDLE_CHECK(header.is_object(), path + ": header", "a JSON " + std::string(header.type_name()), "a JSON object");

  for (const auto& [name, value] : header.items()) {
    if (name != "__metadata__") {
      entries_.push_back(parse_entry(name, value, path));
      continue;
    }
    if (value.is_null()) continue;  // the reference reads it as an optional map: null is none
    SPINDLE_CHECK(value.is_object(), path + ": __metadata__", "got " + value.dump(), "an object of strings or null");
    for (const auto& [key, text_value] : value.items()) {
      SPINDLE_CHECK(text_value.is_string(), path + ": __metadata__: " + key, "got " + text_value.dump(), "a string");
      metadata_[key] = text_value.get<std::string>();
    }
  }
  data_start_ = 8 + header_bytes;
  check_tiling(entries_, file_bytes - data_start_, path);
}

const SafetensorsEntry* SafetensorsReader::find(std::string_view name) const {
  for (const SafetensorsEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

const SafetensorsEntry& SafetensorsReader::entry(std::string_view name) const {
  const SafetensorsEntry* found = find(name);
  SPINDLE_CHECK(found, path_, "no tensor '" + std::string(name) + "'", "a tensor of that name in the file");
  return *found;
}

Tensor SafetensorsReader::read(std::string_view name) {
  const SafetensorsEntry& found = entry(name);
  Tensor tensor = Tensor::empty(found.shape, found.dtype);
  const uint64_t bytes = found.end - found.begin;
  if (bytes == 0) return tensor;
  file_.clear();
  file_.seekg(static_cast<std::streamoff>(data_start_ + found.begin));
  file_.read(static_cast<char*>(tensor.raw_data()), static_cast<std::streamsize>(bytes));
  SPINDLE_CHECK(file_.gcount() == static_cast<std::streamsize>(bytes), path_ + ": tensor '" + found.name + "'",
                "read " + std::to_string(file_.gcount()) + " of " + std::to_string(bytes) + " bytes",
                "the file unchanged since it was opened");
  return tensor;
}

Tensor SafetensorsReader::read(std::string_view name, DType dtype) {
  const SafetensorsEntry& found = entry(name);
  if (found.dtype == dtype) return read(name);
  auto floating = [](DType d) { return d == DType::f64 || d == DType::f32 || d == DType::bf16 || d == DType::f16; };
  SPINDLE_CHECK(floating(found.dtype) && floating(dtype) && dtype != DType::f16,
                path_ + ": tensor '" + found.name + "'",
                "stored as " + std::string(dtype_name(found.dtype)) + ", asked for " + std::string(dtype_name(dtype)),
                "a floating dtype read as f64, f32 or bf16, or a dtype read as stored");
  Tensor stored = read(name);
  if (found.dtype != DType::f16) return ops::converted(stored, dtype);
  Tensor widened = Tensor::empty(found.shape, DType::f32);
  const uint16_t* half = static_cast<const uint16_t*>(stored.raw_data());
  float* out = widened.data<float>();
  for (int64_t i = 0; i < widened.numel(); ++i) out[i] = half_to_float(half[i]);
  return ops::converted(widened, dtype);
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<const std::pair<std::string, Tensor>*> order;
  for (const auto& named : tensors) {
    SPINDLE_CHECK(named.first != "__metadata__", path, "a tensor named __metadata__", "another name");
    SPINDLE_CHECK(named.second.defined(), path + ": tensor '" + named.first + "'", "undefined tensor", "a tensor");
    order.push_back(&named);
  }
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    const int rank_a = format_dtype(a->second.dtype()).alignment_rank, rank_b = format_dtype(b->second.dtype()).alignment_rank;
    return rank_a != rank_b ? rank_a > rank_b : a->first < b->first;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    SPINDLE_CHECK(order[i]->first != order[i - 1]->first, path, "tensor name '" + order[i]->first + "' given twice",
                  "unique names");
  }

  std::string header = "{";
  try {
    if (!metadata.empty()) header += "\"__metadata__\":" + nlohmann::json(metadata).dump();
    uint64_t offset = 0;
    for (const auto* named : order) {
      const Tensor& tensor = named->second;
      const uint64_t end = offset + tensor.nbytes();
      if (header.size() > 1) header += ",";
      // Keys in the reference's order (dtype, shape, data_offsets).
      header += nlohmann::json(named->first).dump() + ":{\"dtype\":\"" + format_dtype(tensor.dtype()).name +
                "\",\"shape\":" + nlohmann::json(tensor.shape()).dump() + ",\"data_offsets\":[" +
                std::to_string(offset) + "," + std::to_string(end) + "]}";
      offset = end;
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("cannot write the header: ") + e.what(), "tensor names and metadata in UTF-8");
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  write_file_atomically(path, [&](std::ostream& out) {
    unsigned char length_bytes[8];
    for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(header.size() >> (8 * i));
    out.write(reinterpret_cast<const char*>(length_bytes), 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto* named : order) {
      const Tensor& tensor = named->second;
      const Tensor host = tensor.device().is_cpu() ? tensor.contiguous() : tensor.to(Device::cpu());
      out.write(static_cast<const char*>(host.raw_data()), static_cast<std::streamsize>(host.nbytes()));
    }
  });
}

}  // namespace spindle
