// SPDX-License-Identifier: Apache-2.0
// The lane-local ops: each lane reads and writes only the elements and rows it owns (elementwise maps, matrix
// reductions, row-wise ops, broadcasts into own rows, single-element sets). No __syncwarp; only the matrix
// reductions shuffle, through tile_sum. Private to cuda/.
#pragma once
#include <cuda_runtime.h>

#include "warp/memory_layout.cuh"

namespace amlz::cuda {

template <int F, int L>
struct LaneOps {
  using G = Geometry<F, L>;
  using Mem = WarpMemory<F, L>;
  static constexpr int kVE = G::kVE, kVC = G::kVC, kMC = G::kMC, kRC = G::kRC;
  static constexpr int kVChunks = G::kVChunks, kMChunks = G::kMChunks, kRowChunks = G::kRowChunks;
  static constexpr int kVUnroll = G::kVUnroll, kMUnroll = G::kMUnroll;

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
  __device__ __forceinline__ static void vmap1(const Mem& m, int o, int a, bool act, Fn fn) {
    map1<kVC, kVChunks, kVUnroll>(m.vown(o), m.vown(a), act, fn);
  }
  template <class Fn>
  __device__ __forceinline__ static void vmap2(const Mem& m, int o, int a, int b, bool act, Fn fn) {
    map2<kVC, kVChunks, kVUnroll>(m.vown(o), m.vown(a), m.vown(b), act, fn);
  }
  template <class Fn>
  __device__ __forceinline__ static void mmap1(const Mem& m, int o, int a, bool act, Fn fn) {
    map1<kMC, kMChunks, kMUnroll>(m.mown(o), m.mown(a), act, fn);
  }
  template <class Fn>
  __device__ __forceinline__ static void mmap2(const Mem& m, int o, int a, int b, bool act, Fn fn) {
    map2<kMC, kMChunks, kMUnroll>(m.mown(o), m.mown(a), m.mown(b), act, fn);
  }
  __device__ __forceinline__ static void vset(const Mem& m, int o, bool act, float value) {
    float* po = m.vown(o);
    Chunk<kVC> x;
#pragma unroll
    for (int k = 0; k < kVC; ++k) x.v[k] = value;
#pragma unroll kVUnroll
    for (int p = 0; p < kVChunks; ++p)
      if (act) store_chunk<kVC>(po + p * 32 * kVC, x);
  }

  // ---- matrix reductions, in an order that does not depend on L ------------------------------------------------
  // Each row is folded in column order (acc = fold(acc, x) from 0), then the F row results are added as a balanced
  // binary tree in row order: ((r0 + r1) + (r2 + r3)) + ... A lane owns an aligned power-of-two block of rows, so
  // it builds the subtree of its block (a binary counter over its rows: at most log2(F/L) partial sums live) and
  // tile_sum's butterfly builds the rest of the same tree. Every lane mapping therefore gets the same bits, and the
  // work per lane stays F*F/L elements (summing all F*F in index order in every lane would make L = 32 no faster
  // than L = 1).
  template <class Fold>
  __device__ __forceinline__ static float matrix_reduce(const Mem& m, int a, Fold fold) {
    constexpr int kLevels = kVE >= 32 ? 5 : kVE >= 16 ? 4 : kVE >= 8 ? 3 : kVE >= 4 ? 2 : kVE >= 2 ? 1 : 0;
    static_assert((1 << kLevels) == kVE, "a lane owns a power-of-two number of rows");
    const float* pa = m.mown(a);
    float waiting[kLevels + 1] = {};  // waiting[l]: a finished left subtree of 2^l rows
    float block = 0.0f;               // the lane's whole block, once its last row is in
#pragma unroll 1
    for (int q = 0; q < kVE; ++q) {
      float x = 0.0f;
#pragma unroll
      for (int jc = 0; jc < kRowChunks; ++jc) {
        const Chunk<kRC> c = load_chunk<kRC>(pa + Mem::row_chunk(q, jc));
#pragma unroll
        for (int t = 0; t < kRC; ++t) x = fold(x, c.v[t]);
      }
      bool carry = true;  // x is a complete subtree still to be paired
#pragma unroll
      for (int l = 0; l < kLevels; ++l) {
        if (carry) {
          if ((q >> l) & 1) {
            x = __fadd_rn(waiting[l], x);
          } else {
            waiting[l] = x;
            carry = false;
          }
        }
      }
      if (carry) block = x;  // q == kVE - 1
    }
    return tile_sum<L>(block);
  }

  // ---- row-wise ops: lane-local, a lane owns whole rows; outputs are gathered kVC rows at a time ----------------
  // Each own row is folded chunk by chunk, acc = fold(acc, chunk, jc) from 0 in column order, then finish(acc):
  // only one chunk of the row is live at a time, which keeps F = 16, 32 within the register budget.
  template <class Fold, class Finish>
  __device__ __forceinline__ static void per_row(const Mem& m, int o, int a, bool act, Fold fold, Finish finish) {
    const float* pa = m.mown(a);
    float* po = m.vown(o);
#pragma unroll 1
    for (int pc = 0; pc < kVChunks; ++pc) {
      Chunk<kVC> out;
#pragma unroll
      for (int k = 0; k < kVC; ++k) {
        const int q = pc * kVC + k;
        float acc = 0.0f;
#pragma unroll
        for (int jc = 0; jc < kRowChunks; ++jc) acc = fold(acc, load_chunk<kRC>(pa + Mem::row_chunk(q, jc)), jc);
        out.v[k] = finish(acc);
      }
      if (act) store_chunk<kVC>(po + pc * 32 * kVC, out);
    }
  }

  // M_o(i,j) = v_a(i): lane-local (a lane owns element i and row i).
  __device__ __forceinline__ static void column_broadcast(const Mem& m, int o, int a, bool act) {
    const float* pa = m.vown(a);
    float* po = m.mown(o);
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
          if (act) store_chunk<kRC>(po + Mem::row_chunk(pc * kVC + k, jc), c);
      }
    }
  }

  // ---- single elements: only the owner writes ---------------------------------------------------------------------
  __device__ __forceinline__ static void set_vector_element(const Mem& m, int o, int e, float value, bool act) {
    if (act && e / kVE == m.rank()) m.vown(o)[G::vslot(e % kVE)] = value;
  }
  __device__ __forceinline__ static void set_matrix_element(const Mem& m, int o, int i, int j, float value, bool act) {
    if (act && i / kVE == m.rank()) m.mown(o)[G::mslot((i % kVE) * F + j)] = value;
  }
};

}  // namespace amlz::cuda
