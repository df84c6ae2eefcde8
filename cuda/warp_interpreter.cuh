// SPDX-License-Identifier: Apache-2.0
// The per-warp bytecode interpreter (the CUB "agent" level): one warp runs ONE program on 32/L tasks at once, L
// lanes per task (a "tile"). All 32 lanes walk the same instruction stream, so the opcode switch never diverges;
// only per-lane predicates (which tile is still running) differ. Written independently of the CPU reference
// (src/eval/cpu_interpreter.h): only the per-element edge rules (op_semantics.h), the random draws (core/philox.h) and the
// bytecode are shared, so agreement between the two is evidence. Private to cuda/.
//
// Memory layout (per warp, in shared memory or, for programs too large for it, global memory):
//   scalars   [n_scalars][32]            every lane keeps its own copy of its task's scalars. The L lanes of a
//                                        tile compute identical values, so scalar ops need no cross-lane traffic
//                                        and no __syncwarp; the copies cost 128 B per scalar per warp.
//   vectors   [n_vectors][F/L/C][32][C]  lane r of a tile owns elements [r*F/L, (r+1)*F/L) of each vector in
//                                        chunks of C = min(4, F/L) floats, so elementwise ops move 4/8/16 bytes
//                                        per lane per load and a warp-wide access touches every bank once.
//   matrices  [n_matrices(+1)][F*F/L/C][32][C]  lane r owns ROWS [r*F/L, (r+1)*F/L): row-wise ops (row norm,
//                                        mean, st.dev.) and the output side of M*v are lane-local. The optional
//                                        extra matrix is scratch for matmul when the output aliases the right
//                                        operand.
// Ops that read elements owned by other lanes (M*v, outer, row broadcast, column norm, transpose, matmul) are the
// only ones with __syncwarp: one before (the owners' earlier writes become visible) and one after (the owners may
// overwrite what was read). With L = 1 they compile away.
//
// Float differences from the CPU reference, all expected and covered by the parity tolerances:
//  - nvcc contracts a*b+c into FMA (no fast-math, but -fmad=true): dot products, norms, M*v, matmul. The x86 CPU
//    build does not contract (ISO C++ mode). St.dev. uses explicit _rn intrinsics, so with L = 1 it is bit-identical
//    to the CPU's sequential loop (it decides NaN vs 0 for constant inputs, which changes the status).
//  - Reductions sum each lane's elements in index order, then combine the L lanes by a fixed butterfly; Eigen's
//    vectorised sums use another order. Deterministic run to run.
//  - sinf/cosf/tanf/asinf/acosf/atanf/expf/logf are CUDA's full-precision versions (<= 2 ulp, not intrinsics);
//    glibc's are within 1 ulp. Division, reciprocal and sqrtf are IEEE-rounded (-prec-div/-prec-sqrt defaults).
//  - Column norms take an IEEE sqrtf of the sum of squares (spec §3). The CPU reference's Eigen colwise().norm()
//    uses Eigen's fast packet sqrt for F >= 4 (+inf -> NaN, denormal results -> 0, +-1 ulp); that is a CPU bug,
//    reported, not copied here.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "amlz/core/bytecode.h"
#include "amlz/core/features.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"

