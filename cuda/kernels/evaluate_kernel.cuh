// SPDX-License-Identifier: Apache-2.0
// The evaluation kernel: persistent warps take jobs (one program, up to 32/L of its work items) from a queue and
// run the executor of spec §4 for every task of the job at once, one tile of L lanes per task. Included by the
// per-F instantiation files only. Private to cuda/.
//
// Tasks in one warp may be at different points of their schedules (different sizes, budgets, early stops): every
// round runs Predict for all tiles still going (training or validating), then Learn for the tiles that are
// training and did not just stop. A tile that is validating or finished keeps its memory untouched because all its
// stores are masked; it still takes part in shuffles and __syncwarp, so control flow inside the interpreter stays
// warp-uniform. When every tile follows the same schedule (the usual case) no round is wasted; a tile that stopped
// early idles until the warp's last tile finishes, which is what masking costs.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "amlz/core/bytecode.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
#include "kernel_args.cuh"
#include "kernels/instantiations.cuh"
#include "warp/interpreter.cuh"
#include "warp/memory_layout.cuh"
#include "warp/tile_schedule.cuh"

namespace amlz::cuda {

// One tile's work item in a job, and the constants of its evaluation.
struct TileItem {
  bool has_item;           // tiles past the job's items idle (every store masked) but join the warp's collectives
  uint32_t item_index;     // into KernelArgs::items
  const DeviceTask* task;  // read through L1 when needed, not kept in registers
  uint32_t task_index;     // Task::index: keys random ops
  bool accuracy;
  int classes;  // multiclass tasks: K (vector labels); 0: scalar labels
};

__device__ __forceinline__ TileItem tile_item(const KernelArgs& args, const WarpJob& job, int tile) {
  TileItem t;
  t.has_item = tile < static_cast<int>(job.n_items);
  t.item_index = job.first_item + static_cast<uint32_t>(t.has_item ? tile : 0);
  t.task = args.tasks + (t.has_item ? args.items[t.item_index].task : 0u);
  t.task_index = t.has_item ? t.task->index : 0u;
  t.accuracy = t.has_item && t.task->accuracy != 0;
  t.classes = t.has_item ? static_cast<int>(t.task->classes) : 0;
  return t;
}

// Fresh zeroed memory (spec §1: everything starts at 0). The previous job may still be read by other lanes.
template <int F, int L>
__device__ __forceinline__ void zero_program_memory(float* mem, const ProgramDesc& d) {
  const int lane = static_cast<int>(threadIdx.x & 31u);
  __syncwarp(kFullMask);
  const uint32_t words = warp_memory_words(F, L, d.n_scalars, d.n_vectors, d.n_matrices);
  float4* m4 = reinterpret_cast<float4*>(mem);
  for (uint32_t w = static_cast<uint32_t>(lane); w < words / 4; w += 32) m4[w] = make_float4(0.f, 0.f, 0.f, 0.f);
  __syncwarp(kFullMask);
}

// The example a Predict sees (training: the epoch's order; validation: in order) goes to v0 and its label is
// returned; s0 reads 0 during Predict. Validation Predicts draw from their own random stream.
template <int F, int L>
__device__ __forceinline__ float load_example(const KernelArgs& args, const TileItem& t, const TileSchedule& ts,
                                              const WarpInterpreter<F, L>& it, int r, bool training, uint32_t& example,
                                              RandomStream& rc) {
  const DeviceTask* task = t.task;
  const float* xrow;
  float y;
  const bool vector_labels = t.classes > 0;  // the label is a row of F floats, read again when needed
  if (training) {
    const uint32_t epoch = ts.epoch % task->n_epochs;  // as the CPU indexes epoch_order
    example = epoch < task->identity_epochs ? ts.j : __ldg(args.orders + task->order + epoch * task->n_train + ts.j);
    xrow = args.data + task->train_x + example * F;
    y = vector_labels ? 0.0f : __ldg(args.data + task->train_y + example);
  } else {
    xrow = args.data + task->valid_x + ts.vj * F;
    y = vector_labels ? 0.0f : __ldg(args.data + task->valid_y + ts.vj);
    rc.phase = kPhaseValid;
    rc.step = ts.epoch * ts.n_valid + ts.vj;
  }
  it.set_features(load_features<F, L>(xrow, r), true);
  if (vector_labels) {
    Chunk<F / L> zero;
#pragma unroll
    for (int k = 0; k < F / L; ++k) zero.v[k] = 0.0f;
    it.set_vector(kLabelVector, zero, true);  // Predict sees v1 = 0, as it sees s0 = 0 on other tasks
  } else {
    it.s(kLabelScalar) = 0.0f;
  }
  return y;
}

// Multiclass tasks, after every Predict (run by all 32 lanes: it syncs; the program's kVectorLabels flag is the same
// for the whole warp): each lane reads its task's F logits from v2 and computes, as every lane of a tile does, the
// CPU's op_semantics.h functions in the same order. Training: v2's first K elements become the softmax (each lane
// stores the elements it owns, masked by act) and the result is the largest |label - probability|; validation: the
// 0/1 error of argmax. `label` is the one-hot row in task data (null for a lane without a task). Out of line, like
// the cold ops, so its arrays do not weigh on the interpreter's registers.
template <int F, int L>
__device__ __noinline__ float multiclass_readout(const WarpMemory<F, L> m, const float* label, int classes,
                                                 bool training, bool act) {
  using G = Geometry<F, L>;
  float v[F], y[F];
  __syncwarp(kFullMask);  // Predict's last stores are visible
#pragma unroll
  for (int e = 0; e < F; ++e) v[e] = m.template load_vtile<1>(kPredictionVector, e).v[0];
  __syncwarp(kFullMask);  // every lane has read before any writes back
  for (int e = 0; e < F; ++e) y[e] = label ? __ldg(label + e) : 0.0f;
  const int k = classes > 0 ? classes : 1;
  float result;
  if (training) {
    softmax_in_place(v, k);
    float* own = m.vown(kPredictionVector);
#pragma unroll
    for (int q = 0; q < G::kVE; ++q)
      if (act) own[G::vslot(q)] = v[m.rank() * G::kVE + q];
    result = multiclass_train_error(y, v, k);
  } else {
    result = multiclass_accuracy_error(y, v, k);
  }
  __syncwarp(kFullMask);
  return result;
}

// After an active tile's Predict: the error decides whether Learn runs (training) or adds to the validation loss.
// On classification tasks the training prediction is squashed and written back, so that Learn sees the
// probability (spec §4).
// On multiclass tasks `readout` is multiclass_readout()'s result: the training error, or the validation error.
template <int F, int L>
__device__ __forceinline__ bool after_predict(const KernelArgs& args, const TileItem& t, TileSchedule& ts,
                                              const WarpInterpreter<F, L>& it, bool training, float y, float readout) {
  const bool fingerprint = args.fingerprint != 0;
  if (t.classes > 0) {
    if (training) return ts.after_training_predict(readout, args.max_abs_error, fingerprint);
    ts.after_validation_predict(readout, args.max_abs_error, fingerprint, t.task, t.accuracy);
    return false;
  }
  if (training) {
    float s1 = it.s(kPredictionScalar);
    if (t.accuracy) {
      s1 = sigmoid(s1);
      it.s(kPredictionScalar) = s1;
    }
    return ts.after_training_predict(fabsf(y - s1), args.max_abs_error, fingerprint);
  }
  const float s1 = it.s(kPredictionScalar);
  const float e = t.accuracy ? accuracy_error(y, s1) : y - s1;
  ts.after_validation_predict(e, args.max_abs_error, fingerprint, t.task, t.accuracy);
  return false;
}

// Before Learn: the label goes to s0 (multiclass: the one-hot row to v1), and the features back to v0 if Predict
// may have overwritten them.
template <int F, int L>
__device__ __forceinline__ void prepare_learn(const KernelArgs& args, const TileItem& t, const ProgramDesc& d,
                                              const WarpInterpreter<F, L>& it, int r, uint32_t example, float y) {
  if (d.flags & kPredictWritesV0)
    it.set_features(load_features<F, L>(args.data + t.task->train_x + example * F, r), true);
  if (t.classes > 0)
    it.set_vector(kLabelVector, load_features<F, L>(args.data + t.task->train_y + example * F, r), true);
  else
    it.s(kLabelScalar) = y;
}

template <int F, int L>
__device__ __forceinline__ void run_job(const KernelArgs& args, const WarpJob job, float* mem) {
  const int lane = static_cast<int>(threadIdx.x & 31u);
  const int r = lane % L;
  const TileItem t = tile_item(args, job, lane / L);
  const ProgramDesc d = args.programs[job.program];
  const bool fingerprint = args.fingerprint != 0;
  const uint32_t seed = fingerprint ? args.fingerprint_seed : d.eval_seed;

  zero_program_memory<F, L>(mem, d);
  const WarpInterpreter<F, L> it(mem, d.n_scalars, d.n_vectors, d.n_matrices);
  const uint4* code = reinterpret_cast<const uint4*>(args.code + d.code_offset);

  // One loop, one call of the interpreter: each pass runs Setup, a round's Predict or a round's Learn. A single
  // call site keeps one inlined copy of the interpreter (three would triple the code and the compile time).
  enum Stage : uint32_t { kSetup, kPredict, kLearn };
  uint32_t stage = kSetup;
  TileSchedule ts;
  bool training = false;   // this round's Predict is a training step (else validation)
  bool learn_now = false;  // this round runs Learn for this tile
  uint32_t example = 0;    // this round's example (training: index into the task's train set)
  float y = 0.0f;          // its label
  for (;;) {
    // -- what this pass runs
    uint32_t first = 0, n = d.n_setup;
    bool act = t.has_item;
    RandomStream rc{seed, t.task_index, kPhaseSetup, 0};
    if (stage == kPredict) {
      if (!__any_sync(kFullMask, ts.phase != TileSchedule::kDone)) break;
      act = ts.phase != TileSchedule::kDone;
      training = ts.phase == TileSchedule::kTrain;
      rc.phase = kPhaseTrain;
      rc.step = ts.step;
      if (act) y = load_example<F, L>(args, t, ts, it, r, training, example, rc);
      first = d.n_setup;
      n = d.n_predict;
    } else if (stage == kLearn) {
      act = learn_now;
      rc.phase = kPhaseTrain;
      rc.step = ts.step - 1;  // the step this Learn completes: counted when its Predict ran
      if (learn_now) prepare_learn<F, L>(args, t, d, it, r, example, y);
      first = static_cast<uint32_t>(d.n_setup) + d.n_predict;
      n = d.n_learn;
    }

    __syncwarp(kFullMask);
    it.run(code + first, static_cast<int>(n), act, rc);

    // -- what it leads to
    if (stage == kSetup) {
      if (t.has_item) ts.start(args.items[t.item_index], t.task);
      stage = kPredict;
    } else if (stage == kPredict) {
      float readout = 0.0f;
      if (d.flags & kVectorLabels) {  // warp-uniform: one program per warp
        const float* label = nullptr;
        if (act) label = args.data + (training ? t.task->train_y + example * F : t.task->valid_y + ts.vj * F);
        readout = multiclass_readout<F, L>(it.memory(), label, t.classes, training, act);
      }
      learn_now = act && after_predict<F, L>(args, t, ts, it, training, y, readout);
      stage = __any_sync(kFullMask, learn_now) ? kLearn : kPredict;
    } else {
      if (learn_now) ts.after_learn(fingerprint, t.task, t.accuracy);
      learn_now = false;
      stage = kPredict;
    }
  }

  if (t.has_item && r == 0) args.results[args.items[t.item_index].slot] = ts.result();
}

template <int F, int L, bool kGlobalMemory>
__global__ void __launch_bounds__(32 * kMaxWarpsPerBlock, kMinBlocksPerSm) evaluate_kernel(const KernelArgs args) {
  extern __shared__ float4 amlz_program_memory[];
  const unsigned warp_in_block = threadIdx.x >> 5;
  float* mem;
  if constexpr (kGlobalMemory) {
    const size_t warp = static_cast<size_t>(blockIdx.x) * (blockDim.x >> 5) + warp_in_block;
    mem = args.global_memory + warp * args.words_per_warp;
  } else {
    mem = reinterpret_cast<float*>(amlz_program_memory) + static_cast<size_t>(warp_in_block) * args.words_per_warp;
  }
  const unsigned lane = threadIdx.x & 31u;
  for (;;) {
    unsigned job = 0;
    if (lane == 0) job = atomicAdd(args.job_counter, 1u);
    job = __shfl_sync(kFullMask, job, 0);
    if (job >= args.n_jobs) return;
    run_job<F, L>(args, args.jobs[job], mem);
  }
}

// The kernel compiled for (F, lanes), or nullptr: the body of each per-F file's compiled_kernel_for<F>(). The
// shared-memory kernels exist for the lane counts Ls (instantiations.cuh), the global-memory one for one L per F.
template <int F, int... Ls>
const void* compiled_kernel(int lanes, bool global_memory) {
  constexpr int kGlobalLanes = AMLZ_CUDA_GLOBAL_LANES(F);
  if (global_memory)
    return lanes == kGlobalLanes ? reinterpret_cast<const void*>(&evaluate_kernel<F, kGlobalLanes, true>) : nullptr;
  const void* kernel = nullptr;
  ((kernel = lanes == Ls ? reinterpret_cast<const void*>(&evaluate_kernel<F, Ls, false>) : kernel), ...);
  return kernel;
}
// Turns an instantiation list X(f, l) X(f, l) ... into the template arguments ", l, l, ...".
#define AMLZ_CUDA_LANE_ARG(f, l) , l

}  // namespace amlz::cuda
