// SPDX-License-Identifier: Apache-2.0
// Counter-based random numbers (Philox-4x32-10) shared by host and device: a draw is a pure function of its
// key and counter, so the CPU reference and the GPU evaluator produce identical random-op values, and removing
// dead code never shifts anyone's stream. Task data are drawn the same way, independent of the standard library.
#pragma once
#include <cmath>
#include <cstdint>

#include "amlz/core/hd.h"
#include "amlz/core/rn_math.h"

namespace amlz {

struct Philox4 {
  uint32_t v[4];
};

AMLZ_HD AMLZ_FORCEINLINE void mul_hi_lo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// The Philox-4x32 block cipher with 10 rounds (Salmon et al., SC'11).
AMLZ_HD inline Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                     uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, lo0, hi1, lo1;
    mul_hi_lo(0xD2511F53u, c0, hi0, lo0);
    mul_hi_lo(0xCD9E8D57u, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

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

// Where inside an evaluation a random op fires; part of the Philox counter.
enum RandomPhase : uint32_t { kPhaseSetup = 0, kPhaseTrain = 1, kPhaseValid = 2 };

// One random-op draw: key = (evaluation seed, task index); counter = (element, instruction key, step, phase).
// The instruction key is the op's position in the SOURCE algorithm (component << 14 | position).
AMLZ_HD AMLZ_FORCEINLINE Philox4 random_op_draw(uint32_t eval_seed, uint32_t task, uint32_t phase,
                                                uint32_t step, uint32_t instr_key, uint32_t element) {
  return philox4x32_10(element, instr_key, step, phase, eval_seed, task);
}

}  // namespace amlz

namespace amlz {

// A sequential stream over Philox blocks, for host-side data generation (task features, weights, shuffles).
// Keyed by (seed, stream tag): the same seed and tag give the same numbers on every machine.
class PhiloxStream {
 public:
  PhiloxStream(uint32_t seed, uint32_t stream) : k0_(seed), k1_(stream) {}

  uint32_t next_u32() {
    if (pos_ == 4) {
      block_ = philox4x32_10(static_cast<uint32_t>(counter_), static_cast<uint32_t>(counter_ >> 32), 0, 0, k0_, k1_);
      ++counter_;
      pos_ = 0;
    }
    return block_.v[pos_++];
  }
  double gaussian() {
    const uint32_t a = next_u32();
    return box_muller(a, next_u32());
  }
  // Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject).
  uint32_t uniform_below(uint32_t n) {
    uint64_t m = static_cast<uint64_t>(next_u32()) * n;
    if (static_cast<uint32_t>(m) < n) {
      const uint32_t threshold = static_cast<uint32_t>(-n) % n;
      while (static_cast<uint32_t>(m) < threshold) m = static_cast<uint64_t>(next_u32()) * n;
    }
    return static_cast<uint32_t>(m >> 32);
  }

 private:
  uint32_t k0_, k1_;
  uint64_t counter_ = 0;
  Philox4 block_{};
  int pos_ = 4;
};

}  // namespace amlz
