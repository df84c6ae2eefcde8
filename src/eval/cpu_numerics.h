// SPDX-License-Identifier: Apache-2.0
// The arithmetic contract of the two CPU backends (the scalar reference and the vector backend), which is what makes
// them bit-identical: every sum runs in index order, starting from +0, as separate IEEE multiplies and adds (the
// build passes -ffp-contract=off so no FMA is fused in); transcendentals are the C library's float functions; the
// st.dev. ops go through stdev_of() below. Private to src/eval.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "amlz/core/bytecode.h"
#include "amlz/core/philox.h"
#include "amlz/core/random_draws.h"

namespace amlz::cpu {

// Population st.dev. of `count` values spaced `stride` apart, computed in double with two passes in index order:
// mean = (sum x) / n, var = (sum (x - mean)^2) / n, result = (T) sqrt(var). The original's formula, sqrt(mean of
// squares - square of mean), can come out slightly negative (sqrt NaN) for equal elements in float32, and even in
// double for 64 or more of them; with two passes the variance is a sum of squares, never negative, and exactly 0
// for equal elements (their double sum is exact, so mean == x). Both CPU backends call this one function, lane by
// lane in the vector backend, so they agree bit for bit.
template <class T>
T stdev_of(const T* x, int count, std::ptrdiff_t stride = 1) {
  double sum = 0.0;
  for (int i = 0; i < count; ++i) sum += static_cast<double>(x[i * stride]);
  const double mean = sum / count;
  double sq = 0.0;
  for (int i = 0; i < count; ++i) {
    const double d = static_cast<double>(x[i * stride]) - mean;
    sq += d * d;
  }
  return static_cast<T>(std::sqrt(sq / count));
}

// Fills `count` elements spaced `stride` apart with the draws of random op `in` (ops 59-64): element e draws from
// Philox at (stream, the op's source key, e); uniform on (d0, d1), or Gaussian with mean d0 and st.dev. d1, computed
// in double and rounded to T.
template <class T>
void fill_random(T* out, int count, std::ptrdiff_t stride, const Instr& in, const RandomStream& rc) {
  const uint32_t key = random_key(in);
  const double p0 = in.d0, p1 = in.d1;
  const bool uniform = in.op == Op::ScalarUniformSet || in.op == Op::VectorUniformSet || in.op == Op::MatrixUniformSet;
  for (int e = 0; e < count; ++e) {
    const Philox4 r = random_op_draw(rc, key, static_cast<uint32_t>(e));
    out[e * stride] = static_cast<T>(uniform ? uniform_open(p0, p1, r.v[0]) : gaussian(p0, p1, r.v[0], r.v[1]));
  }
}

}  // namespace amlz::cpu