namespace amlz::cuda {

inline constexpr unsigned kFullMask = 0xffffffffu;

template <int F, int L>
struct Geometry {
  static_assert(is_supported_features(F), "F must be one of kFeatureSizes (core/features.h)");
  static_assert(L >= 1 && L <= F && (L & (L - 1)) == 0, "lanes per task: a power of two, at most F");
  static constexpr int kTasks = 32 / L;          // tiles (tasks) per warp
  static constexpr int kVE = F / L;              // vector elements per lane = matrix rows per lane
  static constexpr int kME = F * F / L;          // matrix elements per lane
  static constexpr int kVC = kVE < 4 ? kVE : 4;  // chunk width of vector storage
  static constexpr int kMC = kME < 4 ? kME : 4;  // chunk width of matrix storage
  static constexpr int kRC = F < kMC ? F : kMC;  // widest load inside one matrix row
  static constexpr int kVectorWords = 32 * kVE;
  static constexpr int kMatrixWords = 32 * kME;
  // Offset of a lane's k-th own element from its lane pointer (lane * C).
  static constexpr AMLZ_HD int vslot(int k) { return (k / kVC) * 32 * kVC + k % kVC; }
  static constexpr AMLZ_HD int mslot(int k) { return (k / kMC) * 32 * kMC + k % kMC; }
};

template <int C>
struct Chunk {
  float v[C];
};

template <int C>
__device__ __forceinline__ Chunk<C> load_chunk(const float* p) {
  Chunk<C> c;
  if constexpr (C == 4) {
    const float4 t = *reinterpret_cast<const float4*>(p);
    c.v[0] = t.x;
    c.v[1] = t.y;
    c.v[2] = t.z;
    c.v[3] = t.w;
  } else if constexpr (C == 2) {
    const float2 t = *reinterpret_cast<const float2*>(p);
    c.v[0] = t.x;
    c.v[1] = t.y;
  } else {
    static_assert(C == 1, "chunks are 1, 2 or 4 floats");
    c.v[0] = *p;
  }
  return c;
}

template <int C>
__device__ __forceinline__ void store_chunk(float* p, const Chunk<C>& c) {
  if constexpr (C == 4) {
    *reinterpret_cast<float4*>(p) = make_float4(c.v[0], c.v[1], c.v[2], c.v[3]);
  } else if constexpr (C == 2) {
    *reinterpret_cast<float2*>(p) = make_float2(c.v[0], c.v[1]);
  } else {
    static_assert(C == 1, "chunks are 1, 2 or 4 floats");
    *p = c.v[0];
  }
}

// Read-only task data (features), through the non-coherent cache.
template <int C>
__device__ __forceinline__ Chunk<C> load_chunk_ldg(const float* p) {
  Chunk<C> c;
  if constexpr (C == 4) {
    const float4 t = __ldg(reinterpret_cast<const float4*>(p));
    c.v[0] = t.x;
    c.v[1] = t.y;
    c.v[2] = t.z;
    c.v[3] = t.w;
  } else if constexpr (C == 2) {
    const float2 t = __ldg(reinterpret_cast<const float2*>(p));
    c.v[0] = t.x;
    c.v[1] = t.y;
  } else {
    c.v[0] = __ldg(p);
  }
  return c;
}

// Sum over the L lanes of a tile. A butterfly: every lane ends with the same bits, because each step adds the same
// two values (IEEE addition is commutative) and the tree has a fixed shape.
template <int L>
__device__ __forceinline__ float tile_sum(float x) {
#pragma unroll
  for (int m = 1; m < L; m <<= 1) x += __shfl_xor_sync(kFullMask, x, m);
  return x;
}

template <int L>
__device__ __forceinline__ void tile_sync() {
  if constexpr (L > 1) __syncwarp(kFullMask);
}

// ---- Cold paths, compiled once per translation unit and called, not inlined ------------------------------------
// They hold the heaviest code (Payne-Hanek trig reduction, double-precision log/cos of Box-Muller, Philox) and would
// otherwise set the register allocation and instruction-cache footprint of the whole interpreter.

static __device__ __noinline__ float scalar_transcendental(uint32_t op, float x) {
  switch (static_cast<Op>(op)) {
    case Op::ScalarSin: return sinf(x);
    case Op::ScalarCos: return cosf(x);
    case Op::ScalarTan: return tanf(x);
    case Op::ScalarArcSin: return asinf(x);
    case Op::ScalarArcCos: return acosf(x);
    case Op::ScalarArcTan: return atanf(x);
    case Op::ScalarExp: return expf(x);
    case Op::ScalarLog: return logf(x);
    default: return __int_as_float(0x7fffffff);  // unreachable: exec() only sends the ops above
  }
}

// One element of a random op (core/philox.h), exactly as the CPU draws it: the double result rounded to float.
static __device__ __noinline__ float random_value(RandomStream rc, uint32_t key, uint32_t element, bool is_gaussian, float d0,
                                                  float d1) {
  const Philox4 r = random_op_draw(rc, key, element);
  const double x = is_gaussian ? gaussian(static_cast<double>(d0), static_cast<double>(d1), r.v[0], r.v[1])
                               : uniform_open(static_cast<double>(d0), static_cast<double>(d1), r.v[0]);
  return static_cast<float>(x);
}

template <int F, int L>
class WarpInterpreter {
  using G = Geometry<F, L>;
  static constexpr int kVE = G::kVE, kME = G::kME, kVC = G::kVC, kMC = G::kMC, kRC = G::kRC;
  static constexpr int kVW = G::kVectorWords, kMW = G::kMatrixWords;
  static constexpr int kVChunks = kVE / kVC, kMChunks = kME / kMC;
  // Loops over a lane's chunks are unrolled by at most 4: enough independent 16-byte loads in flight to cover
  // shared-memory latency, few enough that registers and compile time stay bounded at F = 16, 32.
  static constexpr int kVUnroll = kVChunks < 4 ? kVChunks : 4;
  static constexpr int kMUnroll = kMChunks < 4 ? kMChunks : 4;
  static constexpr int kRowChunks = F / kRC;  // loads per matrix row

 public:
  // `mem`: this warp's program memory, laid out for the program's address counts (the scratch matrix, when
  // reserved, is matrix number n_matrices).
  __device__ WarpInterpreter(float* mem, uint32_t n_scalars, uint32_t n_vectors, uint32_t n_matrices) {
    lane_ = static_cast<int>(threadIdx.x & 31u);
    r_ = lane_ % L;
    tb_ = lane_ - r_;
    s_ = mem + lane_;
    vbase_ = mem + 32 * n_scalars;
    mbase_ = vbase_ + n_vectors * kVW;
    scratch_ = mbase_ + n_matrices * kMW + lane_ * kMC;
  }

