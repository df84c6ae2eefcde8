// SPDX-License-Identifier: Apache-2.0
#include "amlz/core/search_rng.h"

#include <cmath>

#include "amlz/core/random_draws.h"

namespace amlz {

SearchRng::SearchRng(uint64_t seed) {
  // PCG32 seeding procedure, with the stream derived from the seed so nearby seeds are unrelated.
  inc_ = ((seed ^ 0xda3e39cb94b95bdbULL) << 1u) | 1u;
  state_ = 0;
  next_u32();
  state_ += seed;
  next_u32();
}

SearchRng SearchRng::from_state(uint64_t state, uint64_t stream) {
  SearchRng r;
  r.state_ = state;
  r.inc_ = stream | 1u;
  return r;
}

uint32_t SearchRng::next_u32() {
  const uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + inc_;
  const uint32_t xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
  const uint32_t rot = static_cast<uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

uint32_t SearchRng::uniform_below(uint32_t n) {
  return bounded_draw(n, [this] { return next_u32(); });
}

int SearchRng::uniform_int(int lo, int hi) {
  return lo + static_cast<int>(uniform_below(static_cast<uint32_t>(hi - lo)));
}

float SearchRng::uniform_float() { return u32_to_float01(next_u32()); }

double SearchRng::uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double SearchRng::uniform_open(double lo, double hi) {
  for (;;) {
    const double u = uniform_double();
    if (u > 0.0) return lo + (hi - lo) * u;
  }
}

double SearchRng::gaussian() {
  const uint32_t a = next_u32();
  return box_muller(a, next_u32());
}

}  // namespace amlz
