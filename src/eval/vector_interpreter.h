// SPDX-License-Identifier: Apache-2.0
// The CPU vector backend's interpreter: one program on up to kVectorLanes tasks at once, one SIMD lane per task (the
// CPU twin of the GPU's lanes over tasks). Each instruction is dispatched once for all lanes; a lane that stops early
// is masked out of the results. Built on Google Highway with runtime dispatch: one binary carries AVX-512, AVX2,
// SSE4 and portable code and runs the widest the machine has. Results are bit-identical to the scalar reference
// (cpu_interpreter.h) under the contract of cpu_numerics.h. Private to src/eval.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "amlz/core/bytecode.h"
#include "amlz/core/philox.h"
#include "amlz/eval/evaluator.h"
#include "amlz/tasks/task.h"

namespace amlz::cpu {

// Tasks per lane group: 16 floats are one AVX-512 register, two AVX2 ones, four SSE ones.
inline constexpr int kVectorLanes = 16;

// One program on up to kVectorLanes work items whose schedules are identical: same feature size, examples per
// epoch, epochs, effective training steps (> 0) and validation steps, same eval type and number of classes. The tasks
// themselves (data, epoch orders, validation-set size, index) may differ per lane.
struct LaneGroup {
  const Instr* code = nullptr;
  const ProgramDesc* desc = nullptr;
  const EvalRequest* request = nullptr;
  int lanes = 0;             // 1..kVectorLanes
  uint32_t train_steps = 0;  // min(item's train_steps, task's examples x epochs), > 0
  uint32_t valid_steps = 0;  // min(item's valid_steps, task's validation size)
  const Task* tasks[kVectorLanes] = {};
  TaskResult* results[kVectorLanes] = {};
  // Optional: the examples the group reads, already in lane layout (arrange_examples). Groups of several programs
  // on the same tasks share one arrangement; without one, each step gathers its example lane by lane. Multiclass
  // groups (one-hot labels of F floats) always gather.
  const float* examples = nullptr;
};

// Floats arrange_examples() writes for `group`: (train_steps + valid_steps) x (F + 1) rows of kVectorLanes.
size_t arranged_examples_size(const LaneGroup& group);
// Writes every example the group reads, in the order it reads them, as rows of kVectorLanes floats (lane l = task
// l, unused lanes 0): for each training step (each lane in its task's epoch order) the F feature rows, then the
// label row; then the same for each validation example. `out` is 64-byte aligned.
void arrange_examples(const LaneGroup& group, float* out);

// Scratch memory one thread reuses from one group to the next.
class VectorWorkspace {
 public:
  VectorWorkspace();
  ~VectorWorkspace();
  VectorWorkspace(VectorWorkspace&&) noexcept;
  VectorWorkspace& operator=(VectorWorkspace&&) noexcept;
  // At least `floats` 64-byte aligned floats, contents unspecified (kept from before when the buffer is big enough).
  float* reserve(size_t floats);

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> buffer_;
  size_t size_ = 0;
};

// Runs the group and writes each lane's result, exactly as execute_task() would for that lane's item alone.
void run_lane_group(const LaneGroup& group, VectorWorkspace& workspace);

// Tests: runs code[0..n) on lane memory in the layout the vector interpreter keeps: every scalar, vector element
// and matrix element (row-major) is a row of kVectorLanes floats, scalars first, then vectors, then matrices, as
// many as `desc` counts; `memory` is 64-byte aligned. Lanes >= `lanes` are computed but ignored. Random ops draw
// from `stream` with task index task_index[l] in lane l.
void execute_for_test(const ProgramDesc& desc, int features, const Instr* code, int n, float* memory, int lanes,
                      const uint32_t* task_index, const RandomStream& stream);

// The SIMD target dispatch picks on this machine now, e.g. "AVX3" (AVX-512), "AVX2", "SSE4", "EMU128".
std::string vector_target();
// Every target compiled into this binary that this machine can run, best first.
std::vector<std::string> vector_targets_available();
// Tests: restricts dispatch to one target of vector_targets_available() ("" restores the machine's best).
void force_vector_target(const std::string& name);

}  // namespace amlz::cpu
