// SPDX-License-Identifier: Apache-2.0
// CpuEvaluator: spreads work items over a thread pool; each thread owns one interpreter per (precision, F).
#include "amlz/eval/cpu_evaluator.h"

#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "amlz/core/features.h"
#include "amlz/error.h"
#include "eval/cpu_interpreter.h"
#include "eval/thread_pool.h"

namespace amlz {
namespace {

// One interpreter per feature size of kFeatureSizes: each owns the memory it reuses from one work item to the next.
template <class T, size_t... I>
auto interpreters_for(std::index_sequence<I...>) -> std::tuple<cpu::Interpreter<T, kFeatureSizes[I]>...>;
template <class T>
using Interpreters = decltype(interpreters_for<T>(std::make_index_sequence<std::size(kFeatureSizes)>{}));

// What one worker thread owns.
struct Workspace {
  Interpreters<float> f32;
  Interpreters<double> f64;
};

template <class T>
TaskResult run_item(Interpreters<T>& its, const ProgramBatch& batch, const TaskSet& tasks, const WorkItem& w,
                    const EvalRequest& req) {
  const ProgramDesc& d = batch.programs[w.program];
  const Instr* code = batch.code_of(w.program);
  const Task& t = tasks.tasks[w.task];
  return with_features(t.features, [&](auto f) {
    return cpu::execute_task(std::get<cpu::Interpreter<T, decltype(f)::value>>(its), code, d, t, w, req);
  });
}

class CpuEvaluator final : public Evaluator {
 public:
  explicit CpuEvaluator(const CpuEvaluatorOptions& o)
      : options_(o), pool_(o.threads), workspaces_(static_cast<size_t>(pool_.size())) {}

  Backend backend() const override { return Backend::Cpu; }
  std::string describe() const override {
    return "cpu (" + std::to_string(pool_.size()) + (pool_.size() == 1 ? " thread, " : " threads, ") +
           (options_.precision == Precision::Float64 ? "float64)" : "float32)");
  }

  std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                                   const EvalRequest& req) override {
    check_evaluation_input(batch, tasks, items);
    std::vector<TaskResult> results(items.size());
    const bool f64 = options_.precision == Precision::Float64;
    pool_.parallel_for(items.size(), 16, [&](int worker, size_t i) {
      Workspace& ws = workspaces_[static_cast<size_t>(worker)];
      results[i] = f64 ? run_item<double>(ws.f64, batch, tasks, items[i], req)
                       : run_item<float>(ws.f32, batch, tasks, items[i], req);
    });
    return results;
  }

 private:
  CpuEvaluatorOptions options_;
  ThreadPool pool_;
  std::vector<Workspace> workspaces_;  // one per pool thread
};

}  // namespace

std::unique_ptr<Evaluator> make_cpu_evaluator(const CpuEvaluatorOptions& options) {
  return std::make_unique<CpuEvaluator>(options);
}

}  // namespace amlz
