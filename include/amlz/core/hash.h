// SPDX-License-Identifier: Apache-2.0
// The original's 64-bit hash folding (spec §5.2 HashCombine), used for task seeds and FEC fingerprints. Shared
// by host and device so fingerprints computed on the GPU equal the CPU's.
#pragma once
#include <cstdint>
#include <cstring>

#include "amlz/core/hd.h"

namespace amlz {

// Four Bob-Jenkins mixing rounds with shifts (43,9,8), (38,23,5), (35,49,11), (12,18,22). Written out so it
// inlines into the FEC fingerprint loops of both interpreters.
AMLZ_HD AMLZ_FORCEINLINE uint64_t hash_combine(uint64_t h, uint64_t x) {
  uint64_t a = 0x9e3779b9u, b = h, c = x;
#define AMLZ_MIX_ROUND(r1, r2, r3) \
  a -= b;                          \
  a -= c;                          \
  a ^= c >> r1;                    \
  b -= c;                          \
  b -= a;                          \
  b ^= a << r2;                    \
  c -= a;                          \
  c -= b;                          \
  c ^= b >> r3;
  AMLZ_MIX_ROUND(43, 9, 8)
  AMLZ_MIX_ROUND(38, 23, 5)
  AMLZ_MIX_ROUND(35, 49, 11)
  AMLZ_MIX_ROUND(12, 18, 22)
#undef AMLZ_MIX_ROUND
  return c;
}

inline constexpr uint64_t kHashStart = 42;

// HashMix(a, b) of the original: fold a then b into 42, keep the low 32 bits.
AMLZ_HD inline uint32_t hash_mix(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>(hash_combine(hash_combine(kHashStart, a), b));
}

// Bits of a float with -0 folded onto +0 (as std::hash does for the original's doubles) and every NaN folded onto
// one pattern (x86 and CUDA produce different NaN payloads for the same operation).
AMLZ_HD AMLZ_FORCEINLINE uint32_t float_hash_bits(float f) {
  if (f == 0.0f) return 0u;
  if (f != f) return 0x7FC00000u;
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

}  // namespace amlz
