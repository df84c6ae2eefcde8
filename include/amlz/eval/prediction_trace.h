// SPDX-License-Identifier: Apache-2.0
// `amlz eval --predictions FILE`: every prediction the reference interpreter makes while it evaluates a program on a
// task set, with the tasks' data, in a plain text format (below), so that code outside amlz — the exported C++ and
// NumPy (`amlz export`) — can be run on the same examples and compared prediction by prediction.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "amlz/core/program.h"
#include "amlz/eval/evaluator.h"
#include "amlz/tasks/task.h"

namespace amlz {

// One task's run, as spec §4's executor does it (the reference interpreter's execute_task, recording predictions).
struct TaskTrace {
  std::vector<float> train_predictions;               // per training step: s1 after Predict (after the sigmoid on
                                                      // accuracy tasks), the value Learn sees
  std::vector<std::vector<float>> valid_predictions;  // per epoch validated: s1 of each validation example run
  TaskResult result;                                  // fitness, status and train steps, as an Evaluator reports them
};

// Runs `program` (compiled, verified) on `task` with the CPU reference interpreter in float32 or float64.
TaskTrace trace_task(const Program& program, uint32_t eval_seed, const Task& task, float max_abs_error, bool float64);

// The file: one "key values..." line each, numbers printed so they read back exactly (floats with 9 digits):
//   amlz-predictions 1
//   seed <evaluation seed>
//   tasks <count>
//   then per task:
//   task <index> features <F> eval <rms|accuracy> epochs <E> train <n_train> valid <n_valid> max_abs_error <m>
//   train_x <n_train*F floats, row-major>      train_y <n_train floats>
//   order <E*n_train example indices: the visiting order, epoch after epoch>
//   valid_x <n_valid*F floats>                 valid_y <n_valid floats>
//   train_predictions <one per training step run>
//   valid_predictions <epoch> <one per validation example run>      (a line per epoch validated)
//   result <fitness, 17 digits> <status: ok|non-finite|diverged|over-budget>
void write_trace(std::ostream& out, uint32_t eval_seed, const TaskSet& tasks, float max_abs_error,
                 const std::vector<TaskTrace>& traces);

// Traces every task and writes the file at `path` (amlz::Error if it cannot). With `check` (the evaluator's results
// for the same program and tasks, from a CPU backend), a fitness or status that differs from the trace's is an
// internal error: both come from the same interpreter and must agree to the bit.
void write_prediction_file(const std::string& path, const Program& program, uint32_t eval_seed, const TaskSet& tasks,
                           float max_abs_error, bool float64, const std::vector<TaskResult>* check);

}  // namespace amlz