  // This lane's copy of scalar i.
  __device__ __forceinline__ float& s(int i) const { return s_[i * 32]; }

  // v0 <- this lane's slice of the features.
  __device__ __forceinline__ void set_features(const Chunk<kVE>& x, bool act) const {
    float* v0 = vown(0);
#pragma unroll
    for (int p = 0; p < kVChunks; ++p) {
      Chunk<kVC> c;
#pragma unroll
      for (int k = 0; k < kVC; ++k) c.v[k] = x.v[p * kVC + k];
      if (act) store_chunk<kVC>(v0 + p * 32 * kVC, c);
    }
  }

  // Runs n instructions. The next instruction's 16 bytes are fetched while the current one executes, so the
  // warp-uniform load's latency hides behind the op. `act` masks every store of tiles that must not run (tasks
  // already stopped, validating while others train, or no task at all); they still take part in shuffles.
  __device__ __forceinline__ void run(const uint4* code, int n, bool act, const RandomStream& rc) const {
    if (n <= 0) return;
    uint4 cur = __ldg(code);
    for (int k = 0; k < n; ++k) {
      const uint4 next = k + 1 < n ? __ldg(code + k + 1) : cur;
      exec(cur, act, rc);
      cur = next;
    }
  }

 private:
  // ---- addressing ---------------------------------------------------------------------------------------------
  __device__ __forceinline__ float* vown(int i) const { return vbase_ + i * kVW + lane_ * kVC; }
  __device__ __forceinline__ float* mown(int i) const { return mbase_ + i * kMW + lane_ * kMC; }
  // K consecutive elements j..j+K-1 (j % K == 0) of vector i, whichever lanes of the tile own them.
  template <int K>
  __device__ __forceinline__ Chunk<K> load_vtile(int i, int j) const {
    constexpr int W = K < kVC ? K : kVC;
    Chunk<K> out;
#pragma unroll
    for (int p = 0; p < K / W; ++p) {
      const int e = j + p * W;
      const Chunk<W> c = load_chunk<W>(vbase_ + i * kVW + (tb_ + e / kVE) * kVC + G::vslot(e % kVE));
#pragma unroll
      for (int k = 0; k < W; ++k) out.v[p * W + k] = c.v[k];
    }
    return out;
  }
  // Element (row, j) of matrix i, whichever lane of the tile owns the row.
  __device__ __forceinline__ float* mtile(int i, int row, int j) const {
    return mbase_ + i * kMW + (tb_ + row / kVE) * kMC + G::mslot((row % kVE) * F + j);
  }
  // Chunk jc (kRC columns) of own row q, relative to an own matrix pointer.
  __device__ __forceinline__ static int row_chunk(int q, int jc) { return G::mslot(q * F + jc * kRC); }

  // ---- elementwise loops over a lane's own elements (in place is safe: element k depends on element k) --------
  // One loop for vectors and matrices: kC-float chunks, kChunks of them per lane, unrolled kUnroll at a time.
  template <int kC, int kChunks, int kUnroll, class Fn>
  __device__ __forceinline__ static void map1(float* po, const float* pa, bool act, Fn fn) {
#pragma unroll kUnroll
    for (int p = 0; p < kChunks; ++p) {
      Chunk<kC> x = load_chunk<kC>(pa + p * 32 * kC);
#pragma unroll
      for (int k = 0; k < kC; ++k) x.v[k] = fn(x.v[k]);
      if (act) store_chunk<kC>(po + p * 32 * kC, x);
    }
  }
  template <int kC, int kChunks, int kUnroll, class Fn>
  __device__ __forceinline__ static void map2(float* po, const float* pa, const float* pb, bool act, Fn fn) {
#pragma unroll kUnroll
    for (int p = 0; p < kChunks; ++p) {
      Chunk<kC> x = load_chunk<kC>(pa + p * 32 * kC);
      const Chunk<kC> y = load_chunk<kC>(pb + p * 32 * kC);
#pragma unroll
      for (int k = 0; k < kC; ++k) x.v[k] = fn(x.v[k], y.v[k]);
      if (act) store_chunk<kC>(po + p * 32 * kC, x);
    }
  }
  template <class Fn>
  __device__ __forceinline__ void vmap1(int o, int a, bool act, Fn fn) const {
    map1<kVC, kVChunks, kVUnroll>(vown(o), vown(a), act, fn);
  }
  template <class Fn>
  __device__ __forceinline__ void vmap2(int o, int a, int b, bool act, Fn fn) const {
    map2<kVC, kVChunks, kVUnroll>(vown(o), vown(a), vown(b), act, fn);
  }
  template <class Fn>
  __device__ __forceinline__ void mmap1(int o, int a, bool act, Fn fn) const {
    map1<kMC, kMChunks, kMUnroll>(mown(o), mown(a), act, fn);
  }
  template <class Fn>
  __device__ __forceinline__ void mmap2(int o, int a, int b, bool act, Fn fn) const {
    map2<kMC, kMChunks, kMUnroll>(mown(o), mown(a), mown(b), act, fn);
  }
  __device__ __forceinline__ void vset(int o, bool act, float value) const {
    float* po = vown(o);
    Chunk<kVC> x;
#pragma unroll
    for (int k = 0; k < kVC; ++k) x.v[k] = value;
#pragma unroll kVUnroll
    for (int p = 0; p < kVChunks; ++p)
      if (act) store_chunk<kVC>(po + p * 32 * kVC, x);
  }

