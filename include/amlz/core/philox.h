// SPDX-License-Identifier: Apache-2.0
// The evaluation's generator: counter-based random numbers (Philox-4x32-10) shared by host and device. A draw is a
// pure function of its key and counter, so the CPU reference and the GPU evaluator produce identical random-op
// values, and removing dead code never shifts anyone's stream. Task data are drawn the same way, independent of
// the standard library. (The search's own choices use SearchRng, core/search_rng.h.)
#pragma once
#include <cstdint>

#include "amlz/core/hd.h"
#include "amlz/core/random_draws.h"

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
AMLZ_HD inline Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
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

// Where inside an evaluation a random op fires; part of the Philox counter.
enum RandomPhase : uint32_t { kPhaseSetup = 0, kPhaseTrain = 1, kPhaseValid = 2 };

// The stream the random ops of one component execution draw from: both interpreters build one per Setup, Predict
// and Learn run.
struct RandomStream {
  uint32_t seed;   // the evaluation seed (ProgramDesc::eval_seed, or the FEC fingerprint seed)
  uint32_t task;   // Task::index
  uint32_t phase;  // RandomPhase
  uint32_t step;   // training step, or validation example counter
};

// One random-op draw: key = (evaluation seed, task index); counter = (element, instruction key, step, phase).
// The instruction key is the op's position in the SOURCE algorithm (component << 14 | position).
AMLZ_HD AMLZ_FORCEINLINE Philox4 random_op_draw(const RandomStream& s, uint32_t instr_key, uint32_t element) {
  return philox4x32_10(element, instr_key, s.step, s.phase, s.seed, s.task);
}

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
  uint32_t uniform_below(uint32_t n) {
    return bounded_draw(n, [this] { return next_u32(); });
  }

 private:
  uint32_t k0_, k1_;
  uint64_t counter_ = 0;
  Philox4 block_{};
  int pos_ = 4;
};

}  // namespace amlz
