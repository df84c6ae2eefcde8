// SPDX-License-Identifier: Apache-2.0
// The search's own generator (tournaments, mutations, random algorithms, evaluation seeds): PCG32 with our own
// distributions, so one --seed gives one run on every machine and standard library.
#pragma once
#include <cstdint>

namespace amlz {

class SearchRng {
 public:
  explicit SearchRng(uint64_t seed);

  uint32_t next_u32();
  // A UniformRandomBitGenerator too, so templates written for std engines accept it.
  using result_type = uint32_t;
  static constexpr uint32_t min() { return 0; }
  static constexpr uint32_t max() { return 0xFFFFFFFFu; }
  uint32_t operator()() { return next_u32(); }
  uint64_t next_u64() { return (static_cast<uint64_t>(next_u32()) << 32) | next_u32(); }
  uint32_t uniform_below(uint32_t n);                                                   // [0, n), unbiased; n > 0
  int uniform_int(int lo, int hi);                                                      // [lo, hi), unbiased; lo < hi
  float uniform_float();                                                                // [0, 1), 24 random bits
  float uniform_float(float lo, float hi) { return lo + (hi - lo) * uniform_float(); }  // [lo, hi)
  double uniform_double();                                                              // [0, 1), 53 random bits
  double uniform_open(double lo, double hi);                                            // (lo, hi)
  double gaussian();                                                                    // N(0, 1)
  bool bernoulli(double p) { return uniform_double() < p; }

  // Snapshot of the full state, for checkpoints.
  uint64_t state() const { return state_; }
  uint64_t stream() const { return inc_; }
  static SearchRng from_state(uint64_t state, uint64_t stream);

 private:
  SearchRng() = default;
  uint64_t state_ = 0;
  uint64_t inc_ = 1;
};

}  // namespace amlz
