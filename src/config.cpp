// SPDX-License-Identifier: Apache-2.0
// Validation of a whole Config: every value and the combinations between them, with the key named in the error.
#include "amlz/config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <utility>

#include "amlz/error.h"

namespace amlz {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) { throw ConfigError(key, what); }

void check_range(const std::string& key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    fail(key, "must lie in [" + format_number(lo) + ", " + format_number(hi) + "] (got " + format_number(v) + ")");
}

// The bounds of limits:: for one task section (the section's own checks are validate(TaskSpec)).
void check_task_limits(const TaskSpec& s, const std::string& section) {
  check_range(section + ".num_tasks", s.num_tasks, 1, limits::kTasks);
  check_range(section + ".num_epochs", s.num_epochs, 1, limits::kEpochs);
  if (s.type == TaskType::UnitFixed) return;  // sizes come from the explicit examples
  check_range(section + ".num_train", s.num_train, 1, limits::kExamples);
  check_range(section + ".num_valid", s.num_valid, 1, limits::kExamples);
  const double steps = static_cast<double>(s.num_train) * s.num_epochs;
  if (steps > static_cast<double>(limits::kTrainStepsPerTask))
    fail(section + ".num_epochs", "num_train x num_epochs = " + format_number(steps) +
                                      " training steps per task; at most " +
                                      format_number(static_cast<double>(limits::kTrainStepsPerTask)));
}

double task_set_bytes(const TaskSpec& s) {
  const bool fixed = s.type == TaskType::UnitFixed;
  const double train = fixed ? static_cast<double>(s.train_labels.size()) : s.num_train;
  const double valid = fixed ? static_cast<double>(s.valid_labels.size()) : s.num_valid;
  const double label = label_kind(s.type) == LabelKind::Vector ? s.features : 1;  // one-hot rows of F floats
  // Features and labels of every example, and the epoch orders (one index per training step), in 4-byte words.
  return static_cast<double>(s.num_tasks) * 4.0 * ((train + valid) * (s.features + label) + train * s.num_epochs);
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
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
  AddressSpace space = c.memory;
  space.labels = label_kind(c.search_tasks.type);
  for (Component comp : kAllComponents) {
    const std::string prefix = section_key(comp);
    const auto& ops = a.ops[static_cast<int>(comp)];
    for (Op op : ops)
      if (!op_fits(op, space))
        fail(prefix + "_ops", std::string(op_name(op)) + " needs an output address the memory does not have (memory: " +
                                  std::to_string(c.memory.scalars) + " scalars, " + std::to_string(c.memory.vectors) +
                                  " vectors, " + std::to_string(c.memory.matrices) + " matrices)");
    const int init = size_of(a.init_sizes, comp), lo = size_of(a.min_sizes, comp), hi = size_of(a.max_sizes, comp);
    const int most = static_cast<int>(kMaxComponentSize) - 1;
    check_range(prefix + "_size", init, 0, most);
    check_range(prefix + "_min_size", lo, 0, most);
    check_range(prefix + "_max_size", hi, 0, most);
    if (hi > 0 && lo > hi) fail(prefix + "_min_size", "is larger than " + prefix + "_max_size");
    if (a.initial == InitialAlgorithm::Random && init > 0 && ops.empty())
      fail(prefix + "_ops",
           "is empty but algorithm.initial = \"random\" needs ops to fill " + std::to_string(init) + " instructions");
  }
  const AddressSpace need = required_space(a.initial);
  const bool hand_written = a.initial != InitialAlgorithm::NoOp && a.initial != InitialAlgorithm::Random;
  if (hand_written && need.labels != space.labels)
    fail("algorithm.initial", std::string("\"") + enum_name(a.initial) + "\" is written for " +
                                  (need.labels == LabelKind::Vector ? "projected_multiclass tasks (vector labels)"
                                                                    : "tasks of scalar labels") +
                                  ", but search_tasks.type is \"" + enum_name(c.search_tasks.type) + "\"" +
                                  (space.labels == LabelKind::Vector ? " (use \"neural_net_multiclass\")" : ""));
  if (c.train_budget.enabled && required_space(c.train_budget.baseline).labels != space.labels)
    fail("train_budget.baseline", std::string("\"") + enum_name(c.train_budget.baseline) +
                                      "\" is written for the other kind of labels than search_tasks.type's");
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
  check_range("fec.cache_size", f.cache_size, 2, limits::kFecCache);
  if (f.forget_every == 1 || f.forget_every < 0) fail("fec.forget_every", "must be 0 (never) or greater than 1");
  const TaskSpec& s = c.search_tasks;
  if (s.type != TaskType::UnitFixed) {
    if (f.num_train > static_cast<int64_t>(s.num_train) * s.num_epochs)
      fail("fec.num_train", "exceeds the search tasks' training examples (" +
                                format_number(static_cast<double>(s.num_train) * s.num_epochs) + ")");
    if (f.num_valid > s.num_valid)
      fail("fec.num_valid", "exceeds the search tasks' validation examples (" + std::to_string(s.num_valid) + ")");
  }
}

