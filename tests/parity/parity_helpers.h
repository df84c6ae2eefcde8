// SPDX-License-Identifier: Apache-2.0
// What the two parity suites (tests/parity/: the CUDA evaluator, on a GPU or the warp emulator; tests/eval/: the
// vector interpreter) share: task specs, candidates and batches, the mutator settings of their random programs, and
// how a result is printed when two backends disagree.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/core/program.h"
#include "amlz/core/search_rng.h"
#include "amlz/eval/evaluator.h"
#include "amlz/search/mutator.h"
#include "amlz/tasks/task.h"
#include "test_util.h"

namespace amlz::test {

// Binary classification with 0/1 labels: x ~ N(0,1), label = [w.x > 0] for a random w.
inline TaskSpec accuracy_spec(int features, int tasks, int train, int epochs, int valid, uint64_t seed) {
  SearchRng rng(seed);
  std::vector<float> w(static_cast<size_t>(features));
  for (float& v : w) v = static_cast<float>(rng.gaussian());
  auto make = [&](int n, std::vector<float>& x, std::vector<float>& y) {
    for (int k = 0; k < n; ++k) {
      double dot = 0.0;
      for (int j = 0; j < features; ++j) {
        const float v = static_cast<float>(rng.gaussian());
        x.push_back(v);
        dot += static_cast<double>(v) * w[static_cast<size_t>(j)];
      }
      y.push_back(dot > 0.0 ? 1.0f : 0.0f);
    }
  };
  std::vector<float> tx, ty, vx, vy;
  make(train, tx, ty);
  make(valid, vx, vy);
  TaskSpec s = fixed_spec(features, tx, ty, vx, vy, EvalType::Accuracy);
  s.num_tasks = tasks;
  s.num_epochs = epochs;
  return s;
}

inline TaskSpec spec(TaskType type, int features, int tasks, int train, int epochs, int valid) {
  TaskSpec s = regression_spec(type, features, tasks, train, valid);
  s.num_epochs = epochs;
  return s;
}

struct Candidate {
  Algorithm algorithm;
  Program program;
};

inline ProgramBatch batch_of(const std::vector<Candidate>& cands, uint32_t seed) {
  ProgramBatch b;
  for (size_t i = 0; i < cands.size(); ++i) b.add(cands[i].program, seed + static_cast<uint32_t>(i));
  return b;
}

inline MutatorOptions mutator_options(const OpLists& ops, const AddressSpace& space) {
  MutatorOptions mo;
  for (int t = 0; t < kNumMutationTypes; ++t) mo.types.push_back(static_cast<MutationType>(t));
  mo.mutate_prob = 1.0;
  mo.ops = ops;
  mo.space = space;
  mo.min_sizes = {0, 1, 0};
  mo.max_sizes = {10, 14, 18};
  return mo;
}

inline std::string describe(const TaskResult& r) {
  std::ostringstream os;
  os.precision(17);
  os << enum_name(r.status) << " steps=" << r.train_steps << " fitness=" << r.fitness << " fingerprint=" << std::hex
     << r.fingerprint;
  return os.str();
}

}  // namespace amlz::test
