// SPDX-License-Identifier: Apache-2.0
// Validation of a whole Config: every value and the combinations between them, with the key named in the error.
#include "amlz/config.h"

#include <cmath>
#include <string>

#include "amlz/error.h"

namespace amlz {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) { throw ConfigError(key + ": " + what); }

void check_range(const std::string& key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    fail(key, "must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (got " + std::to_string(v) + ")");
}

const char* section_key(Component c) {
  switch (c) {
    case Component::Setup: return "algorithm.setup";
    case Component::Predict: return "algorithm.predict";
    case Component::Learn: break;
  }
  return "algorithm.learn";
}

int size_of(const ComponentSizes& s, Component c) {
  return c == Component::Setup ? s.setup : c == Component::Predict ? s.predict : s.learn;
}

void validate_algorithm(const Config& c) {
  const AlgorithmConfig& a = c.algorithm;
  for (Component comp : kAllComponents) {
    const std::string prefix = section_key(comp);
    const auto& ops = a.ops[static_cast<int>(comp)];
    for (Op op : ops)
      if (!op_fits(op, c.memory))
        fail(prefix + "_ops", std::string(op_name(op)) + " needs an output address the memory does not have (memory: " +
                                  std::to_string(c.memory.scalars) + " scalars, " + std::to_string(c.memory.vectors) +
                                  " vectors, " + std::to_string(c.memory.matrices) + " matrices)");
    const int init = size_of(a.init_sizes, comp), lo = size_of(a.min_sizes, comp), hi = size_of(a.max_sizes, comp);
    if (init < 0 || init >= static_cast<int>(kMaxComponentSize)) fail(prefix + "_size", "out of range");
    if (lo < 0) fail(prefix + "_min_size", "must not be negative");
    if (hi < 0) fail(prefix + "_max_size", "must not be negative (0 = unbounded)");
    if (hi > 0 && lo > hi) fail(prefix + "_min_size", "is larger than " + prefix + "_max_size");
    if (a.initial == InitialAlgorithm::Random && init > 0 && ops.empty())
      fail(prefix + "_ops",
           "is empty but algorithm.initial = \"random\" needs ops to fill " + std::to_string(init) + " instructions");
  }
  const AddressSpace need = required_space(a.initial);
  if (c.memory.scalars < need.scalars || c.memory.vectors < need.vectors || c.memory.matrices < need.matrices)
    fail("algorithm.initial", std::string("\"") + enum_name(a.initial) + "\" needs at least " +
                                  std::to_string(need.scalars) + " scalars, " + std::to_string(need.vectors) +
                                  " vectors and " + std::to_string(need.matrices) + " matrices in [memory]");
}

void validate_fec(const Config& c) {
  const FecConfig& f = c.fec;
  if (!f.enabled) return;
  if (f.num_train <= 0) fail("fec.num_train", "must be positive");
  if (f.num_valid <= 0) fail("fec.num_valid", "must be positive");
  if (f.num_train > 100 || f.num_valid > 100)
    fail("fec.num_train", "FEC records at most 100 train and 100 valid errors");
  if (f.cache_size <= 1) fail("fec.cache_size", "must be greater than 1");
  if (f.forget_every == 1 || f.forget_every < 0) fail("fec.forget_every", "must be 0 (never) or greater than 1");
  const TaskSpec& s = c.search_tasks;
  if (s.type != TaskType::UnitFixed) {
    if (f.num_train > s.num_train * s.num_epochs)
      fail("fec.num_train",
           "exceeds the search tasks' training examples (" + std::to_string(s.num_train * s.num_epochs) + ")");
    if (f.num_valid > s.num_valid)
      fail("fec.num_valid", "exceeds the search tasks' validation examples (" + std::to_string(s.num_valid) + ")");
  }
}

}  // namespace

void validate(const Config& c, ConfigUse use) {
  check_range("memory.scalars", c.memory.scalars, 2, kMaxAddresses);
  check_range("memory.vectors", c.memory.vectors, 1, kMaxAddresses);
  check_range("memory.matrices", c.memory.matrices, 0, kMaxAddresses);
  validate(c.search_tasks, "search_tasks");
  validate(c.select_tasks, "select_tasks");
  validate(c.final_tasks, "final_tasks");
  if (!(c.max_abs_error > 0)) fail("evaluation.max_abs_error", "must be positive");
  if (c.backend != "auto" && c.backend != "cpu" && c.backend != "cuda")
    fail("backend", "must be auto, cpu or cuda (got '" + c.backend + "')");
  if (use == ConfigUse::Evaluate) return;

  validate_algorithm(c);

  const EvolutionConfig& e = c.evolution;
  if (e.population_size < 1) fail("evolution.population_size", "must be at least 1");
  if (e.tournament_size < 1) fail("evolution.tournament_size", "must be at least 1");
  check_range("evolution.mutate_prob", e.mutate_prob, 0.0, 1.0);
  if (e.search == SearchKind::Evolution && e.mutations.empty()) fail("evolution.mutations", "must not be empty");
  if (e.batch_size < 0) fail("evolution.batch_size", "must be 0 (automatic) or positive");
  if (e.max_train_steps <= 0) fail("evolution.max_train_steps", "must be positive");
  if (e.progress_every <= 0) fail("evolution.progress_every", "must be positive");
  if (c.algorithm.ops[0].empty() && c.algorithm.ops[1].empty() && c.algorithm.ops[2].empty() &&
      e.search == SearchKind::Evolution)
    fail("algorithm.setup_ops", "every component's op list is empty: nothing could ever mutate");
  validate_fec(c);
  if (c.train_budget.enabled && !(c.train_budget.threshold_factor > 0))
    fail("train_budget.threshold_factor", "must be positive");
  if (c.experiment.max_experiments < 0) fail("experiment.max_experiments", "must be 0 (unlimited) or positive");
  if (c.experiment.max_experiments == 0 &&
      !(c.experiment.sufficient_fitness > 0 && std::isfinite(c.experiment.sufficient_fitness)))
    fail("experiment.max_experiments", "0 (unlimited) needs a positive, finite experiment.sufficient_fitness to stop");
  if (c.max_seconds < 0) fail("max_seconds", "must not be negative");
}

}  // namespace amlz
