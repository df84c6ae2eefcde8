// SPDX-License-Identifier: Apache-2.0
// The rare, register-hungry ops, run out of line: scalar transcendentals, random draws and fills, st.dev., and the
// calls into transpose, matmul and column norm. Compiled once per translation unit and called, not inlined, they hold
// the heaviest code (Payne-Hanek trig reduction, double-precision log/cos of Box-Muller, Philox), which would
// otherwise set the register allocation and instruction-cache footprint of the whole interpreter. Private to cuda/.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "amlz/core/philox.h"
#include "warp/cross_lane_ops.cuh"
#include "warp/memory_layout.cuh"

namespace amlz::cuda {

// The ops that run out of line come in two lists: the scalar transcendentals (computed by transcendental()) and
// the rest (run by ColdOps::run()). Each list makes both an enum, whose values are the opcodes, and the dispatch's
// case labels for those ops (warp/interpreter.cuh). The out-of-line switches list every enumerator with no
// default, so -Wswitch reports an op routed here without an implementation, as the dispatch's own switch reports
// an op with no case at all. One call site per list keeps the interpreter's register allocation as it was with
// one call (a call per op multiplies the reloads around calls).
// (clang-format left alone here: its layout of these lists does not settle, each run rewraps them)
// clang-format off
#define AMLZ_CUDA_TRANSCENDENTAL_OPS(X) \
  X(ScalarSin) X(ScalarCos) X(ScalarTan) X(ScalarArcSin) X(ScalarArcCos) X(ScalarArcTan) X(ScalarExp) X(ScalarLog)
#define AMLZ_CUDA_COLD_OPS(X) \
  X(MatrixTranspose) X(MatrixMatrixProduct) X(MatrixColumnNorm) X(VectorStDev) X(MatrixStDev) X(MatrixRowStDev) \
  X(VectorUniformSet) X(VectorGaussianSet) X(MatrixUniformSet) X(MatrixGaussianSet)
// clang-format on

#define AMLZ_CUDA_OPCODE_ENUMERATOR(op) op = static_cast<uint32_t>(Op::op),
enum class Transcendental : uint32_t { AMLZ_CUDA_TRANSCENDENTAL_OPS(AMLZ_CUDA_OPCODE_ENUMERATOR) };
enum class ColdOp : uint32_t { AMLZ_CUDA_COLD_OPS(AMLZ_CUDA_OPCODE_ENUMERATOR) };
#undef AMLZ_CUDA_OPCODE_ENUMERATOR

// CUDA's full-precision versions (<= 2 ulp, not the intrinsics).
static __device__ __noinline__ float transcendental(Transcendental op, float x) {
  switch (op) {
    case Transcendental::ScalarSin: return sinf(x);
    case Transcendental::ScalarCos: return cosf(x);
    case Transcendental::ScalarTan: return tanf(x);
    case Transcendental::ScalarArcSin: return asinf(x);
    case Transcendental::ScalarArcCos: return acosf(x);
    case Transcendental::ScalarArcTan: return atanf(x);
    case Transcendental::ScalarExp: return expf(x);
    case Transcendental::ScalarLog: return logf(x);
  }
  return __int_as_float(0x7fffffff);  // not reached: the switch covers every Transcendental
}

// One element of a random op (core/philox.h), exactly as the CPU draws it: the double result rounded to float.
static __device__ __noinline__ float random_value(RandomStream rc, uint32_t key, uint32_t element, bool is_gaussian,
                                                  float d0, float d1) {
  const Philox4 r = random_op_draw(rc, key, element);
  const double x = is_gaussian ? gaussian(static_cast<double>(d0), static_cast<double>(d1), r.v[0], r.v[1])
                               : uniform_open(static_cast<double>(d0), static_cast<double>(d1), r.v[0]);
  return static_cast<float>(x);
}

template <int F, int L>
struct ColdOps {
  using G = Geometry<F, L>;
  using Mem = WarpMemory<F, L>;
  static constexpr int kVE = G::kVE, kME = G::kME, kVC = G::kVC, kMC = G::kMC, kRC = G::kRC;
  static constexpr int kVChunks = G::kVChunks, kMChunks = G::kMChunks, kRowChunks = G::kRowChunks;

  // The memory view (a few pointers) travels by value.
  __device__ __noinline__ static void run(const Mem m, ColdOp op, int o, int a, int b, bool act, RandomStream rc,
                                          uint32_t key, float d0, float d1) {
    using X = CrossLaneOps<F, L>;
    switch (op) {
      case ColdOp::MatrixTranspose: X::transpose(m, o, a, act); break;
      case ColdOp::MatrixMatrixProduct: X::matmul(m, o, a, b, act); break;
      case ColdOp::MatrixColumnNorm: X::column_norm(m, o, a, act); break;
      case ColdOp::VectorStDev:
      case ColdOp::MatrixStDev:
      case ColdOp::MatrixRowStDev: stdev(m, op, o, a, act); break;
      case ColdOp::VectorUniformSet:
      case ColdOp::VectorGaussianSet:
      case ColdOp::MatrixUniformSet:
      case ColdOp::MatrixGaussianSet: random_fill(m, op, o, act, rc, key, d0, d1); break;
    }
  }