void validate_islands_and_hurdles(const Config& c) {
  const IslandsConfig& is = c.islands;
  check_range("islands.count", is.count, 1, limits::kIslands);
  check_range("islands.migrate_every", static_cast<double>(is.migrate_every), 0, 1e15);
  check_range("islands.migrants", is.migrants, 0, c.evolution.population_size);
  // Islands migrate between batches: a period that is not a whole number of batches would drift.
  if (is.count > 1 && is.migrate_every > 0 && c.evolution.batch_size > 0 &&
      is.migrate_every % c.evolution.batch_size != 0)
    fail("islands.migrate_every", "must be a multiple of evolution.batch_size (" +
                                      std::to_string(c.evolution.batch_size) + "): islands migrate between batches");
  const HurdlesConfig& h = c.hurdles;
  if (!h.enabled) return;
  check_range("hurdles.percentile", h.percentile, 0, 100);
  check_range("hurdles.min_samples", h.min_samples, 1, limits::kPopulation);
  const int tasks = c.search_tasks.num_tasks;
  int previous = 0;
  for (int t : h.stage_tasks) {
    if (t <= previous || t >= tasks)
      fail("hurdles.stage_tasks",
           "stage ends must rise strictly and stay below search_tasks.num_tasks (" + std::to_string(tasks) + ")");
    previous = t;
  }
}

void validate_search(const Config& c) {
  check_range("max_seconds", c.max_seconds, 0, limits::kSeconds);
  check_range("checkpoint_every", c.checkpoint_every, 0, limits::kSeconds);
  validate_algorithm(c);
  const EvolutionConfig& e = c.evolution;
  check_range("evolution.population_size", e.population_size, 1, limits::kPopulation);
  // Drawn with replacement, a tournament larger than the population only makes the best win a little more often.
  check_range("evolution.tournament_size", e.tournament_size, 1, e.population_size);
  check_range("evolution.mutate_prob", e.mutate_prob, 0.0, 1.0);
  if (e.search == SearchKind::Evolution && e.mutations.empty()) fail("evolution.mutations", "must not be empty");
  // A batch draws its parents from the population before it: larger than the population, children would replace
  // children of the same batch.
  check_range("evolution.batch_size", e.batch_size, 0, e.population_size);
  if (e.max_train_steps <= 0) fail("evolution.max_train_steps", "must be positive");
  if (e.progress_every <= 0) fail("evolution.progress_every", "must be positive");
  if (c.algorithm.ops[0].empty() && c.algorithm.ops[1].empty() && c.algorithm.ops[2].empty() &&
      e.search == SearchKind::Evolution)
    fail("algorithm.setup_ops", "every component's op list is empty: nothing could ever mutate");
  validate_fec(c);
  if (c.train_budget.enabled &&
      !(c.train_budget.threshold_factor > 0 && std::isfinite(c.train_budget.threshold_factor)))
    fail("train_budget.threshold_factor", "must be positive and finite");
  validate_islands_and_hurdles(c);
  check_range("experiment.max_experiments", static_cast<double>(c.experiment.max_experiments), 0,
              static_cast<double>(limits::kExperiments));
  if (c.experiment.max_experiments == 0 &&
      !(c.experiment.sufficient_fitness > 0 && std::isfinite(c.experiment.sufficient_fitness)))
    fail("experiment.max_experiments", "0 (unlimited) needs a positive, finite experiment.sufficient_fitness to stop");
}

void check_memory(const Config& c, ConfigUse use) {
  const MemoryEstimate m = estimate_memory(c, use);
  const double available = available_memory_bytes();
  if (available <= 0 || m.total() <= available) return;
  std::string parts = "task data " + gib(m.task_bytes);
  if (use == ConfigUse::Search)
    parts += ", population " + gib(m.population_bytes) + ", FEC cache " + gib(m.cache_bytes);
  throw ConfigError("this config needs about " + gib(m.total()) + " of memory (" + parts + "), more than the " +
                    gib(available) + " this machine has available; reduce num_tasks, num_train/num_valid/num_epochs" +
                    (use == ConfigUse::Search ? ", evolution.population_size or fec.cache_size" : std::string()));
}

}  // namespace

