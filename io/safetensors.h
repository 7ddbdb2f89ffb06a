// safetensors files (Hugging Face's tensor format, github.com/huggingface/safetensors), read
// and written by hand:
//
//   8 bytes    N, the header's length in bytes (unsigned 64-bit, little-endian)
//   N bytes    a JSON object {"<name>": {"dtype": "F32", "shape": [2, 3],
//              "data_offsets": [begin, end]}, ...} with an optional "__metadata__": {"<key>":
//              "<text>"} (or null); writers pad it with spaces to a multiple of 8 bytes
//   the rest   the tensors' elements, row-major and little-endian; offsets count from here.
//              Sorted by offset the tensors tile the rest exactly: each begins where the one
//              before ends, and the last ends at the end of the file (as the reference
//              library requires).
//
// dtypes: F32 F64 BF16 F16 I64 I32 U8 (spindle's DTypes); the format's others (BOOL, I8, U16,
// F8_E4M3, ...) are refused by name. Reading checks the whole header before any data and
// then reads one tensor at a time straight into a host Tensor, so the file is never held in
// memory. Every error names the file and, where there is one, the tensor.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/tensor.h"

namespace spindle {

struct SafetensorsEntry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;  // byte offsets into the data that follows the header
};

class SafetensorsReader {
 public:
  // Opens `path` and reads and checks its header (not the data).
  explicit SafetensorsReader(const std::string& path);

  const std::string& path() const { return path_; }
  // In the order of their data in the file.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  // "__metadata__" (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // nullptr when the file has no tensor `name`.
  const SafetensorsEntry* find(std::string_view name) const;

  // Tensor `name` as a new host tensor of its stored dtype.
  Tensor read(std::string_view name);
  // ... converted to `dtype`: a floating dtype (f64, f32, bf16) from any floating stored dtype
  // (F64, F32, BF16, F16), rounding to nearest even where `dtype` is narrower; integers only
  // as stored.
  Tensor read(std::string_view name, DType dtype);

 private:
  const SafetensorsEntry& entry(std::string_view name) const;
  std::string path_;
  std::ifstream file_;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` (on any device; each copied to the host in turn) and `metadata` to `path`,
// through "<path>.partial-<pid>" renamed over `path` when complete. Order as the reference
// library writes: by dtype alignment (8-byte dtypes first), then by name; the header is compact
// JSON with "__metadata__" first (when not empty). Names must be unique, not "__metadata__".
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace spindle