  // ---- reductions: the lane's own elements in index order, then a butterfly over the tile -------------------------
  template <class Fn>
  __device__ __forceinline__ float vreduce(int a, Fn fn) const {
    const float* pa = vown(a);
    float acc = 0.0f;
#pragma unroll kVUnroll
    for (int p = 0; p < kVChunks; ++p) {
      const Chunk<kVC> x = load_chunk<kVC>(pa + p * 32 * kVC);
#pragma unroll
      for (int k = 0; k < kVC; ++k) acc = fn(acc, x.v[k]);
    }
    return tile_sum<L>(acc);
  }
  template <class Fn>
  __device__ __forceinline__ float mreduce(int a, Fn fn) const {
    const float* pa = mown(a);
    float acc = 0.0f;
#pragma unroll kMUnroll
    for (int p = 0; p < kMChunks; ++p) {
      const Chunk<kMC> x = load_chunk<kMC>(pa + p * 32 * kMC);
#pragma unroll
      for (int k = 0; k < kMC; ++k) acc = fn(acc, x.v[k]);
    }
    return tile_sum<L>(acc);
  }
  __device__ __forceinline__ float dot(int a, int b) const {
    const float* pa = vown(a);
    const float* pb = vown(b);
    float acc = 0.0f;
#pragma unroll kVUnroll
    for (int p = 0; p < kVChunks; ++p) {
      const Chunk<kVC> x = load_chunk<kVC>(pa + p * 32 * kVC);
      const Chunk<kVC> y = load_chunk<kVC>(pb + p * 32 * kVC);
#pragma unroll
      for (int k = 0; k < kVC; ++k) acc = fmaf(x.v[k], y.v[k], acc);
    }
    return tile_sum<L>(acc);
  }

  // ---- row-wise ops: lane-local, a lane owns whole rows; outputs are gathered kVC rows at a time ----------------
  // Each own row is folded chunk by chunk, acc = fold(acc, chunk, jc) from 0 in column order, then finish(acc):
  // only one chunk of the row is live at a time, which keeps F = 16, 32 within the register budget.
  template <class Fold, class Finish>
  __device__ __forceinline__ void per_row(int o, int a, bool act, Fold fold, Finish finish) const {
    const float* pa = mown(a);
    float* po = vown(o);
#pragma unroll 1
    for (int pc = 0; pc < kVChunks; ++pc) {
      Chunk<kVC> out;
#pragma unroll
      for (int k = 0; k < kVC; ++k) {
        const int q = pc * kVC + k;
        float acc = 0.0f;
#pragma unroll
        for (int jc = 0; jc < kRowChunks; ++jc) acc = fold(acc, load_chunk<kRC>(pa + row_chunk(q, jc)), jc);
        out.v[k] = finish(acc);
      }
      if (act) store_chunk<kVC>(po + pc * 32 * kVC, out);
    }
  }

  // ---- ops that read other lanes' elements ------------------------------------------------------------------------
  // Column blocks for M*v and outer products: 8 elements of the vector in registers at a time (not all F), so
  // F = 32 fits the register budget. Per row the sum still runs over j = 0..F-1 in order.
  static constexpr int kXB = F < 8 ? F : 8;

  // v_o = M_a * v_b. Outputs stay in registers until every lane has read v_b, so o == b is safe.
  __device__ __forceinline__ void matvec(int o, int a, int b, bool act) const {
    tile_sync<L>();
    const float* pa = mown(a);
    float acc[kVE];
#pragma unroll
    for (int q = 0; q < kVE; ++q) acc[q] = 0.0f;
#pragma unroll 1
    for (int jb = 0; jb < F / kXB; ++jb) {
      float x[kXB];
#pragma unroll
      for (int jc = 0; jc < kXB / kRC; ++jc) {
        const Chunk<kRC> c = load_vtile<kRC>(b, jb * kXB + jc * kRC);
#pragma unroll
        for (int t = 0; t < kRC; ++t) x[jc * kRC + t] = c.v[t];
      }
#pragma unroll
      for (int q = 0; q < kVE; ++q) {
#pragma unroll
        for (int jc = 0; jc < kXB / kRC; ++jc) {
          const Chunk<kRC> m = load_chunk<kRC>(pa + G::mslot(q * F + jb * kXB + jc * kRC));
#pragma unroll
          for (int t = 0; t < kRC; ++t) acc[q] = fmaf(m.v[t], x[jc * kRC + t], acc[q]);
        }
      }
    }
    tile_sync<L>();
    float* po = vown(o);
#pragma unroll
    for (int pc = 0; pc < kVChunks; ++pc) {
      Chunk<kVC> c;
#pragma unroll
      for (int k = 0; k < kVC; ++k) c.v[k] = acc[pc * kVC + k];
      if (act) store_chunk<kVC>(po + pc * 32 * kVC, c);
    }
    tile_sync<L>();
  }

