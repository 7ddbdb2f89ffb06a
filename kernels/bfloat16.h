// bfloat16 on the host: the upper 16 bits of an IEEE float32. Conversion rounds to nearest
// even and keeps NaN a NaN, as CUDA's __float2bfloat16 does, so host and device agree.
#pragma once

#include <cstdint>
#include <cstring>

namespace spindle {

struct bfloat16 {
  uint16_t bits;
};

inline float bf16_to_float(bfloat16 value) {
  const uint32_t bits = static_cast<uint32_t>(value.bits) << 16;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

inline bfloat16 float_to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return bfloat16{static_cast<uint16_t>((bits >> 16) | 0x0040u)};  // quiet NaN
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return bfloat16{static_cast<uint16_t>((bits + rounding) >> 16)};
}

}  // namespace spindle
