// SPDX-License-Identifier: Apache-2.0
// CpuEvaluator: spreads work over a thread pool. The reference interpreter takes one work item at a time; the vector
// interpreter takes lane groups (one program on up to 16 tasks whose schedules match), which this file forms.
#include "amlz/eval/cpu_evaluator.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "amlz/core/features.h"
#include "amlz/error.h"
#include "amlz/thread_pool.h"
#include "eval/cpu_interpreter.h"
#include "eval/vector_interpreter.h"

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
  cpu::VectorWorkspace vector;
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

// The part of a work item's schedule that lanes of one group must share; everything else may differ per lane.
struct Schedule {
  int features, n_train, n_epochs;
  uint32_t train_steps, valid_steps;  // effective: capped by the task
  EvalType eval;
  int classes;  // multiclass K (0: scalar labels)
  bool operator==(const Schedule& o) const {
    return features == o.features && n_train == o.n_train && n_epochs == o.n_epochs && train_steps == o.train_steps &&
           valid_steps == o.valid_steps && eval == o.eval && classes == o.classes;
  }
};

Schedule schedule_of(const WorkItem& w, const Task& t) {
  return {t.features,
          t.n_train,
          t.n_epochs,
          std::min(w.train_steps, t.max_train_steps()),
          std::min<uint32_t>(w.valid_steps, static_cast<uint32_t>(t.n_valid)),
          t.eval,
          t.classes};
}

class CpuEvaluator final : public Evaluator {
 public:
  explicit CpuEvaluator(const CpuEvaluatorOptions& o)
      : options_(o), pool_(o.threads), workspaces_(static_cast<size_t>(pool_.size())) {}

  Backend backend() const override { return Backend::Cpu; }
  std::string describe() const override {
    std::string s = "cpu (";
    if (precision() == Precision::Float64)
      s += "reference interpreter, ";
    else if (vector())
      s += "vector interpreter " + cpu::vector_target() + " x" + std::to_string(cpu::kVectorLanes) + " lanes, ";
    else
      s += "reference interpreter, ";
    s += std::to_string(pool_.size()) + (pool_.size() == 1 ? " thread, " : " threads, ");
    return s + (precision() == Precision::Float64 ? "float64)" : "float32)");
  }