  // M_o(i,j) = a(i) * b(j), or = b(j) for the row broadcast (kWithA = false).
  template <bool kWithA>
  __device__ __forceinline__ void outer(int o, int a, int b, bool act) const {
    tile_sync<L>();
    float ai[kVE];
    if constexpr (kWithA) {
      const float* pa = vown(a);
#pragma unroll
      for (int pc = 0; pc < kVChunks; ++pc) {
        const Chunk<kVC> c = load_chunk<kVC>(pa + pc * 32 * kVC);
#pragma unroll
        for (int k = 0; k < kVC; ++k) ai[pc * kVC + k] = c.v[k];
      }
    }
    float* po = mown(o);
#pragma unroll 1
    for (int jb = 0; jb < F / kXB; ++jb) {
      float y[kXB];
#pragma unroll
      for (int jc = 0; jc < kXB / kRC; ++jc) {
        const Chunk<kRC> c = load_vtile<kRC>(b, jb * kXB + jc * kRC);
#pragma unroll
        for (int t = 0; t < kRC; ++t) y[jc * kRC + t] = c.v[t];
      }
#pragma unroll
      for (int q = 0; q < kVE; ++q) {
#pragma unroll
        for (int jc = 0; jc < kXB / kRC; ++jc) {
          Chunk<kRC> c;
#pragma unroll
          for (int t = 0; t < kRC; ++t) {
            c.v[t] = y[jc * kRC + t];
            if constexpr (kWithA) c.v[t] = ai[q] * c.v[t];
          }
          if (act) store_chunk<kRC>(po + G::mslot(q * F + jb * kXB + jc * kRC), c);
        }
      }
    }
    tile_sync<L>();
  }

  // M_o(i,j) = v_a(i): lane-local (a lane owns element i and row i).
  __device__ __forceinline__ void column_broadcast(int o, int a, bool act) const {
    const float* pa = vown(a);
    float* po = mown(o);
#pragma unroll 1
    for (int pc = 0; pc < kVChunks; ++pc) {
      const Chunk<kVC> ac = load_chunk<kVC>(pa + pc * 32 * kVC);
#pragma unroll
      for (int k = 0; k < kVC; ++k) {
        Chunk<kRC> c;
#pragma unroll
        for (int t = 0; t < kRC; ++t) c.v[t] = ac.v[k];
#pragma unroll
        for (int jc = 0; jc < kRowChunks; ++jc)
          if (act) store_chunk<kRC>(po + row_chunk(pc * kVC + k, jc), c);
      }
    }
  }

  // v_o(j) = || column j of M_a ||, for the lane's own j: reads the column across the tile's rows.
  __device__ __forceinline__ void column_norm(int o, int a, bool act) const {
    tile_sync<L>();
    float* po = vown(o);
#pragma unroll 1
    for (int pc = 0; pc < kVChunks; ++pc) {
      Chunk<kVC> acc;
#pragma unroll
      for (int k = 0; k < kVC; ++k) acc.v[k] = 0.0f;
#pragma unroll 4
      for (int i = 0; i < F; ++i) {
        const Chunk<kVC> x = load_chunk<kVC>(mtile(a, i, r_ * kVE + pc * kVC));
#pragma unroll
        for (int k = 0; k < kVC; ++k) acc.v[k] += x.v[k] * x.v[k];
      }
#pragma unroll
      for (int k = 0; k < kVC; ++k) acc.v[k] = sqrtf(acc.v[k]);
      if (act) store_chunk<kVC>(po + pc * 32 * kVC, acc);
    }
    tile_sync<L>();
  }

  // M_o = M_a^T. Each off-diagonal pair (i,j), i<j, is swapped by the owner of row i alone, so no element is
  // touched by two lanes and the same code is right in place (o == a).
  __device__ __forceinline__ void transpose(int o, int a, bool act) const {
    tile_sync<L>();
#pragma unroll 1
    for (int q = 0; q < kVE; ++q) {
      const int i = r_ * kVE + q;
#pragma unroll 1
      for (int j = i; j < F; ++j) {
        const float x = *mtile(a, i, j), y = *mtile(a, j, i);
        if (act) {
          *mtile(o, i, j) = y;
          *mtile(o, j, i) = x;
        }
      }
    }
    tile_sync<L>();
  }

