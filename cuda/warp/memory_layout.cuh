// SPDX-License-Identifier: Apache-2.0
// How one warp's program memory is laid out for 32/L tasks of L lanes each (Geometry, WarpMemory), the chunked
// loads and stores every op goes through, and the tile-wide sum and sync. Private to cuda/.
//
// Layout (per warp, in shared memory or, for programs too large for it, global memory):
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
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "amlz/core/features.h"
#include "amlz/core/hd.h"

namespace amlz::cuda {

inline constexpr unsigned kFullMask = 0xffffffffu;

template <int F, int L>
struct Geometry {
  static_assert(is_supported_features(F), "F must be one of kFeatureSizes (core/features.h)");
  static_assert(L >= 1 && L <= F && (L & (L - 1)) == 0, "lanes per task: a power of two, at most F");
  static constexpr int kVE = F / L;              // vector elements per lane = matrix rows per lane
  static constexpr int kME = F * F / L;          // matrix elements per lane
  static constexpr int kVC = kVE < 4 ? kVE : 4;  // chunk width of vector storage
  static constexpr int kMC = kME < 4 ? kME : 4;  // chunk width of matrix storage
  static constexpr int kRC = F < kMC ? F : kMC;  // widest load inside one matrix row
  static constexpr int kVectorWords = 32 * kVE;
  static constexpr int kMatrixWords = 32 * kME;
  static constexpr int kVChunks = kVE / kVC;  // chunks of one vector a lane owns
  static constexpr int kMChunks = kME / kMC;  // chunks of one matrix a lane owns
  static constexpr int kRowChunks = F / kRC;  // loads per matrix row
  // Loops over a lane's chunks are unrolled by at most 4: enough independent 16-byte loads in flight to cover
  // shared-memory latency, few enough that registers and compile time stay bounded at F = 16, 32.
  static constexpr int kVUnroll = kVChunks < 4 ? kVChunks : 4;
  static constexpr int kMUnroll = kMChunks < 4 ? kMChunks : 4;
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
    static_assert(C == 1, "chunks are 1, 2 or 4 floats");
    c.v[0] = __ldg(p);
  }
  return c;
}

// Lane r's slice [r*F/L, (r+1)*F/L) of one feature row of task data (F floats, 16-byte aligned).
template <int F, int L>
__device__ __forceinline__ Chunk<F / L> load_features(const float* row, int r) {
  using G = Geometry<F, L>;
  Chunk<G::kVE> x;
  const float* p = row + r * G::kVE;
#pragma unroll
  for (int c = 0; c < G::kVChunks; ++c) {
    const Chunk<G::kVC> part = load_chunk_ldg<G::kVC>(p + c * G::kVC);
#pragma unroll
    for (int k = 0; k < G::kVC; ++k) x.v[c * G::kVC + k] = part.v[k];
  }
  return x;
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

// The addresses of one lane's view of its warp's program memory, for a program's address counts (the scratch
// matrix, when reserved, is matrix number n_matrices). A few registers; the ops take it by reference, the
// out-of-line ones by value.
template <int F, int L>
class WarpMemory {
  using G = Geometry<F, L>;

 public:
  __device__ WarpMemory(float* mem, uint32_t n_scalars, uint32_t n_vectors, uint32_t n_matrices) {
    lane_ = static_cast<int>(threadIdx.x & 31u);
    r_ = lane_ % L;
    tb_ = lane_ - r_;
    s_ = mem + lane_;
    vbase_ = mem + 32 * n_scalars;
    mbase_ = vbase_ + n_vectors * G::kVectorWords;
    scratch_ = mbase_ + n_matrices * G::kMatrixWords + lane_ * G::kMC;
  }

  // This lane's rank in its tile: it owns vector elements and matrix rows [r*F/L, (r+1)*F/L).
  __device__ __forceinline__ int rank() const { return r_; }
  // This lane's copy of scalar i.
  __device__ __forceinline__ float& s(int i) const { return s_[i * 32]; }
  // This lane's own chunks of vector / matrix i (the k-th own element at vslot(k) / mslot(k)).
  __device__ __forceinline__ float* vown(int i) const { return vbase_ + i * G::kVectorWords + lane_ * G::kVC; }
  __device__ __forceinline__ float* mown(int i) const { return mbase_ + i * G::kMatrixWords + lane_ * G::kMC; }
  // This lane's own chunks of the scratch matrix.
  __device__ __forceinline__ float* scratch() const { return scratch_; }

  // K consecutive elements j..j+K-1 (j % K == 0) of vector i, whichever lanes of the tile own them.
  template <int K>
  __device__ __forceinline__ Chunk<K> load_vtile(int i, int j) const {
    constexpr int W = K < G::kVC ? K : G::kVC;
    Chunk<K> out;
#pragma unroll
    for (int p = 0; p < K / W; ++p) {
      const int e = j + p * W;
      const Chunk<W> c =
          load_chunk<W>(vbase_ + i * G::kVectorWords + (tb_ + e / G::kVE) * G::kVC + G::vslot(e % G::kVE));
#pragma unroll
      for (int k = 0; k < W; ++k) out.v[p * W + k] = c.v[k];
    }
    return out;
  }
  // Element (row, j) of matrix i, whichever lane of the tile owns the row.
  __device__ __forceinline__ float* mtile(int i, int row, int j) const {
    return mbase_ + i * G::kMatrixWords + (tb_ + row / G::kVE) * G::kMC + G::mslot((row % G::kVE) * F + j);
  }
  // Chunk jc (kRC columns) of own row q, relative to an own matrix pointer.
  __device__ __forceinline__ static int row_chunk(int q, int jc) { return G::mslot(q * F + jc * G::kRC); }

 private:
  int lane_ = 0, r_ = 0, tb_ = 0;
  float* s_ = nullptr;
  float* vbase_ = nullptr;
  float* mbase_ = nullptr;
  float* scratch_ = nullptr;
};

}  // namespace amlz::cuda
