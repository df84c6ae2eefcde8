// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the test binaries: building tasks and algorithms and evaluating them in one call.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/generator.h"
#include "amlz/core/search_rng.h"
#include "amlz/eval/cpu_evaluator.h"
#include "amlz/eval/evaluator.h"
#include "amlz/eval/fitness.h"
#include "amlz/tasks/task.h"

namespace amlz::test {

inline Algorithm parse(const std::string& text) { return parse_algorithm(text, "test"); }

inline void expect_contains(const std::string& haystack, const std::string& needle) {
  EXPECT_NE(haystack.find(needle), std::string::npos) << "'" << needle << "' not in:\n" << haystack;
}

// An instruction from its fields (unused ones 0), for tests that build programs field by field.
inline Instruction instr(Op op, int out, int in1 = 0, int in2 = 0, float d0 = 0, float d1 = 0, float d2 = 0) {
  Instruction in;
  in.op = op;
  in.out = static_cast<uint8_t>(out);
  in.in1 = static_cast<uint8_t>(in1);
  in.in2 = static_cast<uint8_t>(in2);
  in.data = {d0, d1, d2};
  return in;
}

inline TaskSpec regression_spec(TaskType type, int features, int num_tasks, int num_train, int num_valid) {
  TaskSpec s;
  s.type = type;
  s.features = features;
  s.num_tasks = num_tasks;
  s.num_train = num_train;
  s.num_valid = num_valid;
  return s;
}

// A unit_fixed task from explicit examples (F values per example).
inline TaskSpec fixed_spec(int features, std::vector<float> train_x, std::vector<float> train_y,
                           std::vector<float> valid_x, std::vector<float> valid_y, EvalType eval = EvalType::RmsError) {
  TaskSpec s;
  s.type = TaskType::UnitFixed;
  s.features = features;
  s.eval = eval;
  s.train_features = std::move(train_x);
  s.train_labels = std::move(train_y);
  s.valid_features = std::move(valid_x);
  s.valid_labels = std::move(valid_y);
  return s;
}

struct EvalSetup {
  Precision precision = Precision::Float32;
  EvalRequest request{};
  CompileOptions compile{};
  uint32_t eval_seed = 1;
  int threads = 1;
};

// Per-task results of one algorithm on every task of the set (full train and validation sizes).
inline std::vector<TaskResult> evaluate(const Algorithm& a, const TaskSet& tasks, const EvalSetup& setup = {}) {
  CompileOptions options = setup.compile;
  options.labels = tasks.labels();  // the tasks say where labels go
  const Program p = compile(a, options);
  if (auto problem = verify(p)) ADD_FAILURE() << "program fails verification: " << *problem;
  ProgramBatch batch;
  batch.add(p, setup.eval_seed);
  auto ev = make_cpu_evaluator({setup.threads, setup.precision});
  return ev->evaluate(batch, tasks, full_work_items(1, tasks), setup.request);
}

inline double mean_fitness(const std::vector<TaskResult>& results) {
  std::vector<double> f;
  for (const TaskResult& r : results) f.push_back(r.fitness);
  return combine_fitness(f, Combination::Mean);
}

inline double fitness(const Algorithm& a, const TaskSpec& spec, const EvalSetup& setup = {}) {
  return mean_fitness(evaluate(a, make_task_set(spec), setup));
}

// Synthetic multiclass tasks (vector labels) built directly, without dataset files: x ~ N(0,1)^F, class = argmax of
// (W x) over K rows of a random W (so the classes are learnable), one-hot label rows of F floats; epoch 0 in data
// order, later epochs shuffled. Task i has index i; the set gets a fresh id.
inline TaskSet multiclass_task_set(int features, int classes, int num_tasks, int num_train, int num_epochs,
                                   int num_valid, uint64_t seed) {
  static uint64_t next_id = uint64_t{1} << 40;  // apart from make_task_set's ids
  SearchRng rng(seed);
  const size_t f = static_cast<size_t>(features);
  TaskSet set;
  set.id = next_id++;
  for (int i = 0; i < num_tasks; ++i) {
    Task t;
    t.index = static_cast<uint32_t>(i);
    t.type = TaskType::ProjectedMulticlass;
    t.eval = EvalType::Accuracy;
    t.features = features;
    t.classes = classes;
    t.n_train = num_train;
    t.n_epochs = num_epochs;
    t.n_valid = num_valid;
    std::vector<double> w(static_cast<size_t>(classes) * f);
    for (double& v : w) v = rng.gaussian();
    auto make = [&](int n, std::vector<float>& x, std::vector<float>& y) {
      for (int k = 0; k < n; ++k) {
        const size_t row = x.size();
        for (size_t j = 0; j < f; ++j) x.push_back(static_cast<float>(rng.gaussian()));
        int best = 0;
        double best_score = -1e300;
        for (int c = 0; c < classes; ++c) {
          double score = 0.0;
          for (size_t j = 0; j < f; ++j) score += w[static_cast<size_t>(c) * f + j] * x[row + j];
          if (score > best_score) best_score = score, best = c;
        }
        for (size_t j = 0; j < f; ++j) y.push_back(static_cast<int>(j) == best ? 1.0f : 0.0f);
      }
    };
    make(num_train, t.train_x, t.train_y);
    make(num_valid, t.valid_x, t.valid_y);
    for (int e = 0; e < num_epochs; ++e) {
      std::vector<uint32_t> order(static_cast<size_t>(num_train));
      for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<uint32_t>(k);
      if (e > 0)
        for (size_t k = order.size(); k > 1; --k)
          std::swap(order[k - 1], order[rng.uniform_below(static_cast<uint32_t>(k))]);
      t.epoch_order.insert(t.epoch_order.end(), order.begin(), order.end());
    }
    set.tasks.push_back(std::move(t));
  }
  return set;
}

// Every op in every component.
inline OpLists all_ops() {
  std::vector<Op> ops;
  for (const OpInfo& info : kOpTable) ops.push_back(info.op);
  return {ops, ops, ops};
}

// The demo's six ops in every component (spec §12 run_demo.sh).
inline OpLists demo_ops() {
  const std::vector<Op> ops = {Op::ScalarConstSet, Op::VectorInnerProduct,  Op::ScalarDiff,
                               Op::ScalarProduct,  Op::ScalarVectorProduct, Op::VectorSum};
  return {ops, ops, ops};
}

}  // namespace amlz::test
