// SPDX-License-Identifier: Apache-2.0
// The per-warp bytecode interpreter (the CUB "warp" level): instruction decoding, the dispatch switch over every op,
// and the run loop. One warp runs ONE program on 32/L tasks at once, L lanes per task (a "tile"). All 32 lanes walk
// the same instruction stream, so the opcode switch never diverges; only per-lane predicates (which tile is still
// running) differ. Private to cuda/.
//
// Written independently of the CPU reference (src/eval/cpu_interpreter.h): only the per-element edge rules
// (op_semantics.h), the random draws (core/philox.h) and the bytecode are shared, so agreement between the two is
// evidence. Float differences from the CPU reference, all expected and covered by the parity tolerances
// (tests/parity/backend_parity_test.cpp):
//  - nvcc contracts a*b+c into FMA (no fast-math, but -fmad=true): dot products, norms, M*v, matmul. The x86 CPU
//    build does not contract (-ffp-contract=off). St.dev. follows the CPU's contract (double, two passes in index
//    order) with explicit _rn intrinsics, so it is bit-identical to the CPU's (warp/cold_ops.cuh).
//  - No result depends on L (the lane mapping is chosen per batch, and a fitness must not depend on its batch).
//    Vector reductions and st.dev. sum in index order in every lane, the CPU's order (warp/cross_lane_ops.cuh,
//    warp/cold_ops.cuh); matrix norm and mean fold each row in column order, then add the row results as a
//    balanced tree (warp/ops.cuh), where the CPU sums all F*F in index order. Deterministic run to run.
//  - sinf/cosf/tanf/asinf/acosf/atanf/expf/logf are CUDA's full-precision versions (<= 2 ulp, not intrinsics);
//    glibc's are within 1 ulp. Division, reciprocal and sqrtf are IEEE-rounded (-prec-div/-prec-sqrt defaults).
//  - Column norms take an IEEE sqrtf of the sum of squares (spec §3), as the CPU reference's Eigen colwise().norm()
//    does in this build (EIGEN_FAST_MATH=0, top-level CMakeLists.txt, makes Eigen's packet sqrt IEEE too); only
//    the summation order differs.
#pragma once
#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

#include "amlz/core/bytecode.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
#include "warp/cold_ops.cuh"
#include "warp/cross_lane_ops.cuh"
#include "warp/memory_layout.cuh"
#include "warp/ops.cuh"

