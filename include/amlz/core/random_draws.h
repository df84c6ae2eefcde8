// SPDX-License-Identifier: Apache-2.0
// Turning 32-bit random words into numbers: the one set of distributions both generators use, the search's
// SearchRng (PCG32) and the evaluation's Philox streams. Host and device compile it, so the GPU rounds like the CPU.
#pragma once
#include <cmath>
#include <cstdint>

#include "amlz/core/hd.h"
#include "amlz/core/rn_math.h"

namespace amlz {

// (0,1): never 0 or 1, so log() is finite and open-interval uniforms are honoured.
AMLZ_HD AMLZ_FORCEINLINE double u32_to_open01(uint32_t u) {
  return (static_cast<double>(u) + 0.5) * 2.3283064365386962890625e-10;  // 2^-32
}
// [0,1) with 24 random bits: exactly representable as a float.
AMLZ_HD AMLZ_FORCEINLINE float u32_to_float01(uint32_t u) {
  return static_cast<float>(u >> 8) * 5.9604644775390625e-8f;  // 2^-24
}

// Standard normal by Box-Muller from two 32-bit words.
AMLZ_HD inline double box_muller(uint32_t a, uint32_t b) {
  const double r = std::sqrt(mul_rn(-2.0, std::log(u32_to_open01(a))));
  return mul_rn(r, std::cos(mul_rn(6.283185307179586476925, u32_to_open01(b))));
}

// Uniform on the open interval (low, high); an empty or inverted range returns low (the original's absl
// semantics, spec §3).
AMLZ_HD inline double uniform_open(double low, double high, uint32_t word) {
  if (!(low < high)) return low;
  return add_rn(low, mul_rn(high - low, u32_to_open01(word)));
}

AMLZ_HD inline double gaussian(double mean, double stddev, uint32_t w0, uint32_t w1) {
  return add_rn(mean, mul_rn(stddev, box_muller(w0, w1)));
}

// Uniform in [0, n), n > 0, without modulo bias (Lemire's multiply-and-reject). `next` yields 32-bit words.
template <class Next>
uint32_t bounded_draw(uint32_t n, Next&& next) {
  uint64_t m = static_cast<uint64_t>(next()) * n;
  if (static_cast<uint32_t>(m) < n) {
    const uint32_t threshold = static_cast<uint32_t>(-n) % n;
    while (static_cast<uint32_t>(m) < threshold) m = static_cast<uint64_t>(next()) * n;
  }
  return static_cast<uint32_t>(m >> 32);
}

}  // namespace amlz
