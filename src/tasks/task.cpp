// SPDX-License-Identifier: Apache-2.0
// Materialises task data from a TaskSpec. Stream tags are the original's per-task-type seed offsets, so each
// (seed, task type, purpose) has its own independent Philox stream.
#include "amlz/tasks/task.h"

#include <atomic>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "amlz/core/features.h"
#include "amlz/core/philox.h"
#include "amlz/error.h"
#include "amlz/tasks/projected_binary.h"
#include "amlz/tasks/task_seeds.h"

namespace amlz {

namespace {

constexpr uint32_t kLinearDataTag = 939723201u;
constexpr uint32_t kLinearParamTag = 997958712u;
constexpr uint32_t kNnDataTag = 865546086u;
constexpr uint32_t kNnParamTag = 174299604u;
constexpr uint32_t kShuffleTag = 3274582109u;

void fill_gaussian(std::vector<float>& x, size_t n, PhiloxStream& rng) {
  x.resize(n);
  for (float& v : x) v = static_cast<float>(rng.gaussian());
}

// Features ~ N(0,1): all training vectors first, then validation vectors, each filled element 0..F-1.
void gaussian_features(Task& t, uint32_t tag) {
  PhiloxStream rng(t.data_seed, tag);
  fill_gaussian(t.train_x, static_cast<size_t>(t.n_train) * t.features, rng);
  fill_gaussian(t.valid_x, static_cast<size_t>(t.n_valid) * t.features, rng);
}

template <class Label>
void label_all(Task& t, Label label) {
  const size_t f = static_cast<size_t>(t.features);
  t.train_y.resize(static_cast<size_t>(t.n_train));
  t.valid_y.resize(static_cast<size_t>(t.n_valid));
  for (size_t i = 0; i < t.train_y.size(); ++i) t.train_y[i] = label(&t.train_x[i * f]);
  for (size_t i = 0; i < t.valid_y.size(); ++i) t.valid_y[i] = label(&t.valid_x[i * f]);
}

void make_regression(Task& t, bool affine) {
  gaussian_features(t, kLinearDataTag);
  PhiloxStream prng(t.param_seed, kLinearParamTag);
  std::vector<double> w(static_cast<size_t>(t.features));
  for (double& v : w) v = prng.gaussian();
  const double b = affine ? prng.gaussian() : 0.0;
  label_all(t, [&](const float* x) {
    double y = b;
    for (size_t j = 0; j < w.size(); ++j) y += w[j] * x[j];
    return static_cast<float>(y);
  });
}

void make_nn_teacher(Task& t) {
  gaussian_features(t, kNnDataTag);
  PhiloxStream prng(t.param_seed, kNnParamTag);
  const size_t f = static_cast<size_t>(t.features);
  std::vector<double> w(f * f), u(f);
  for (double& v : w) v = prng.gaussian();
  for (double& v : u) v = prng.gaussian();
  for (size_t j = 0; j < f; ++j) w[0 * f + j] = w[2 * f + j] = 0.0;  // rows 0 and 2 off, as the original
  u[0] = u[2] = 0.0;
  label_all(t, [&](const float* x) {
    double y = 0.0;
    for (size_t i = 0; i < f; ++i) {
      double h = 0.0;
      for (size_t j = 0; j < f; ++j) h += w[i * f + j] * x[j];
      y += u[i] * (h > 0.0 ? h : 0.0);
    }
    return static_cast<float>(y);
  });
}

void make_constant(Task& t, float value) {
  t.train_x.assign(static_cast<size_t>(t.n_train) * t.features, value);
  t.valid_x.assign(static_cast<size_t>(t.n_valid) * t.features, value);
  t.train_y.assign(static_cast<size_t>(t.n_train), value);
  t.valid_y.assign(static_cast<size_t>(t.n_valid), value);
}

void make_increment(Task& t, float inc) {
  auto fill = [&](std::vector<float>& x, std::vector<float>& y, int n) {
    x.resize(static_cast<size_t>(n) * t.features);
    y.resize(static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) {
      const float v = static_cast<float>(k) * inc;
      y[static_cast<size_t>(k)] = v;
      for (int j = 0; j < t.features; ++j) x[static_cast<size_t>(k) * t.features + j] = v;
    }
  };
  fill(t.train_x, t.train_y, t.n_train);
  fill(t.valid_x, t.valid_y, t.n_valid);
}

// Epoch 0 visits examples in data order; each later epoch is a fresh Fisher-Yates shuffle.
void make_epoch_orders(Task& t) {
  const size_t n = static_cast<size_t>(t.n_train);
  t.epoch_order.resize(n * static_cast<size_t>(t.n_epochs));
  for (int e = 0; e < t.n_epochs; ++e) {
    uint32_t* order = &t.epoch_order[static_cast<size_t>(e) * n];
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    if (e == 0) continue;
    PhiloxStream rng(t.data_seed, kShuffleTag + static_cast<uint32_t>(e));
    for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.uniform_below(static_cast<uint32_t>(i + 1))]);
  }
}