  // ---- st.dev. -------------------------------------------------------------------------------------------------
  // The CPU reference's contract (src/eval/cpu_numerics.h stdev_of): in double, two passes in index order,
  // mean = sum(x) / n, var = sum((x - mean)^2) / n, result = (float) sqrt(var); never negative, exactly 0 for equal
  // elements. Explicit _rn intrinsics keep nvcc from fusing the square into the sum, so the result is bit-identical
  // to the CPU's under every lane mapping, which matters: a st.dev. decides NaN vs 0 (the status), and one of
  // large values feeding cos/arccos amplifies its last bit. For the vector and matrix forms every lane of the tile
  // therefore reads ALL the elements, twice (F, or F*F: at large L the matrix form costs F*F dependent steps per
  // lane instead of F*F/L, acceptable for an out-of-line op). `for_each(fn)` calls fn(x) on the n elements in
  // index order.
  template <class ForEach>
  __device__ __forceinline__ static float stdev_two_pass(ForEach for_each, int n) {
    double sum = 0.0;
    for_each([&sum](float x) { sum = __dadd_rn(sum, static_cast<double>(x)); });
    const double mean = sum / static_cast<double>(n);
    double sq = 0.0;
    for_each([&sq, mean](float x) {
      const double d = static_cast<double>(x) - mean;
      sq = __dadd_rn(sq, __dmul_rn(d, d));
    });
    return static_cast<float>(sqrt(sq / static_cast<double>(n)));
  }
  // The three st.dev. ops share one inlined body in run(), as the two kinds of random fill do below (separate
  // copies measurably changed the kernels' register allocation). The loops stay rolled: ptxas allocates the kernel
  // around what this out-of-line code needs, and unrolled they more than doubled the F = 32 kernels' stack
  // (bench/RESULTS.md, "CUDA design figures"). Every lane takes part in the tile's syncs.
  __device__ __forceinline__ static void stdev(const Mem& m, ColdOp op, int o, int a, bool act) {
    if (op == ColdOp::VectorStDev) {
      constexpr int kTC = F < 4 ? F : 4;
      tile_sync<L>();
      const float y = stdev_two_pass(
          [&](auto fn) {
#pragma unroll 1
            for (int j = 0; j < F; j += kTC) {
              const Chunk<kTC> c = m.template load_vtile<kTC>(a, j);
#pragma unroll
              for (int t = 0; t < kTC; ++t) fn(c.v[t]);
            }
          },
          F);
      tile_sync<L>();
      if (act) m.s(o) = y;
    } else if (op == ColdOp::MatrixStDev) {
      tile_sync<L>();
      const float y = stdev_two_pass(
          [&](auto fn) {
#pragma unroll 1
            for (int i = 0; i < F; ++i) {
#pragma unroll 1
              for (int jc = 0; jc < kRowChunks; ++jc) {
                const Chunk<kRC> c = load_chunk<kRC>(m.mtile(a, i, jc * kRC));
#pragma unroll
                for (int t = 0; t < kRC; ++t) fn(c.v[t]);
              }
            }
          },
          F * F);
      tile_sync<L>();
      if (act) m.s(o) = y;
    } else {  // MatrixRowStDev: each own row, lane-local
      const float* pa = m.mown(a);
      float* po = m.vown(o);
#pragma unroll 1
      for (int pc = 0; pc < kVChunks; ++pc) {
        Chunk<kVC> out;
#pragma unroll
        for (int k = 0; k < kVC; ++k) {
          const int q = pc * kVC + k;
          out.v[k] = stdev_two_pass(
              [&](auto fn) {
#pragma unroll 1
                for (int jc = 0; jc < kRowChunks; ++jc) {
                  const Chunk<kRC> c = load_chunk<kRC>(pa + Mem::row_chunk(q, jc));
#pragma unroll
                  for (int t = 0; t < kRC; ++t) fn(c.v[t]);
                }
              },
              F);
        }
        if (act) store_chunk<kVC>(po + pc * 32 * kVC, out);
      }
    }
  }

  // ---- uniform / Gaussian fills: element e of a vector, row-major index i*F+j of a matrix, as the CPU keys them --
  __device__ __forceinline__ static void random_fill(const Mem& m, ColdOp op, int o, bool act, const RandomStream& rc,
                                                     uint32_t key, float d0, float d1) {
    const bool gauss = op == ColdOp::VectorGaussianSet || op == ColdOp::MatrixGaussianSet;
    if (op == ColdOp::VectorUniformSet || op == ColdOp::VectorGaussianSet) {
      float* po = m.vown(o);
#pragma unroll 1
      for (int p = 0; p < kVChunks; ++p) {
        Chunk<kVC> x;
#pragma unroll
        for (int k = 0; k < kVC; ++k)
          x.v[k] = random_value(rc, key, static_cast<uint32_t>(m.rank() * kVE + p * kVC + k), gauss, d0, d1);
        if (act) store_chunk<kVC>(po + p * 32 * kVC, x);
      }
    } else {
      float* po = m.mown(o);
#pragma unroll 1
      for (int p = 0; p < kMChunks; ++p) {
        Chunk<kMC> x;
#pragma unroll
        for (int k = 0; k < kMC; ++k)
          x.v[k] = random_value(rc, key, static_cast<uint32_t>(m.rank() * kME + p * kMC + k), gauss, d0, d1);
        if (act) store_chunk<kMC>(po + p * 32 * kMC, x);
      }
    }
  }
};

}  // namespace amlz::cuda
