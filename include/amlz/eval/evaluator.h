// SPDX-License-Identifier: Apache-2.0
// The one interface between the search and the backends: evaluate many (program, task) pairs of a ProgramBatch
// over a TaskSet. CpuEvaluator (always built) is the reference; CudaEvaluator (cuda/) is built when CUDA is found.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "amlz/core/enum_names.h"
#include "amlz/core/program.h"
#include "amlz/tasks/task.h"

namespace amlz {

// How an evaluation ended (spec §4). A misbehaving candidate is a result, never an exception.
enum class EvalStatus : uint8_t {
  Ok = 0,
  NonFinite = 1,   // |error| was NaN
  Diverged = 2,    // |error| > max_abs_error (+inf included)
  OverBudget = 3,  // the train budget gave this task 0 steps: only Setup ran
};
template <>
struct EnumNames<EvalStatus> {
  static constexpr EnumName<EvalStatus> table[] = {{EvalStatus::Ok, "ok"},
                                                   {EvalStatus::NonFinite, "non-finite"},
                                                   {EvalStatus::Diverged, "diverged"},
                                                   {EvalStatus::OverBudget, "over-budget"}};
};

// One program on one task. train_steps counts all epochs (0 = rejected by the budget); valid_steps is capped at
// the task's validation size.
struct WorkItem {
  uint32_t program;
  uint32_t task;
  uint32_t train_steps;
  uint32_t valid_steps;
};

enum class EvalMode : uint8_t {
  Full,         // fitness from a full run; random ops keyed by each program's eval_seed
  Fingerprint,  // FEC pre-run: hash the per-step errors; random ops keyed by fingerprint_seed for everyone
};

inline constexpr uint32_t kFingerprintSeed = 235732282u;  // the original's FEC generator seed

struct EvalRequest {
  EvalMode mode = EvalMode::Full;
  float max_abs_error = 100.0f;
  uint32_t fingerprint_seed = kFingerprintSeed;
};

struct TaskResult {
  double fitness = 0.0;      // in [0, 1]; best validation fitness over epochs
  uint64_t fingerprint = 0;  // Fingerprint mode: fold of first-epoch errors (then the caller folds task & steps)
  uint32_t train_steps = 0;  // training steps started, the budget unit
  EvalStatus status = EvalStatus::Ok;
};

enum class Backend : uint8_t { Cpu, Cuda };
template <>
struct EnumNames<Backend> {
  static constexpr EnumName<Backend> table[] = {{Backend::Cpu, "cpu"}, {Backend::Cuda, "cuda"}};
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual Backend backend() const = 0;
  // e.g. "cpu (2 threads, float32)" or "cuda (NVIDIA H200)".
  virtual std::string describe() const = 0;
  // One result per work item, in order. Programs must have passed verify().
  virtual std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks,
                                           const std::vector<WorkItem>& items, const EvalRequest& request) = 0;
};

// What every backend checks before it trusts its input: the batch passes verify(), the items name programs and
// tasks that exist, every task's feature size is supported. A failure is a bug in the caller (amlz internal error).
void check_evaluation_input(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items);

// Items for every (program, task) pair of a batch, with each task's full train and validation sizes.
std::vector<WorkItem> full_work_items(size_t num_programs, const TaskSet& tasks);

}  // namespace amlz