uint64_t next_task_set_id() {
  static std::atomic<uint64_t> counter{1};
  return counter++;
}

}  // namespace

void validate(const TaskSpec& s, const std::string& where) {
  auto fail = [&](const std::string& what) { throw ConfigError(where + ": " + what); };
  if (!is_supported_features(s.features))
    fail("features = " + std::to_string(s.features) + " is not supported; use 2, 4, 8, 16 or 32");
  if (s.num_tasks <= 0) fail("num_tasks must be positive (got " + std::to_string(s.num_tasks) + ")");
  if (s.num_epochs <= 0) fail("num_epochs must be positive (got " + std::to_string(s.num_epochs) + ")");
  if (s.type == TaskType::NnTeacher && s.features < 4)
    fail("nn_teacher tasks need features >= 4 (rows 0 and 2 of the teacher are zeroed)");
  if (s.type == TaskType::UnitFixed) {
    const size_t f = static_cast<size_t>(s.features);
    if (s.train_labels.empty() || s.valid_labels.empty()) fail("unit_fixed tasks need train_labels and valid_labels");
    if (s.train_features.size() != s.train_labels.size() * f)
      fail("train_features must hold features x len(train_labels) = " + std::to_string(s.train_labels.size() * f) +
           " values (got " + std::to_string(s.train_features.size()) + ")");
    if (s.valid_features.size() != s.valid_labels.size() * f)
      fail("valid_features must hold features x len(valid_labels) = " + std::to_string(s.valid_labels.size() * f) +
           " values (got " + std::to_string(s.valid_features.size()) + ")");
  } else {
    if (s.num_train <= 0) fail("num_train must be positive (got " + std::to_string(s.num_train) + ")");
    if (s.num_valid <= 0) fail("num_valid must be positive (got " + std::to_string(s.num_valid) + ")");
  }
  if (s.type == TaskType::Linear || s.type == TaskType::Affine || s.type == TaskType::NnTeacher) {
    if (s.eval != EvalType::RmsError) fail(std::string(enum_name(s.type)) + " tasks are scored by eval = \"rms\"");
  }
  if (s.type == TaskType::ProjectedBinary || s.type == TaskType::ProjectedMulticlass) validate_projected(s, where);
}

TaskSet make_task_set(const TaskSpec& spec, const TaskBuildControl& control) {
  validate(spec, "task spec");
  auto check_stop = [&] {
    if (control.stop && control.stop->load()) throw Interrupted();
  };
  check_stop();
  TaskSet set;
  set.id = next_task_set_id();
  // Real-data tasks are made together: one cache lookup each, then one decode per dataset for the rest.
  std::vector<ProjectedData> projected;
  if (spec.type == TaskType::ProjectedBinary || spec.type == TaskType::ProjectedMulticlass)
    projected = make_projected_tasks(spec);
  for (int i = 0; i < spec.num_tasks; ++i) {
    check_stop();
    Task t;
    t.index = static_cast<uint32_t>(i);
    t.type = spec.type;
    t.eval = spec.eval;
    t.features = spec.features;
    t.n_epochs = spec.num_epochs;
    t.param_seed = task_param_seed(spec, i);
    t.data_seed = task_data_seed(spec, i);
    t.n_train = spec.type == TaskType::UnitFixed ? static_cast<int>(spec.train_labels.size()) : spec.num_train;
    t.n_valid = spec.type == TaskType::UnitFixed ? static_cast<int>(spec.valid_labels.size()) : spec.num_valid;
    switch (spec.type) {
      case TaskType::Linear: make_regression(t, false); break;
      case TaskType::Affine: make_regression(t, true); break;
      case TaskType::NnTeacher: make_nn_teacher(t); break;
      case TaskType::UnitZeros: make_constant(t, 0.0f); break;
      case TaskType::UnitOnes: make_constant(t, 1.0f); break;
      case TaskType::UnitIncrement: make_increment(t, spec.increment); break;
      case TaskType::ProjectedMulticlass: t.classes = spec.classes; [[fallthrough]];
      case TaskType::ProjectedBinary: {
        ProjectedData& d = projected[static_cast<size_t>(i)];
        t.train_x = std::move(d.train_x);
        t.train_y = std::move(d.train_y);
        t.valid_x = std::move(d.valid_x);
        t.valid_y = std::move(d.valid_y);
        break;
      }
      case TaskType::UnitFixed:
        t.train_x = spec.train_features;
        t.train_y = spec.train_labels;
        t.valid_x = spec.valid_features;
        t.valid_y = spec.valid_labels;
        break;
    }
    make_epoch_orders(t);
    set.tasks.push_back(std::move(t));
    if (control.progress) control.progress(set.tasks.size(), static_cast<size_t>(spec.num_tasks));
  }
  return set;
}

}  // namespace amlz
