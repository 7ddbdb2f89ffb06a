#include "platform/dtype.h"

#include <array>

#include "kernels/error.h"

namespace spindle {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, 7> kDTypes{{
    {DType::f32, "f32", 4}, {DType::f64, "f64", 8}, {DType::bf16, "bf16", 2}, {DType::f16, "f16", 2},
    {DType::i32, "i32", 4}, {DType::i64, "i64", 8}, {DType::u8, "u8", 1},
}};

const DTypeInfo& info(DType dtype) { return kDTypes.at(static_cast<size_t>(dtype)); }

}  // namespace

size_t dtype_size(DType dtype) { return info(dtype).size; }
std::string_view dtype_name(DType dtype) { return info(dtype).name; }

DType parse_dtype(std::string_view name, const std::string& where) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.name == name) return entry.dtype;
  }
  throw Error(where, "unknown dtype '" + std::string(name) + "'", "one of f32, f64, bf16, f16, i32, i64, u8");
}

}  // namespace spindle
