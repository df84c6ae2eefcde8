// SPDX-License-Identifier: Apache-2.0
// CpuEvaluator: spreads work items over a thread pool; each thread owns one interpreter per (precision, F).
#include "amlz/eval/cpu_evaluator.h"

#include <string>

#include "amlz/error.h"
#include "eval/thread_pool.h"
#include "eval/cpu_interpreter.h"

namespace amlz {
namespace {

template <class T>
struct Interpreters {
  cpu::Interpreter<T, 2> f2;
  cpu::Interpreter<T, 4> f4;
  cpu::Interpreter<T, 8> f8;
  cpu::Interpreter<T, 16> f16;
  cpu::Interpreter<T, 32> f32;
};

template <class T>
TaskResult run_item(const ProgramBatch& batch, const TaskSet& tasks, const WorkItem& w, const EvalRequest& req) {
  thread_local Interpreters<T> its;
  const ProgramDesc& d = batch.programs[w.program];
  const Instr* code = batch.code_of(w.program);
  const Task& t = tasks.tasks[w.task];
  switch (t.features) {
    case 2: return cpu::execute_task(its.f2, code, d, t, w, req);
    case 4: return cpu::execute_task(its.f4, code, d, t, w, req);
    case 8: return cpu::execute_task(its.f8, code, d, t, w, req);
    case 16: return cpu::execute_task(its.f16, code, d, t, w, req);
    case 32: return cpu::execute_task(its.f32, code, d, t, w, req);
    default: break;
  }
  throw Error("unsupported feature size " + std::to_string(t.features));
}

class CpuEvaluator final : public Evaluator {
 public:
  explicit CpuEvaluator(const CpuEvaluatorOptions& o) : options_(o), pool_(o.threads) {}

  Backend backend() const override { return Backend::Cpu; }
  std::string describe() const override {
    return "cpu (" + std::to_string(pool_.size()) + (pool_.size() == 1 ? " thread, " : " threads, ") +
           (options_.precision == Precision::Float64 ? "float64)" : "float32)");
  }

  std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                                   const EvalRequest& req) override {
    for (const WorkItem& w : items)
      AMLZ_CHECK(w.program < batch.size() && w.task < tasks.size(), "work item out of range");
    std::vector<TaskResult> results(items.size());
    const bool f64 = options_.precision == Precision::Float64;
    pool_.parallel_for(items.size(), 16, [&](size_t i) {
      results[i] = f64 ? run_item<double>(batch, tasks, items[i], req) : run_item<float>(batch, tasks, items[i], req);
    });
    return results;
  }

 private:
  CpuEvaluatorOptions options_;
  ThreadPool pool_;
};

}  // namespace

std::unique_ptr<Evaluator> make_cpu_evaluator(const CpuEvaluatorOptions& options) {
  return std::make_unique<CpuEvaluator>(options);
}

}  // namespace amlz
