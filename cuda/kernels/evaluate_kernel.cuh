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
#include <cuda_runtime.h>

#include <cstdint>

#include "amlz/core/bytecode.h"
#include "amlz/eval/evaluator.h"
#include "amlz/core/hash.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
#include "kernel_args.cuh"
#include "kernels/instantiations.cuh"
#include "warp_interpreter.cuh"

namespace amlz::cuda {

template <int F, int L>
__device__ __forceinline__ Chunk<F / L> load_features(const float* row, int r) {
  using G = Geometry<F, L>;
  Chunk<G::kVE> x;
  const float* p = row + r * G::kVE;
#pragma unroll
  for (int c = 0; c < G::kVE / G::kVC; ++c) {
    const Chunk<G::kVC> part = load_chunk_ldg<G::kVC>(p + c * G::kVC);
#pragma unroll
    for (int k = 0; k < G::kVC; ++k) x.v[c * G::kVC + k] = part.v[k];
  }
  return x;
}

// The schedule of one task (spec §4 and src/eval/cpu_interpreter.h execute_task), kept identical in every lane of its
// tile so that no lane has to ask another. Kept small: it is live across the whole interpreter loop, and every
// register here is one the interpreter cannot use. `best` doubles as the result: an early stop in epoch 0 scores 0,
// and best is still 0 then (it only grows after a validation); later the result is best, as on the CPU.
struct TileSchedule {
  enum Phase : uint32_t { kTrain = 0, kValid = 1, kDone = 2 };
  uint32_t phase = kDone;
  uint32_t status = static_cast<uint32_t>(EvalStatus::Ok);
  uint32_t epoch = 0;
  uint32_t j = 0;          // example within the epoch
  uint32_t n_epoch = 0;    // examples in this epoch
  uint32_t step = 0;       // training steps started so far (TaskResult::train_steps); keys Predict/Learn draws
  uint32_t remaining = 0;  // training steps left, counted down when an epoch ends (as the CPU does)
  uint32_t vj = 0;         // validation example
  uint32_t n_valid = 0;    // validation examples used per epoch
  bool failed = false;     // this epoch's validation stopped on a bad error
  double loss = 0.0;
  double best = 0.0;
  uint64_t hash = kHashStart;

