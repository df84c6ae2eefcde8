// SPDX-License-Identifier: Apache-2.0
// The executor state machine of spec §4 for the one task a tile evaluates (src/eval/cpu_interpreter.h execute_task
// is its CPU twin): epochs of training steps, validation after each epoch, early stops on bad errors, the fitness
// and the FEC fingerprint. Kept identical in every lane of the tile, so no lane has to ask another. Private to cuda/.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "amlz/core/hash.h"
#include "amlz/core/op_semantics.h"
#include "amlz/eval/evaluator.h"
#include "kernel_args.cuh"

namespace amlz::cuda {

// Kept small: it is live across the whole interpreter loop, and every register here is one the interpreter cannot
// use. The task record stays in global memory (L1-resident) and is passed by pointer: its fields are read when
// needed, not kept in registers. `best` doubles as the result: an early stop in epoch 0 scores 0, and best is still
// 0 then (it only grows after a validation); later the result is best, as on the CPU.
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

  // After Setup: the work item's budget. No training steps at all is a budget rejection (OverBudget).
  __device__ __forceinline__ void start(const DeviceItem& item, const DeviceTask* task) {
    if (item.train_steps == 0) {
      status = static_cast<uint32_t>(EvalStatus::OverBudget);
      return;
    }
    const uint32_t n_train = task->n_train;
    n_valid = min(item.valid_steps, task->n_valid);
    remaining = min(item.train_steps, n_train * task->n_epochs);
    if (remaining > 0) start_epoch(n_train);
  }

  // After a training Predict whose error is err = |y - prediction|: true when its Learn runs, false when the task
  // stops here on a bad error.
  __device__ __forceinline__ bool after_training_predict(float err, float max_err, bool fingerprint) {
    ++step;
    if (fingerprint && epoch == 0) hash = hash_combine(hash, float_hash_bits(err));
    if (error_is_bad(err, max_err)) {
      status = static_cast<uint32_t>(err != err ? EvalStatus::NonFinite : EvalStatus::Diverged);
      if (fingerprint) hash = hash_combine(hash_combine(hash, step), 0);
      phase = kDone;
      return false;
    }
    return true;
  }

  // After a validation Predict whose signed error is e.
  __device__ __forceinline__ void after_validation_predict(float e, float max_err, bool fingerprint,
                                                           const DeviceTask* task, bool accuracy) {
    const float ae = fabsf(e);
    if (fingerprint && epoch == 0) hash = hash_combine(hash, float_hash_bits(ae));
    bool done = false;
    if (error_is_bad(ae, max_err)) {
      // As the CPU reference: the status is kept, this epoch scores nothing, training goes on.
      if (status == static_cast<uint32_t>(EvalStatus::Ok))
        status = static_cast<uint32_t>(ae != ae ? EvalStatus::NonFinite : EvalStatus::Diverged);
      failed = true;
      done = true;
    } else {
      const double de = static_cast<double>(e);
      loss = __dadd_rn(loss, __dmul_rn(de, de));
      done = ++vj == n_valid;
    }
    if (done) end_validation(fingerprint, task->n_valid, accuracy, task->n_train);
  }

  // After a Learn: the last step of an epoch starts its validation.
  __device__ __forceinline__ void after_learn(bool fingerprint, const DeviceTask* task, bool accuracy) {
    if (++j != n_epoch) return;
    remaining -= n_epoch;
    if (fingerprint && epoch == 0) hash = hash_combine(hash, n_epoch);
    begin_validation(fingerprint, task->n_valid, accuracy, task->n_train);
  }

  __device__ __forceinline__ DeviceResult result() const {
    DeviceResult res;
    res.fitness = best;
    // A budget rejection returns the CPU's default TaskResult: fingerprint 0.
    res.fingerprint = status == static_cast<uint32_t>(EvalStatus::OverBudget) ? 0 : hash;
    res.train_steps = step;
    res.status = status;
    return res;
  }

 private:
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
    if (remaining > 0)
      start_epoch(n_train);
    else
      phase = kDone;
  }
  __device__ void begin_validation(bool fingerprint, uint32_t n_valid_full, bool accuracy, uint32_t n_train) {
    phase = kValid;
    vj = 0;
    loss = 0.0;
    failed = false;
    if (n_valid == 0) end_validation(fingerprint, n_valid_full, accuracy, n_train);
  }
};

}  // namespace amlz::cuda
