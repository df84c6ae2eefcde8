// SPDX-License-Identifier: Apache-2.0
// The lane-local ops: each lane reads and writes only the elements and rows it owns (elementwise maps, reductions,
// row-wise ops, broadcasts into own rows, single-element sets). No __syncwarp; only reductions shuffle, through
// tile_sum. Private to cuda/.
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

  // ---- reductions: the lane's own elements in index order, then a butterfly over the tile -------------------------
  template <class Fn>
  __device__ __forceinline__ static float vreduce(const Mem& m, int a, Fn fn) {
    const float* pa = m.vown(a);
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
  __device__ __forceinline__ static float mreduce(const Mem& m, int a, Fn fn) {
    const float* pa = m.mown(a);
    float acc = 0.0f;
#pragma unroll kMUnroll
    for (int p = 0; p < kMChunks; ++p) {
      const Chunk<kMC> x = load_chunk<kMC>(pa + p * 32 * kMC);
#pragma unroll
      for (int k = 0; k < kMC; ++k) acc = fn(acc, x.v[k]);
    }
    return tile_sum<L>(acc);
  }
  __device__ __forceinline__ static float dot(const Mem& m, int a, int b) {
    const float* pa = m.vown(a);
    const float* pb = m.vown(b);
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
