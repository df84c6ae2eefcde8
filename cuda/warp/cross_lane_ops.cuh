// SPDX-License-Identifier: Apache-2.0
// The ops that read elements owned by other lanes of the tile (vector reductions, M*v, outer product, row broadcast,
// column norm, transpose, matmul). They are the only ones with __syncwarp: one before (the owners' earlier writes
// become visible) and one after (the owners may overwrite what was read). With L = 1 the syncs compile away.
// Private to cuda/.
#pragma once
#include <cuda_runtime.h>

#include "warp/memory_layout.cuh"

namespace amlz::cuda {

template <int F, int L>
struct CrossLaneOps {
  using G = Geometry<F, L>;
  using Mem = WarpMemory<F, L>;
  static constexpr int kVE = G::kVE, kVC = G::kVC, kMC = G::kMC, kRC = G::kRC;
  static constexpr int kVChunks = G::kVChunks, kMChunks = G::kMChunks, kRowChunks = G::kRowChunks;
  static constexpr int kMUnroll = G::kMUnroll;
  // Column blocks for M*v and outer products: 8 elements of the vector in registers at a time (not all F), so
  // F = 32 fits the register budget. Per row the sum still runs over j = 0..F-1 in order.
  static constexpr int kXB = F < 8 ? F : 8;

  // ---- vector reductions, in index order in every lane ----------------------------------------------------------
  // Every lane of the tile folds the whole vector, element 0 to F-1, from 0: the same order for every L (so the
  // lane mapping never changes a result) and the CPU reference's loop order. At most 32 dependent adds: no dearer
  // than a butterfly of shuffles at large L. kTC-float chunks; the L lanes of a tile read the same addresses
  // (broadcast).
  static constexpr int kTC = F < 4 ? F : 4;
  template <class Fn>
  __device__ __forceinline__ static float vector_fold(const Mem& m, int a, Fn fn) {
    tile_sync<L>();
    float acc = 0.0f;
#pragma unroll 4
    for (int j = 0; j < F; j += kTC) {
      const Chunk<kTC> c = m.template load_vtile<kTC>(a, j);
#pragma unroll
      for (int t = 0; t < kTC; ++t) acc = fn(acc, c.v[t]);
    }
    tile_sync<L>();
    return acc;
  }
  __device__ __forceinline__ static float dot(const Mem& m, int a, int b) {
    tile_sync<L>();
    float acc = 0.0f;
#pragma unroll 4
    for (int j = 0; j < F; j += kTC) {
      const Chunk<kTC> x = m.template load_vtile<kTC>(a, j);
      const Chunk<kTC> y = m.template load_vtile<kTC>(b, j);
#pragma unroll
      for (int t = 0; t < kTC; ++t) acc = fmaf(x.v[t], y.v[t], acc);
    }
    tile_sync<L>();
    return acc;
  }