  // M_o = M_a * M_b. Row i of the output needs row i of A (own) and all of B. When o == b the result goes to the
  // scratch matrix first (B must stay whole until every lane is done); when only o == a, a row can be written as
  // soon as it is complete, because row i of A is read by no one else and no later row.
  __device__ __forceinline__ void matmul(int o, int a, int b, bool act) const {
    tile_sync<L>();
    const bool to_scratch = o == b;
    float* dst = to_scratch ? scratch_ : mown(o);
    const float* pa = mown(a);
#pragma unroll 1
    for (int q = 0; q < kVE; ++q) {
      float acc[F];
#pragma unroll
      for (int j = 0; j < F; ++j) acc[j] = 0.0f;
#pragma unroll 1
      for (int k = 0; k < F; ++k) {
        const float aik = pa[G::mslot(q * F + k)];
#pragma unroll
        for (int jc = 0; jc < kRowChunks; ++jc) {
          const Chunk<kRC> bk = load_chunk<kRC>(mtile(b, k, jc * kRC));
#pragma unroll
          for (int c = 0; c < kRC; ++c) acc[jc * kRC + c] = fmaf(aik, bk.v[c], acc[jc * kRC + c]);
        }
      }
#pragma unroll
      for (int jc = 0; jc < kRowChunks; ++jc) {
        Chunk<kRC> c;
#pragma unroll
        for (int k = 0; k < kRC; ++k) c.v[k] = acc[jc * kRC + k];
        if (act) store_chunk<kRC>(dst + row_chunk(q, jc), c);
      }
    }
    if (to_scratch) {
      tile_sync<L>();  // every lane has finished reading B
      float* po = mown(o);
#pragma unroll kMUnroll
      for (int p = 0; p < kMChunks; ++p) {
        const Chunk<kMC> x = load_chunk<kMC>(scratch_ + p * 32 * kMC);
        if (act) store_chunk<kMC>(po + p * 32 * kMC, x);
      }
    }
    tile_sync<L>();
  }

  // Population st.dev. as the CPU reference: sqrt(E[x^2] - E[x]^2), no clamp and no FMA contraction, summing in
  // index order (bit-identical to the CPU's loop when one lane holds all elements).
  __device__ __forceinline__ static float stdev_from(float sum, float sq, float count) {
    const float mean = __fdiv_rn(sum, count);
    return sqrtf(__fsub_rn(__fdiv_rn(sq, count), __fmul_rn(mean, mean)));
  }
  template <int P, int C>
  __device__ __forceinline__ static void sum_and_squares(const float* p, float& sum, float& sq) {
    constexpr int kUnroll = P / C < 4 ? P / C : 4;
#pragma unroll kUnroll
    for (int c = 0; c < P / C; ++c) {
      const Chunk<C> x = load_chunk<C>(p + c * 32 * C);
#pragma unroll
      for (int k = 0; k < C; ++k) {
        sum = __fadd_rn(sum, x.v[k]);
        sq = __fadd_rn(sq, __fmul_rn(x.v[k], x.v[k]));
      }
    }
  }
  __device__ __forceinline__ void stdev(Op op, int o, int a, bool act) const {
    float sum = 0.0f, sq = 0.0f;
    // The shuffles of tile_sum run in every lane, active or not: they are warp-wide collectives.
    if (op == Op::VectorStDev) {
      sum_and_squares<kVE, kVC>(vown(a), sum, sq);
      const float y = stdev_from(tile_sum<L>(sum), tile_sum<L>(sq), static_cast<float>(F));
      if (act) s(o) = y;
    } else if (op == Op::MatrixStDev) {
      sum_and_squares<kME, kMC>(mown(a), sum, sq);
      const float y = stdev_from(tile_sum<L>(sum), tile_sum<L>(sq), static_cast<float>(F * F));
      if (act) s(o) = y;
    } else {  // MatrixRowStDev: the row's sum and sum of squares, each in column order
      const float* pa = mown(a);
      float* po = vown(o);
#pragma unroll 1
      for (int pc = 0; pc < kVChunks; ++pc) {
        Chunk<kVC> out;
#pragma unroll
        for (int k = 0; k < kVC; ++k) {
          float rs = 0.0f, rq = 0.0f;
#pragma unroll
          for (int jc = 0; jc < kRowChunks; ++jc) {
            const Chunk<kRC> m = load_chunk<kRC>(pa + row_chunk(pc * kVC + k, jc));
#pragma unroll
            for (int t = 0; t < kRC; ++t) {
              rs = __fadd_rn(rs, m.v[t]);
              rq = __fadd_rn(rq, __fmul_rn(m.v[t], m.v[t]));
            }
          }
          out.v[k] = stdev_from(rs, rq, static_cast<float>(F));
        }
        if (act) store_chunk<kVC>(po + pc * 32 * kVC, out);
      }
    }
  }

