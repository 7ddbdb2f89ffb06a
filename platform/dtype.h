// Element types of tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/bfloat16.h"

namespace spindle {

enum class DType : uint8_t { f32, f64, bf16, f16, i32, i64, u8 };

// Bytes per element.
size_t dtype_size(DType dtype);
// "f32", "bf16", ...
std::string_view dtype_name(DType dtype);
// Parses a dtype_name(); throws spindle::Error naming `where` otherwise.
DType parse_dtype(std::string_view name, const std::string& where);

// The DType of a C++ element type, for typed access (Tensor::data<T>()).
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::bf16; }

}  // namespace spindle