  // v_o = M_a * v_b. Outputs stay in registers until every lane has read v_b, so o == b is safe.
  __device__ __forceinline__ static void matvec(const Mem& m, int o, int a, int b, bool act) {
    tile_sync<L>();
    const float* pa = m.mown(a);
    float acc[kVE];
#pragma unroll
    for (int q = 0; q < kVE; ++q) acc[q] = 0.0f;
#pragma unroll 1
    for (int jb = 0; jb < F / kXB; ++jb) {
      float x[kXB];
#pragma unroll
      for (int jc = 0; jc < kXB / kRC; ++jc) {
        const Chunk<kRC> c = m.template load_vtile<kRC>(b, jb * kXB + jc * kRC);
#pragma unroll
        for (int t = 0; t < kRC; ++t) x[jc * kRC + t] = c.v[t];
      }
#pragma unroll
      for (int q = 0; q < kVE; ++q) {
#pragma unroll
        for (int jc = 0; jc < kXB / kRC; ++jc) {
          const Chunk<kRC> mc = load_chunk<kRC>(pa + G::mslot(q * F + jb * kXB + jc * kRC));
#pragma unroll
          for (int t = 0; t < kRC; ++t) acc[q] = fmaf(mc.v[t], x[jc * kRC + t], acc[q]);
        }
      }
    }
    tile_sync<L>();
    float* po = m.vown(o);
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
  __device__ __forceinline__ static void outer(const Mem& m, int o, int a, int b, bool act) {
    tile_sync<L>();
    float ai[kVE];
    if constexpr (kWithA) {
      const float* pa = m.vown(a);
#pragma unroll
      for (int pc = 0; pc < kVChunks; ++pc) {
        const Chunk<kVC> c = load_chunk<kVC>(pa + pc * 32 * kVC);
#pragma unroll
        for (int k = 0; k < kVC; ++k) ai[pc * kVC + k] = c.v[k];
      }
    }
    float* po = m.mown(o);
#pragma unroll 1
    for (int jb = 0; jb < F / kXB; ++jb) {
      float y[kXB];
#pragma unroll
      for (int jc = 0; jc < kXB / kRC; ++jc) {
        const Chunk<kRC> c = m.template load_vtile<kRC>(b, jb * kXB + jc * kRC);
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

  // v_o(j) = || column j of M_a ||, for the lane's own j: reads the column across the tile's rows, summing the
  // squares in row order, then an IEEE sqrtf (spec §3).
  __device__ __forceinline__ static void column_norm(const Mem& m, int o, int a, bool act) {
    tile_sync<L>();
    float* po = m.vown(o);
#pragma unroll 1
    for (int pc = 0; pc < kVChunks; ++pc) {
      Chunk<kVC> acc;
#pragma unroll
      for (int k = 0; k < kVC; ++k) acc.v[k] = 0.0f;
#pragma unroll 4
      for (int i = 0; i < F; ++i) {
        const Chunk<kVC> x = load_chunk<kVC>(m.mtile(a, i, m.rank() * kVE + pc * kVC));
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
  __device__ __forceinline__ static void transpose(const Mem& m, int o, int a, bool act) {
    tile_sync<L>();
#pragma unroll 1
    for (int q = 0; q < kVE; ++q) {
      const int i = m.rank() * kVE + q;
#pragma unroll 1
      for (int j = i; j < F; ++j) {
        const float x = *m.mtile(a, i, j), y = *m.mtile(a, j, i);
        if (act) {
          *m.mtile(o, i, j) = y;
          *m.mtile(o, j, i) = x;
        }
      }
    }
    tile_sync<L>();
  }

  // M_o = M_a * M_b. Row i of the output needs row i of A (own) and all of B. When o == b the result goes to the
  // scratch matrix first (B must stay whole until every lane is done); when only o == a, a row can be written as
  // soon as it is complete, because row i of A is read by no one else and no later row.
  __device__ __forceinline__ static void matmul(const Mem& m, int o, int a, int b, bool act) {
    tile_sync<L>();
    const bool to_scratch = o == b;
    float* dst = to_scratch ? m.scratch() : m.mown(o);
    const float* pa = m.mown(a);
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
          const Chunk<kRC> bk = load_chunk<kRC>(m.mtile(b, k, jc * kRC));
#pragma unroll
          for (int c = 0; c < kRC; ++c) acc[jc * kRC + c] = fmaf(aik, bk.v[c], acc[jc * kRC + c]);
        }
      }
#pragma unroll
      for (int jc = 0; jc < kRowChunks; ++jc) {
        Chunk<kRC> c;
#pragma unroll
        for (int k = 0; k < kRC; ++k) c.v[k] = acc[jc * kRC + k];
        if (act) store_chunk<kRC>(dst + Mem::row_chunk(q, jc), c);
      }
    }
    if (to_scratch) {
      tile_sync<L>();  // every lane has finished reading B
      float* po = m.mown(o);
      const float* ps = m.scratch();
#pragma unroll kMUnroll
      for (int p = 0; p < kMChunks; ++p) {
        const Chunk<kMC> x = load_chunk<kMC>(ps + p * 32 * kMC);
        if (act) store_chunk<kMC>(po + p * 32 * kMC, x);
      }
    }
    tile_sync<L>();
  }
};

}  // namespace amlz::cuda