  // Uniform/Gaussian fills: element e of a vector, row-major index i*F+j of a matrix, as the CPU keys them.
  __device__ __forceinline__ void random_fill(Op op, int o, bool act, const RandomStream& rc, uint32_t key, float d0,
                                              float d1) const {
    const bool gauss = op == Op::VectorGaussianSet || op == Op::MatrixGaussianSet;
    if (op == Op::VectorUniformSet || op == Op::VectorGaussianSet) {
      float* po = vown(o);
#pragma unroll 1
      for (int p = 0; p < kVChunks; ++p) {
        Chunk<kVC> x;
#pragma unroll
        for (int k = 0; k < kVC; ++k)
          x.v[k] = random_value(rc, key, static_cast<uint32_t>(r_ * kVE + p * kVC + k), gauss, d0, d1);
        if (act) store_chunk<kVC>(po + p * 32 * kVC, x);
      }
    } else {
      float* po = mown(o);
#pragma unroll 1
      for (int p = 0; p < kMChunks; ++p) {
        Chunk<kMC> x;
#pragma unroll
        for (int k = 0; k < kMC; ++k)
          x.v[k] = random_value(rc, key, static_cast<uint32_t>(r_ * kME + p * kMC + k), gauss, d0, d1);
        if (act) store_chunk<kMC>(po + p * 32 * kMC, x);
      }
    }
  }

  // Rare and register-hungry ops run out of line: the copy of the interpreter (a few pointers) travels by value.
  __device__ __noinline__ static void cold_op(const WarpInterpreter self, uint32_t op_code, int o, int a, int b,
                                              bool act, RandomStream rc, uint32_t key, float d0, float d1) {
    const Op op = static_cast<Op>(op_code);
    switch (op) {
      case Op::MatrixTranspose: self.transpose(o, a, act); break;
      case Op::MatrixMatrixProduct: self.matmul(o, a, b, act); break;
      case Op::MatrixColumnNorm: self.column_norm(o, a, act); break;
      case Op::VectorStDev:
      case Op::MatrixStDev:
      case Op::MatrixRowStDev: self.stdev(op, o, a, act); break;
      default: self.random_fill(op, o, act, rc, key, d0, d1); break;
    }
  }