  std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                                   const EvalRequest& req) override {
    check_evaluation_input(batch, tasks, items);
    std::vector<TaskResult> results(items.size());
    if (vector()) {
      evaluate_vector(batch, tasks, items, req, results);
      return results;
    }
    const bool f64 = precision() == Precision::Float64;
    pool_.parallel_for(items.size(), 16, [&](int worker, size_t i) {
      Workspace& ws = workspaces_[static_cast<size_t>(worker)];
      results[i] = f64 ? run_item<double>(ws.f64, batch, tasks, items[i], req)
                       : run_item<float>(ws.f32, batch, tasks, items[i], req);
    });
    return results;
  }

 private:
  Precision precision() const { return options_.precision; }
  bool vector() const { return options_.interpreter == CpuInterpreter::Vector && precision() == Precision::Float32; }

  // Groups the items of each program by schedule, at most kVectorLanes per group, and runs the groups in parallel.
  // Which items share a group never changes a result: lanes only share the instruction stream.
  void evaluate_vector(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                       const EvalRequest& req, std::vector<TaskResult>& results) {
    // Items bucketed by program (a counting sort, stable), so grouping is linear in the number of items.
    by_program_start_.assign(batch.size() + 1, 0);
    for (const WorkItem& w : items) ++by_program_start_[w.program + 1];
    for (size_t p = 0; p < batch.size(); ++p) by_program_start_[p + 1] += by_program_start_[p];
    by_program_.resize(items.size());
    fill_.assign(by_program_start_.begin(), by_program_start_.end() - 1);
    for (size_t i = 0; i < items.size(); ++i) by_program_[fill_[items[i].program]++] = static_cast<uint32_t>(i);

    groups_.clear();
    for (size_t p = 0; p < batch.size(); ++p) {
      const size_t first_group = groups_.size();
      for (uint32_t k = by_program_start_[p]; k < by_program_start_[p + 1]; ++k) {
        const uint32_t i = by_program_[k];
        const WorkItem& w = items[i];
        const Task& t = tasks.tasks[w.task];
        if (w.train_steps == 0) {  // rejected by the budget: only Setup would run, nothing of it is observable
          results[i].status = EvalStatus::OverBudget;
          continue;
        }
        const Schedule s = schedule_of(w, t);
        // This program's open group with the same schedule (almost always the last one), else a new group.
        size_t g = groups_.size();
        for (size_t c = groups_.size(); c-- > first_group;)
          if (groups_[c].lanes < cpu::kVectorLanes && schedules_[c] == s) {
            g = c;
            break;
          }
        if (g == groups_.size()) {
          groups_.emplace_back();
          schedules_.resize(groups_.size());
          schedules_[g] = s;
          cpu::LaneGroup& n = groups_[g];
          n.code = batch.code_of(static_cast<uint32_t>(p));
          n.desc = &batch.programs[p];
          n.request = &req;
          n.train_steps = s.train_steps;
          n.valid_steps = s.valid_steps;
        }
        cpu::LaneGroup& group = groups_[g];
        group.tasks[group.lanes] = &t;
        group.results[group.lanes] = &results[i];
        ++group.lanes;
      }
    }
    share_arranged_examples();
    pool_.parallel_for(groups_.size(), 1, [&](int worker, size_t g) {
      cpu::run_lane_group(groups_[g], workspaces_[static_cast<size_t>(worker)].vector);
    });
  }

  // Groups of different programs on the same tasks (in a search: every candidate of a batch) read the same examples:
  // those are arranged in lane layout once and shared, instead of each group gathering every step's example lane by
  // lane. Arranging costs about one group's gathering, so only arrangements read by kMinSharing groups or more are
  // built (measured: in a FEC search the full evaluations of the few misses of a batch gain nothing from sharing
  // among 2 or 3 groups), and none above kMaxArrangedFloats (long tasks of large F: memory for little gain); other
  // groups gather.
  static constexpr size_t kMinSharing = 4;
  static constexpr size_t kMaxArrangedFloats = size_t{16} << 20;  // 64 MB
  static constexpr size_t kRecentCompositions = 8;
  void share_arranged_examples() {
    auto same_examples = [](const cpu::LaneGroup& a, const cpu::LaneGroup& b) {
      return a.lanes == b.lanes && a.train_steps == b.train_steps && a.valid_steps == b.valid_steps &&
             std::equal(a.tasks, a.tasks + a.lanes, b.tasks);
    };
    // Which groups read the same examples: groups come program by program, so a group is compared with the few
    // most recent distinct compositions only.
    compositions_.clear();  // (a group of the composition, number of groups)
    composition_of_.resize(groups_.size());
    for (size_t g = 0; g < groups_.size(); ++g) {
      size_t c = compositions_.size();
      for (size_t k = compositions_.size(); k-- > 0 && compositions_.size() - k <= kRecentCompositions;)
        if (same_examples(groups_[compositions_[k].first], groups_[g])) {
          c = k;
          break;
        }
      if (c == compositions_.size()) compositions_.emplace_back(g, 0);
      ++compositions_[c].second;
      composition_of_[g] = c;
    }
    arrangement_of_.assign(compositions_.size(), kNoArrangement);
    size_t arrangements = 0;
    // Multiclass groups gather their examples (the arrangement holds one scalar label per step).
    for (size_t c = 0; c < compositions_.size(); ++c)
      if (compositions_[c].second >= kMinSharing && groups_[compositions_[c].first].tasks[0]->classes == 0 &&
          cpu::arranged_examples_size(groups_[compositions_[c].first]) <= kMaxArrangedFloats)
        arrangement_of_[c] = arrangements++;
    if (arranged_.size() < arrangements) arranged_.resize(arrangements);
    pool_.parallel_for(compositions_.size(), 1, [&](int, size_t c) {
      if (arrangement_of_[c] == kNoArrangement) return;
      const cpu::LaneGroup& first = groups_[compositions_[c].first];
      cpu::arrange_examples(first, arranged_[arrangement_of_[c]].reserve(cpu::arranged_examples_size(first)));
    });
    for (size_t g = 0; g < groups_.size(); ++g)
      if (const size_t a = arrangement_of_[composition_of_[g]]; a != kNoArrangement)
        groups_[g].examples = arranged_[a].reserve(0);
  }

  CpuEvaluatorOptions options_;
  ThreadPool pool_;
  std::vector<Workspace> workspaces_;  // one per pool thread
  // Reused by evaluate_vector (an evaluator is not called from two threads at once).
  std::vector<uint32_t> by_program_start_, fill_, by_program_;
  std::vector<cpu::LaneGroup> groups_;
  std::vector<Schedule> schedules_;
  static constexpr size_t kNoArrangement = SIZE_MAX;
  std::vector<std::pair<size_t, size_t>> compositions_;  // (a group reading these examples, number of such groups)
  std::vector<size_t> composition_of_, arrangement_of_;  // per group; per composition (or kNoArrangement)
  std::vector<cpu::VectorWorkspace> arranged_;           // the arranged examples, reused from call to call
};

}  // namespace

std::unique_ptr<Evaluator> make_cpu_evaluator(const CpuEvaluatorOptions& options) {
  return std::make_unique<CpuEvaluator>(options);
}

std::string cpu_backend_summary() {
  std::string targets;
  for (const std::string& t : cpu::vector_targets_available()) targets += (targets.empty() ? "" : ", ") + t;
  return "vector interpreter, " + std::to_string(cpu::kVectorLanes) + " lanes of " + cpu::vector_target() +
         " (this machine runs: " + targets + "); --backend cpu-reference: the scalar reference interpreter";
}

}  // namespace amlz