namespace amlz::cuda {

// ---- decoding --------------------------------------------------------------------------------------------------
// The kernel fetches an Instr as one 16-byte uint4 (CUDA devices are little-endian) and takes each field at its
// byte offset in the struct, so a layout change in bytecode.h changes the decoding with it, or fails here.
static_assert(sizeof(Instr) == sizeof(uint4), "an instruction is fetched as one uint4");
static_assert(sizeof(Op) == 1, "the opcode is one byte");
static_assert(offsetof(Instr, op) < 4 && offsetof(Instr, out) < 4 && offsetof(Instr, in1) < 4 &&
                  offsetof(Instr, in2) < 4,
              "op and addresses must share the first 32-bit word");
static_assert(offsetof(Instr, d0) % 4 == 0 && offsetof(Instr, d1) % 4 == 0 && offsetof(Instr, d2) % 4 == 0,
              "each float parameter must be a whole 32-bit word");

// 32-bit word number kByte / 4 of the instruction.
template <size_t kByte>
__device__ __forceinline__ uint32_t instr_word(const uint4& w) {
  static_assert(kByte % 4 == 0 && kByte < 16, "a word offset inside the 16-byte instruction");
  if constexpr (kByte == 0)
    return w.x;
  else if constexpr (kByte == 4)
    return w.y;
  else if constexpr (kByte == 8)
    return w.z;
  else
    return w.w;
}
// The byte at offset kByte of the instruction.
template <size_t kByte>
__device__ __forceinline__ uint32_t instr_byte(const uint4& w) {
  return (instr_word<kByte / 4 * 4>(w) >> (8 * (kByte % 4))) & 0xFFu;
}

struct DecodedInstr {
  Op op;
  int out, in1, in2;
  float d0, d1, d2;
  uint32_t random_key;  // random ops: in1 | in2 << 8, as bytecode.h random_key()
};

__device__ __forceinline__ DecodedInstr decode(const uint4& w) {
  DecodedInstr d;
  d.op = static_cast<Op>(instr_byte<offsetof(Instr, op)>(w));
  const uint32_t in1 = instr_byte<offsetof(Instr, in1)>(w), in2 = instr_byte<offsetof(Instr, in2)>(w);
  d.out = static_cast<int>(instr_byte<offsetof(Instr, out)>(w));
  d.in1 = static_cast<int>(in1);
  d.in2 = static_cast<int>(in2);
  d.d0 = __uint_as_float(instr_word<offsetof(Instr, d0)>(w));
  d.d1 = __uint_as_float(instr_word<offsetof(Instr, d1)>(w));
  d.d2 = __uint_as_float(instr_word<offsetof(Instr, d2)>(w));
  d.random_key = in1 | (in2 << 8);
  return d;
}

// ---- the interpreter -------------------------------------------------------------------------------------------
template <int F, int L>
class WarpInterpreter {
  using G = Geometry<F, L>;
  using Mem = WarpMemory<F, L>;
  using Lane = LaneOps<F, L>;
  using Cross = CrossLaneOps<F, L>;
  static constexpr int kVC = G::kVC, kVChunks = G::kVChunks, kRC = G::kRC;

 public:
  // `mem`: this warp's program memory, laid out for the program's address counts (memory_layout.cuh).
  __device__ WarpInterpreter(float* mem, uint32_t n_scalars, uint32_t n_vectors, uint32_t n_matrices)
      : m_(mem, n_scalars, n_vectors, n_matrices) {}

  // This lane's copy of scalar i.
  __device__ __forceinline__ float& s(int i) const { return m_.s(i); }

  // v0 <- this lane's slice of the features.
  __device__ __forceinline__ void set_features(const Chunk<G::kVE>& x, bool act) const {
    set_vector(kFeaturesVector, x, act);
  }
  // Vector i <- this lane's slice x (the features; on multiclass tasks also the label v1).
  __device__ __forceinline__ void set_vector(int i, const Chunk<G::kVE>& x, bool act) const {
    float* v = m_.vown(i);
#pragma unroll
    for (int p = 0; p < kVChunks; ++p) {
      Chunk<kVC> c;
#pragma unroll
      for (int k = 0; k < kVC; ++k) c.v[k] = x.v[p * kVC + k];
      if (act) store_chunk<kVC>(v + p * 32 * kVC, c);
    }
  }
  // The memory view (a few pointers), for the executor's out-of-line multiclass readout.
  __device__ __forceinline__ const Mem& memory() const { return m_; }

  // Runs n instructions. The next instruction's 16 bytes are fetched while the current one executes, so the
  // warp-uniform load's latency hides behind the op. `act` masks every store of tiles that must not run (tasks
  // already stopped, validating while others train, or no task at all); they still take part in shuffles.
  __device__ __forceinline__ void run(const uint4* code, int n, bool act, const RandomStream& rc) const {
    if (n <= 0) return;
    uint4 cur = __ldg(code);
    for (int k = 0; k < n; ++k) {
      const uint4 next = k + 1 < n ? __ldg(code + k + 1) : cur;
      exec(decode(cur), act, rc);
      cur = next;
    }
  }