  __device__ __forceinline__ void start_epoch(uint32_t n_train) {
    phase = kTrain;
    j = 0;
    n_epoch = min(n_train, remaining);
  }
  __device__ void end_validation(bool fingerprint, uint32_t n_valid_full, bool accuracy, uint32_t n_train) {
    if (fingerprint && epoch == 0) hash = hash_combine(hash, n_valid);
    if (!failed) {
      // Divided by the task's FULL validation size even when fewer examples ran (spec §4).
      const double mean = loss / static_cast<double>(n_valid_full);
      const double f = accuracy ? 1.0 - mean : flip_and_squash(sqrt(mean));
      best = best < f ? f : best;  // std::max(best, f): NaN keeps best
    }
    ++epoch;
    if (remaining > 0) start_epoch(n_train);
    else phase = kDone;
  }
  __device__ void begin_validation(bool fingerprint, uint32_t n_valid_full, bool accuracy, uint32_t n_train) {
    phase = kValid;
    vj = 0;
    loss = 0.0;
    failed = false;
    if (n_valid == 0) end_validation(fingerprint, n_valid_full, accuracy, n_train);
  }
};

template <int F, int L>
__device__ __forceinline__ void run_job(const KernelArgs& args, const WarpJob job, float* mem) {
  const int lane = static_cast<int>(threadIdx.x & 31u);
  const int tile = lane / L;
  const int r = lane % L;
  const ProgramDesc d = args.programs[job.program];
  const bool has_item = tile < static_cast<int>(job.n_items);
  const uint32_t item_index = job.first_item + static_cast<uint32_t>(has_item ? tile : 0);
  const bool fingerprint = args.fingerprint != 0;
  const uint32_t seed = fingerprint ? args.fingerprint_seed : d.eval_seed;
  // The task record stays in global memory (L1-resident): its fields are read once per round, not kept in registers.
  const DeviceTask* task = args.tasks + (has_item ? args.items[item_index].task : 0u);
  const uint32_t task_index = has_item ? task->index : 0u;
  const bool accuracy = has_item && task->accuracy != 0;

  // Fresh zeroed memory (spec §1: everything starts at 0). The previous job may still be read by other lanes.
  __syncwarp(kFullMask);
  {
    const uint32_t words = warp_memory_words(F, L, d.n_scalars, d.n_vectors, d.n_matrices);
    float4* m4 = reinterpret_cast<float4*>(mem);
    for (uint32_t w = static_cast<uint32_t>(lane); w < words / 4; w += 32) m4[w] = make_float4(0.f, 0.f, 0.f, 0.f);
  }
  __syncwarp(kFullMask);

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
    uint32_t first = 0, n = d.n_setup;
    bool act = has_item;
    RandomStream rc{seed, task_index, kPhaseSetup, 0};
    if (stage == kPredict) {
      if (!__any_sync(kFullMask, ts.phase != TileSchedule::kDone)) break;
      act = ts.phase != TileSchedule::kDone;
      training = ts.phase == TileSchedule::kTrain;
      rc.phase = kPhaseTrain;
      rc.step = ts.step;
      if (act) {
        const float* xrow;
        if (training) {
          const uint32_t epoch = ts.epoch % task->n_epochs;  // as the CPU indexes epoch_order
          example = epoch < task->identity_epochs
                        ? ts.j
                        : __ldg(args.orders + task->order + epoch * task->n_train + ts.j);
          xrow = args.data + task->train_x + example * F;
          y = __ldg(args.data + task->train_y + example);
        } else {
          xrow = args.data + task->valid_x + ts.vj * F;
          y = __ldg(args.data + task->valid_y + ts.vj);
          rc.phase = kPhaseValid;
          rc.step = ts.epoch * ts.n_valid + ts.vj;
        }
        it.set_features(load_features<F, L>(xrow, r), true);
        it.s(kLabelScalar) = 0.0f;
      }
      first = d.n_setup;
      n = d.n_predict;
    } else if (stage == kLearn) {
      act = learn_now;
      rc.phase = kPhaseTrain;
      rc.step = ts.step - 1;  // the step this Learn completes: counted when its Predict ran
      if (learn_now) {
        if (d.flags & kPredictWritesV0)
          it.set_features(load_features<F, L>(args.data + task->train_x + example * F, r), true);
        it.s(kLabelScalar) = y;
      }
      first = static_cast<uint32_t>(d.n_setup) + d.n_predict;
      n = d.n_learn;
    }
    __syncwarp(kFullMask);
    it.run(code + first, static_cast<int>(n), act, rc);

    if (stage == kSetup) {
      if (has_item) {
        const DeviceItem item = args.items[item_index];
        if (item.train_steps == 0) {
          ts.status = static_cast<uint32_t>(EvalStatus::OverBudget);
        } else {
          const uint32_t n_train = task->n_train;
          ts.n_valid = min(item.valid_steps, task->n_valid);
          ts.remaining = min(item.train_steps, n_train * task->n_epochs);
          if (ts.remaining > 0) ts.start_epoch(n_train);
        }
      }
      stage = kPredict;
    } else if (stage == kPredict) {
      learn_now = false;
      if (act) {
        const float max_err = args.max_abs_error;
        if (training) {
          float s1 = it.s(kPredictionScalar);
          if (accuracy) {
            s1 = sigmoid(s1);  // written back: Learn sees the probability (spec §4)
            it.s(kPredictionScalar) = s1;
          }
          const float err = fabsf(y - s1);
          ++ts.step;
          if (fingerprint && ts.epoch == 0) ts.hash = hash_combine(ts.hash, float_hash_bits(err));
          if (error_is_bad(err, max_err)) {
            ts.status = static_cast<uint32_t>(err != err ? EvalStatus::NonFinite : EvalStatus::Diverged);
            if (fingerprint) ts.hash = hash_combine(hash_combine(ts.hash, ts.step), 0);
            ts.phase = TileSchedule::kDone;
          } else {
            learn_now = true;
          }
        } else {
          const float s1 = it.s(kPredictionScalar);
          const float e = accuracy ? accuracy_error(y, s1) : y - s1;
          const float ae = fabsf(e);
          if (fingerprint && ts.epoch == 0) ts.hash = hash_combine(ts.hash, float_hash_bits(ae));
          bool done = false;
          if (error_is_bad(ae, max_err)) {
            // As the CPU reference: the status is kept, this epoch scores nothing, training goes on.
            if (ts.status == static_cast<uint32_t>(EvalStatus::Ok))
              ts.status = static_cast<uint32_t>(ae != ae ? EvalStatus::NonFinite : EvalStatus::Diverged);
            ts.failed = true;
            done = true;
          } else {
            const double de = static_cast<double>(e);
            ts.loss = __dadd_rn(ts.loss, __dmul_rn(de, de));
            done = ++ts.vj == ts.n_valid;
          }
          if (done) ts.end_validation(fingerprint, task->n_valid, accuracy, task->n_train);
        }
      }
      stage = __any_sync(kFullMask, learn_now) ? kLearn : kPredict;
    } else {
      if (learn_now && ++ts.j == ts.n_epoch) {
        ts.remaining -= ts.n_epoch;
        if (fingerprint && ts.epoch == 0) ts.hash = hash_combine(ts.hash, ts.n_epoch);
        ts.begin_validation(fingerprint, task->n_valid, accuracy, task->n_train);
      }
      learn_now = false;
      stage = kPredict;
    }
  }

  if (has_item && r == 0) {
    DeviceResult res;
    res.fitness = ts.best;
    // A budget rejection returns the CPU's default TaskResult: fingerprint 0.
    res.fingerprint = ts.status == static_cast<uint32_t>(EvalStatus::OverBudget) ? 0 : ts.hash;
    res.train_steps = ts.step;
    res.status = ts.status;
    args.results[args.items[item_index].slot] = res;
  }
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

// The kernel compiled for (F, lanes), or nullptr: the body of each per-F file's evaluate_kernel_f<F>(). The
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