void validate(const Config& c, ConfigUse use) {
  check_range("memory.scalars", c.memory.scalars, 2, kMaxAddresses);
  check_range("memory.vectors", c.memory.vectors, 1, kMaxAddresses);
  check_range("memory.matrices", c.memory.matrices, 0, kMaxAddresses);
  for (const auto& [spec, section] : {std::pair<const TaskSpec&, const char*>{c.search_tasks, "search_tasks"},
                                      {c.select_tasks, "select_tasks"},
                                      {c.final_tasks, "final_tasks"}}) {
    check_task_limits(spec, section);
    validate(spec, section);
  }
  // One program runs on all three task sets, so they must pass labels the same way (bytecode.h LabelKind).
  const LabelKind labels = label_kind(c.search_tasks.type);
  for (const auto& [spec, section] :
       {std::pair<const TaskSpec&, const char*>{c.select_tasks, "select_tasks"}, {c.final_tasks, "final_tasks"}})
    if (label_kind(spec.type) != labels)
      fail(std::string(section) + ".type",
           std::string("is \"") + enum_name(spec.type) + "\" but search_tasks.type is \"" +
               enum_name(c.search_tasks.type) +
               "\": projected_multiclass tasks (vector labels) cannot be mixed with tasks of scalar labels");
  if (labels == LabelKind::Vector && c.memory.vectors < 3)
    fail("memory.vectors",
         "must be at least 3 for projected_multiclass tasks (v0 features, v1 label, v2 prediction; "
         "got " +
             std::to_string(c.memory.vectors) + ")");
  if (!(c.max_abs_error > 0)) fail("evaluation.max_abs_error", "must be positive (inf: never stop early)");
  if (c.backend != "auto" && c.backend != "cpu" && c.backend != "cpu-reference" && c.backend != "cuda")
    fail("backend", "must be auto, cpu, cpu-reference or cuda (got '" + printable(c.backend) + "')");
  check_range("threads", c.threads, 0, limits::kThreads);
  if (use == ConfigUse::Search) validate_search(c);
  check_memory(c, use);
}

MemoryEstimate estimate_memory(const Config& c, ConfigUse use) {
  MemoryEstimate m;
  if (use == ConfigUse::Evaluate) {
    // `eval` builds one of the three task sets.
    m.task_bytes =
        std::max({task_set_bytes(c.search_tasks), task_set_bytes(c.select_tasks), task_set_bytes(c.final_tasks)});
    return m;
  }
  // The search tasks live through an experiment, the select tasks beside them; the final ones come after.
  m.task_bytes =
      task_set_bytes(c.search_tasks) + std::max(task_set_bytes(c.select_tasks), task_set_bytes(c.final_tasks));
  // An algorithm: three vectors (24 bytes each) and 16 bytes per instruction; insertions grow it up to the size
  // bounds (or, unbounded, to the bytecode's limit).
  double instructions = 0;
  const bool grows = std::find(c.evolution.mutations.begin(), c.evolution.mutations.end(),
                               MutationType::InsertInstruction) != c.evolution.mutations.end();
  for (Component comp : kAllComponents) {
    const int init = size_of(c.algorithm.init_sizes, comp), hi = size_of(c.algorithm.max_sizes, comp);
    instructions += grows ? (hi > 0 ? hi : static_cast<int>(kMaxComponentSize)) : std::max(init, 1);
  }
  const double algorithm_bytes = 3 * 24.0 + 16.0 * instructions + 32.0;  // + fitness, id
  // The populations of all islands (a process may run all of them) and a batch.
  m.population_bytes = algorithm_bytes * 2.0 * c.evolution.population_size * std::max(1, c.islands.count);
  // Per island: a cache entry and its table slot per cached fitness.
  if (c.fec.enabled) m.cache_bytes = 96.0 * c.fec.cache_size * std::max(1, c.islands.count);
  return m;
}

double available_memory_bytes() {
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    double kib = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "MemAvailable: %lf kB", &kib) == 1) break;
    std::fclose(f);
    if (kib > 0) return kib * 1024.0;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

}  // namespace amlz