 private:
  // The dispatch: one case per op, no default, so -Wswitch reports an op the GPU does not implement. The ops that
  // run out of line get their case labels from their lists in cold_ops.cuh.
#define AMLZ_CUDA_CASE(op) case Op::op:
  __device__ __forceinline__ void exec(const DecodedInstr& i, const bool act, const RandomStream& rc) const {
    const int o = i.out, a = i.in1, b = i.in2;
    const uint32_t op_code = static_cast<uint32_t>(i.op);
    switch (i.op) {
      case Op::NoOp: break;
      // -- scalars
      case Op::ScalarSum:
        if (act) s(o) = s(a) + s(b);
        break;
      case Op::ScalarDiff:
        if (act) s(o) = s(a) - s(b);
        break;
      case Op::ScalarProduct:
        if (act) s(o) = s(a) * s(b);
        break;
      case Op::ScalarDivision:
        if (act) s(o) = s(a) / s(b);
        break;
      case Op::ScalarAbs:
        if (act) s(o) = fabsf(s(a));
        break;
      case Op::ScalarReciprocal:
        if (act) s(o) = 1.0f / s(a);
        break;
        AMLZ_CUDA_TRANSCENDENTAL_OPS(AMLZ_CUDA_CASE) {  // out of line (cold_ops.cuh), every lane computes
          const float y = transcendental(static_cast<Transcendental>(op_code), s(a));
          if (act) s(o) = y;
          break;
        }
      case Op::ScalarHeaviside:
        if (act) s(o) = heaviside_scalar(s(a));
        break;
      case Op::ScalarMin:
        if (act) s(o) = min_sv(s(a), s(b));
        break;
      case Op::ScalarMax:
        if (act) s(o) = max_sv(s(a), s(b));
        break;
      case Op::ScalarConstSet:
        if (act) s(o) = i.d0;
        break;
      case Op::ScalarUniformSet:
      case Op::ScalarGaussianSet: {  // one draw, out of line (cold_ops.cuh)
        const float y = random_value(rc, i.random_key, 0, i.op == Op::ScalarGaussianSet, i.d0, i.d1);
        if (act) s(o) = y;
        break;
      }
      // -- vectors, elementwise
      case Op::VectorHeaviside: Lane::vmap1(m_, o, a, act, [](float x) { return heaviside_elementwise(x); }); break;
      case Op::ScalarVectorProduct: {
        const float k = s(a);
        Lane::vmap1(m_, o, b, act, [k](float x) { return k * x; });
        break;
      }
      case Op::ScalarBroadcast: Lane::vset(m_, o, act, s(a)); break;
      case Op::VectorReciprocal: Lane::vmap1(m_, o, a, act, [](float x) { return 1.0f / x; }); break;
      case Op::VectorAbs: Lane::vmap1(m_, o, a, act, [](float x) { return fabsf(x); }); break;
      case Op::VectorSum: Lane::vmap2(m_, o, a, b, act, [](float x, float y) { return x + y; }); break;
      case Op::VectorDiff: Lane::vmap2(m_, o, a, b, act, [](float x, float y) { return x - y; }); break;
      case Op::VectorProduct: Lane::vmap2(m_, o, a, b, act, [](float x, float y) { return x * y; }); break;
      case Op::VectorDivision: Lane::vmap2(m_, o, a, b, act, [](float x, float y) { return x / y; }); break;
      case Op::VectorMin: Lane::vmap2(m_, o, a, b, act, [](float x, float y) { return min_sv(x, y); }); break;
      case Op::VectorMax: Lane::vmap2(m_, o, a, b, act, [](float x, float y) { return max_sv(x, y); }); break;
      // -- vector reductions (every lane takes part in the tile's syncs)
      case Op::VectorNorm: {
        const float y = sqrtf(Cross::vector_fold(m_, a, [](float acc, float x) { return acc + x * x; }));
        if (act) s(o) = y;
        break;
      }
      case Op::VectorInnerProduct: {
        const float y = Cross::dot(m_, a, b);
        if (act) s(o) = y;
        break;
      }
      case Op::VectorMean: {
        const float y = Cross::vector_fold(m_, a, [](float acc, float x) { return acc + x; }) / static_cast<float>(F);
        if (act) s(o) = y;
        break;
      }
      // -- vectors <-> matrices
      case Op::VectorOuterProduct: Cross::template outer<true>(m_, o, a, b, act); break;
      case Op::VectorRowBroadcast: Cross::template outer<false>(m_, o, a, a, act); break;
      case Op::VectorColumnBroadcast: Lane::column_broadcast(m_, o, a, act); break;
      case Op::MatrixVectorProduct: Cross::matvec(m_, o, a, b, act); break;
      case Op::MatrixRowNorm:
        Lane::per_row(
            m_, o, a, act,
            [](float acc, const Chunk<kRC>& m, int) {
#pragma unroll
              for (int t = 0; t < kRC; ++t) acc += m.v[t] * m.v[t];
              return acc;
            },
            [](float acc) { return sqrtf(acc); });
        break;
      case Op::MatrixRowMean:
        Lane::per_row(
            m_, o, a, act,
            [](float acc, const Chunk<kRC>& m, int) {
#pragma unroll
              for (int t = 0; t < kRC; ++t) acc += m.v[t];
              return acc;
            },
            [](float acc) { return acc / static_cast<float>(F); });
        break;
      // -- matrices, elementwise
      case Op::MatrixHeaviside: Lane::mmap1(m_, o, a, act, [](float x) { return heaviside_elementwise(x); }); break;
      case Op::ScalarMatrixProduct: {
        const float k = s(a);
        Lane::mmap1(m_, o, b, act, [k](float x) { return k * x; });
        break;
      }
      case Op::MatrixReciprocal: Lane::mmap1(m_, o, a, act, [](float x) { return 1.0f / x; }); break;
      case Op::MatrixAbs: Lane::mmap1(m_, o, a, act, [](float x) { return fabsf(x); }); break;
      case Op::MatrixSum: Lane::mmap2(m_, o, a, b, act, [](float x, float y) { return x + y; }); break;
      case Op::MatrixDiff: Lane::mmap2(m_, o, a, b, act, [](float x, float y) { return x - y; }); break;
      case Op::MatrixProduct: Lane::mmap2(m_, o, a, b, act, [](float x, float y) { return x * y; }); break;
      case Op::MatrixDivision: Lane::mmap2(m_, o, a, b, act, [](float x, float y) { return x / y; }); break;
      case Op::MatrixMin: Lane::mmap2(m_, o, a, b, act, [](float x, float y) { return min_m(x, y); }); break;
      case Op::MatrixMax: Lane::mmap2(m_, o, a, b, act, [](float x, float y) { return max_m(x, y); }); break;
      // -- matrix reductions (every lane takes part in the tile's shuffles)
      case Op::MatrixNorm: {
        const float y = sqrtf(Lane::matrix_reduce(m_, a, [](float acc, float x) { return acc + x * x; }));
        if (act) s(o) = y;
        break;
      }
      case Op::MatrixMean: {
        const float y =
            Lane::matrix_reduce(m_, a, [](float acc, float x) { return acc + x; }) / static_cast<float>(F * F);
        if (act) s(o) = y;
        break;
      }
      // -- constants: only the owner of the element writes
      case Op::VectorConstSet: Lane::set_vector_element(m_, o, decode_index(i.d0, F), i.d1, act); break;
      case Op::MatrixConstSet:
        Lane::set_matrix_element(m_, o, decode_index(i.d0, F), decode_index(i.d1, F), i.d2, act);
        break;
        // -- out of line (cold_ops.cuh)
        AMLZ_CUDA_COLD_OPS(AMLZ_CUDA_CASE)
        ColdOps<F, L>::run(m_, static_cast<ColdOp>(op_code), o, a, b, act, rc, i.random_key, i.d0, i.d1);
        break;
    }
  }
#undef AMLZ_CUDA_CASE

  Mem m_;
};

}  // namespace amlz::cuda
