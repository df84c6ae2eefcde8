// SPDX-License-Identifier: Apache-2.0
// What the host hands the evaluation kernel: plain structs laid out the same by nvcc's host and device passes. The
// contract between host/ and kernels/; private to cuda/.
#pragma once
#include <cstdint>

#include "amlz/core/bytecode.h"

namespace amlz::cuda {

// Threads per block = 32 * warps per block; host/launch.cu picks 1, 2, 4 or 8 warps from the shared memory a warp
// needs.
inline constexpr int kMaxWarpsPerBlock = 8;
// __launch_bounds__ minimum blocks of kMaxWarpsPerBlock warps per SM, i.e. the register cap: 3 -> 80 registers
// (24 warps/SM), 2 -> 128 (16 warps/SM). The cap trades the interpreter's registers against resident warps, which
// hide shared-memory latency; the ops that would need the most registers (transcendentals, random draws, matmul,
// transpose, st.dev.) run out of line (warp/cold_ops.cuh) so that the hot path fits under it. ptxas' registers
// and spills per kernel are in bench/RESULTS.md ("CUDA design figures"); set -DAMLZ_CUDA_MIN_BLOCKS=2 to compare
// on a GPU.
#ifndef AMLZ_CUDA_MIN_BLOCKS
#define AMLZ_CUDA_MIN_BLOCKS 3
#endif
inline constexpr int kMinBlocksPerSm = AMLZ_CUDA_MIN_BLOCKS;

// One task of the uploaded TaskSet (host/device_task_set.cu). Offsets count elements of KernelArgs::data (floats)
// or ::orders (uint32) and are multiples of 32, so every feature row of F floats is aligned for vector loads.
// 32-bit offsets (16 GiB of task data) keep the kernel's registers down; the packing checks the total.
struct DeviceTask {
  uint32_t train_x, train_y, valid_x, valid_y, order;
  uint32_t index;    // Task::index: keys random ops, as on the CPU
  uint32_t n_train;  // examples per epoch
  uint32_t n_epochs;
  uint32_t n_valid;          // the task's full validation size (the loss divisor)
  uint32_t accuracy;         // 1 = EvalType::Accuracy
  uint32_t identity_epochs;  // leading epochs whose order is 0, 1, 2, ... (epoch 0 always, by construction): the
                             // kernel skips the dependent order lookup there
  uint32_t classes;          // multiclass tasks: K, and train_y/valid_y hold one-hot rows of F floats; 0: one
                             // label per example
};

// A work item after grouping by program (host/warp_jobs.cu).
struct DeviceItem {
  uint32_t task;
  uint32_t train_steps;
  uint32_t valid_steps;
  uint32_t slot;  // the item's position in the caller's list: where its result goes
};

// What one warp evaluates: up to 32/L items of ONE program (so the warp shares one instruction stream).
struct WarpJob {
  uint32_t program;
  uint32_t first_item;  // into KernelArgs::items
  uint32_t n_items;     // 1 .. tasks per warp
};

// Words of program memory one warp needs for a program with the given address counts (matrices includes the
// scratch matrix when reserved).
AMLZ_HD constexpr uint32_t warp_memory_words(int F, int L, uint32_t scalars, uint32_t vectors, uint32_t matrices) {
  return 32u * (scalars + vectors * static_cast<uint32_t>(F / L) + matrices * static_cast<uint32_t>(F * F / L));
}

struct DeviceResult {
  double fitness;
  uint64_t fingerprint;
  uint32_t train_steps;
  uint32_t status;  // EvalStatus
};
static_assert(sizeof(DeviceResult) == 24, "DeviceResult is copied back as raw bytes");

struct KernelArgs {
  const Instr* code;
  const ProgramDesc* programs;
  const DeviceTask* tasks;
  const float* data;
  const uint32_t* orders;
  const WarpJob* jobs;
  const DeviceItem* items;
  DeviceResult* results;      // indexed by DeviceItem::slot
  unsigned int* job_counter;  // zero before the launch; warps take jobs from it
  float* global_memory;       // program memory of the global-memory path, words_per_warp per launched warp
  uint32_t n_jobs;
  uint32_t words_per_warp;  // program memory of one warp, in floats (a multiple of 128)
  float max_abs_error;
  uint32_t fingerprint;  // 1 = EvalMode::Fingerprint
  uint32_t fingerprint_seed;
};

}  // namespace amlz::cuda