  // ---- the dispatch ---------------------------------------------------------------------------------------------
  __device__ __forceinline__ void exec(const uint4 w, const bool act, const RandomStream& rc) const {
    const uint32_t op_code = w.x & 0xFFu;
    const int o = static_cast<int>((w.x >> 8) & 0xFFu);
    const int a = static_cast<int>((w.x >> 16) & 0xFFu);
    const int b = static_cast<int>(w.x >> 24);
    const float d0 = __uint_as_float(w.y), d1 = __uint_as_float(w.z), d2 = __uint_as_float(w.w);
    const uint32_t key = (w.x >> 16) & 0xFFFFu;  // random ops: in1 | in2 << 8 (bytecode.h random_key)
    switch (static_cast<Op>(op_code)) {
      case Op::NoOp: break;
      // -- scalars
      case Op::ScalarSum: if (act) s(o) = s(a) + s(b); break;
      case Op::ScalarDiff: if (act) s(o) = s(a) - s(b); break;
      case Op::ScalarProduct: if (act) s(o) = s(a) * s(b); break;
      case Op::ScalarDivision: if (act) s(o) = s(a) / s(b); break;
      case Op::ScalarAbs: if (act) s(o) = fabsf(s(a)); break;
      case Op::ScalarReciprocal: if (act) s(o) = 1.0f / s(a); break;
      case Op::ScalarSin:
      case Op::ScalarCos:
      case Op::ScalarTan:
      case Op::ScalarArcSin:
      case Op::ScalarArcCos:
      case Op::ScalarArcTan:
      case Op::ScalarExp:
      case Op::ScalarLog: {
        const float y = scalar_transcendental(op_code, s(a));
        if (act) s(o) = y;
        break;
      }
      case Op::ScalarHeaviside: if (act) s(o) = heaviside_scalar(s(a)); break;
      case Op::ScalarMin: if (act) s(o) = min_sv(s(a), s(b)); break;
      case Op::ScalarMax: if (act) s(o) = max_sv(s(a), s(b)); break;
      case Op::ScalarConstSet: if (act) s(o) = d0; break;
      case Op::ScalarUniformSet:
      case Op::ScalarGaussianSet: {
        const float y = random_value(rc, key, 0, op_code == static_cast<uint32_t>(Op::ScalarGaussianSet), d0, d1);
        if (act) s(o) = y;
        break;
      }
      // -- vectors, elementwise
      case Op::VectorHeaviside: vmap1(o, a, act, [](float x) { return heaviside_elementwise(x); }); break;
      case Op::ScalarVectorProduct: {
        const float k = s(a);
        vmap1(o, b, act, [k](float x) { return k * x; });
        break;
      }
      case Op::ScalarBroadcast: vset(o, act, s(a)); break;
      case Op::VectorReciprocal: vmap1(o, a, act, [](float x) { return 1.0f / x; }); break;
      case Op::VectorAbs: vmap1(o, a, act, [](float x) { return fabsf(x); }); break;
      case Op::VectorSum: vmap2(o, a, b, act, [](float x, float y) { return x + y; }); break;
      case Op::VectorDiff: vmap2(o, a, b, act, [](float x, float y) { return x - y; }); break;
      case Op::VectorProduct: vmap2(o, a, b, act, [](float x, float y) { return x * y; }); break;
      case Op::VectorDivision: vmap2(o, a, b, act, [](float x, float y) { return x / y; }); break;
      case Op::VectorMin: vmap2(o, a, b, act, [](float x, float y) { return min_sv(x, y); }); break;
      case Op::VectorMax: vmap2(o, a, b, act, [](float x, float y) { return max_sv(x, y); }); break;
      // -- vector reductions
      case Op::VectorNorm: {
        const float y = sqrtf(vreduce(a, [](float acc, float x) { return acc + x * x; }));
        if (act) s(o) = y;
        break;
      }
      case Op::VectorInnerProduct: {
        const float y = dot(a, b);
        if (act) s(o) = y;
        break;
      }
      case Op::VectorMean: {
        const float y = vreduce(a, [](float acc, float x) { return acc + x; }) / static_cast<float>(F);
        if (act) s(o) = y;
        break;
      }
      // -- vectors <-> matrices
      case Op::VectorOuterProduct: outer<true>(o, a, b, act); break;
      case Op::VectorRowBroadcast: outer<false>(o, a, a, act); break;
      case Op::VectorColumnBroadcast: column_broadcast(o, a, act); break;
      case Op::MatrixVectorProduct: matvec(o, a, b, act); break;
      case Op::MatrixRowNorm:
        per_row(
            o, a, act,
            [](float acc, const Chunk<kRC>& m, int) {
#pragma unroll
              for (int t = 0; t < kRC; ++t) acc += m.v[t] * m.v[t];
              return acc;
            },
            [](float acc) { return sqrtf(acc); });
        break;
      case Op::MatrixRowMean:
        per_row(
            o, a, act,
            [](float acc, const Chunk<kRC>& m, int) {
#pragma unroll
              for (int t = 0; t < kRC; ++t) acc += m.v[t];
              return acc;
            },
            [](float acc) { return acc / static_cast<float>(F); });
        break;
      // -- matrices, elementwise
      case Op::MatrixHeaviside: mmap1(o, a, act, [](float x) { return heaviside_elementwise(x); }); break;
      case Op::ScalarMatrixProduct: {
        const float k = s(a);
        mmap1(o, b, act, [k](float x) { return k * x; });
        break;
      }
      case Op::MatrixReciprocal: mmap1(o, a, act, [](float x) { return 1.0f / x; }); break;
      case Op::MatrixAbs: mmap1(o, a, act, [](float x) { return fabsf(x); }); break;
      case Op::MatrixSum: mmap2(o, a, b, act, [](float x, float y) { return x + y; }); break;
      case Op::MatrixDiff: mmap2(o, a, b, act, [](float x, float y) { return x - y; }); break;
      case Op::MatrixProduct: mmap2(o, a, b, act, [](float x, float y) { return x * y; }); break;
      case Op::MatrixDivision: mmap2(o, a, b, act, [](float x, float y) { return x / y; }); break;
      case Op::MatrixMin: mmap2(o, a, b, act, [](float x, float y) { return min_m(x, y); }); break;
      case Op::MatrixMax: mmap2(o, a, b, act, [](float x, float y) { return max_m(x, y); }); break;
      // -- matrix reductions
      case Op::MatrixNorm: {
        const float y = sqrtf(mreduce(a, [](float acc, float x) { return acc + x * x; }));
        if (act) s(o) = y;
        break;
      }
      case Op::MatrixMean: {
        const float y = mreduce(a, [](float acc, float x) { return acc + x; }) / static_cast<float>(F * F);
        if (act) s(o) = y;
        break;
      }
      // -- constants: only the owner of the element writes
      case Op::VectorConstSet: {
        const int e = decode_index(d0, F);
        if (act && e / kVE == r_) vown(o)[G::vslot(e % kVE)] = d1;
        break;
      }
      case Op::MatrixConstSet: {
        const int i = decode_index(d0, F), j = decode_index(d1, F);
        if (act && i / kVE == r_) mown(o)[G::mslot((i % kVE) * F + j)] = d2;
        break;
      }
      // -- out of line
      case Op::MatrixTranspose:
      case Op::MatrixMatrixProduct:
      case Op::MatrixColumnNorm:
      case Op::VectorStDev:
      case Op::MatrixStDev:
      case Op::MatrixRowStDev:
      case Op::VectorUniformSet:
      case Op::MatrixUniformSet:
      case Op::VectorGaussianSet:
      case Op::MatrixGaussianSet: cold_op(*this, op_code, o, a, b, act, rc, key, d0, d1); break;
    }
  }

  int lane_ = 0, r_ = 0, tb_ = 0;
  float* s_ = nullptr;
  float* vbase_ = nullptr;
  float* mbase_ = nullptr;
  float* scratch_ = nullptr;
};

}  // namespace amlz::cuda
