// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
// a counter-based generator. The same (seed, index) gives the same bits on the CPU and on
// the GPU, so a stream can be split across threads, devices or ranks without any state.
//
// Stream definition (shared by every backend):
//   uniform float at element index i of stream (seed, offset), g = offset + i:
//     bits = word (g mod 4) of philox(key = seed, counter = {g / 4 (64-bit), DOMAIN_UNIFORM, 0})
//     u    = (bits >> 8) * 2^-24                      in [0, 1), exactly representable
//   normal float at g: Box-Muller on words 0 and 1 of
//     philox(key = seed, counter = {g / 2 (64-bit), DOMAIN_NORMAL, 0}),
//     cos branch for even g, sin branch for odd g, computed in double and rounded once.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace spindle::philox {

struct Block {
  uint32_t word[4];
};

// Counter words 2 and 3 separate the streams drawn for different distributions.
inline constexpr uint32_t kDomainUniform = 0x554e4946u;  // "UNIF"
inline constexpr uint32_t kDomainNormal = 0x4e4f524du;   // "NORM"

SPINDLE_HOST_DEVICE void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t product = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(product >> 32);
  lo = static_cast<uint32_t>(product);
}

// Ten rounds of Philox4x32 on the 128-bit counter (c0..c3) with the 64-bit key.
SPINDLE_HOST_DEVICE Block philox4x32_10(uint64_t key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, c0, hi0, lo0);
    mulhilo(kMul1, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Block{{c0, c1, c2, c3}};
}

SPINDLE_HOST_DEVICE Block block(uint64_t seed, uint64_t counter, uint32_t domain) {
  return philox4x32_10(seed, static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), domain, 0);
}

// 24 random bits to a float in [0, 1); every value is exact in float32.
SPINDLE_HOST_DEVICE float bits_to_unit_float(uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

// Element g of the uniform [0, 1) stream for seed.
SPINDLE_HOST_DEVICE float uniform(uint64_t seed, uint64_t g) {
  const Block b = block(seed, g >> 2, kDomainUniform);
  return bits_to_unit_float(b.word[g & 3]);
}

// Element g of the standard normal stream for seed. u1 is in (0, 1] so the log is finite.
// Computed in double on every backend so that the float results agree to the last bit
// except where the double result lies within rounding of a float boundary.
SPINDLE_HOST_DEVICE float normal(uint64_t seed, uint64_t g) {
  const Block b = block(seed, g >> 1, kDomainNormal);
  constexpr double kTwoToMinus32 = 1.0 / 4294967296.0;
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  const double u1 = (static_cast<double>(b.word[0]) + 1.0) * kTwoToMinus32;
  const double u2 = static_cast<double>(b.word[1]) * kTwoToMinus32;
  const double radius = sqrt(-2.0 * log(u1));
  const double angle = kTwoPi * u2;
  return static_cast<float>((g & 1) ? radius * sin(angle) : radius * cos(angle));
}

}  // namespace spindle::philox
