// SPDX-License-Identifier: Apache-2.0
// projected_binary tasks (spec §5.3, made in-process instead of by the original's Python script): two classes of
// a real dataset, labels 1/0; examples split by the task's data seed; a seeded Gaussian random projection to F
// features; each feature standardised with the training examples' mean and standard deviation. projected_multiclass
// tasks (the paper's 10-class adaptation) are made by the same code from K classes, with one-hot labels.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "amlz/tasks/dataset.h"
#include "amlz/tasks/task.h"
#include "amlz/tasks/task_cache.h"

namespace amlz {

struct ClassPair {
  int positive = 0;  // label 1
  int negative = 0;  // label 0
  bool operator==(const ClassPair& o) const { return positive == o.positive && negative == o.negative; }
};

// "4-6, 3-5" -> {{4,6},{3,5}}; "" -> {}. Throws ConfigError naming `key` on anything else.
std::vector<ClassPair> parse_class_pairs(const std::string& text, const std::string& key);

// Every pair (i, j), i < j < num_classes, that is not held out (in either order); i is the positive class.
std::vector<ClassPair> search_pairs(int num_classes, const std::vector<ClassPair>& held_out);

// What one task is made of.
struct ProjectedTaskPlan {
  DataSource source;
  bool multiclass = false;   // projected_multiclass: one-hot labels over `classes`
  ClassPair pair;            // projected_binary
  std::vector<int> classes;  // projected_multiclass: the classes 0 .. K-1 (labels: one-hot over their positions)
  uint32_t param_seed = 0;   // the projection matrix
  uint32_t data_seed = 0;    // which examples train and validate; for pairs = "search", also the pair
};

// The plan of every task of a projected_binary or projected_multiclass spec (multiclass: classes 0 .. K-1 of the
// dataset, no pair). Task i: dataset datasets[i % n]; pair: with pairs =
// "search" drawn uniformly from search_pairs() by the task's data seed (the original's rule, so re-drawn task
// seeds re-draw pairs), with "held_out" held-out pair i mod count, with an explicit list pair i mod count.
// Users' datasets (csv, npy) are read here to learn their number of classes.
std::vector<ProjectedTaskPlan> plan_projected_tasks(const TaskSpec& spec);

// Indices of the examples a task uses. train and valid index the dataset's training split and never overlap;
// with DataSplit::Test, valid indexes its test split. Deterministic from the data seed: the pair's examples in a
// seeded shuffle, the first num_train for training, the next num_valid for validation (the test split: the first
// num_valid of its own shuffle). Errors (amlz::Error) when a class is missing or too few examples exist.
struct ExampleSelection {
  std::vector<uint32_t> train, valid;
};
ExampleSelection select_examples(const Dataset& d, ClassPair pair, uint32_t data_seed, int num_train, int num_valid,
                                 DataSplit split);
// The same for any list of classes (a multiclass task's): the examples of all of them, shuffled together.
ExampleSelection select_class_examples(const Dataset& d, const std::vector<int>& classes, uint32_t data_seed,
                                       int num_train, int num_valid, DataSplit split);

// One task's data, computed (no cache).
ProjectedData project_task(const Dataset& d, const ProjectedTaskPlan& plan, int features, int num_train, int num_valid,
                           DataSplit split);

// How make_projected_tasks got its tasks, for tests and timing.
struct ProjectionStats {
  int cache_hits = 0;
  int built = 0;               // projected now (cache missing, invalid or off)
  int rebuilt_invalid = 0;     // of those, cache files that existed but could not be used
  double load_seconds = 0;     // decoding datasets (0 when every task came from the cache)
  double project_seconds = 0;  // selecting, projecting, standardising
};

// The data of every task of a projected_binary or projected_multiclass spec, from the cache where possible; tasks
// missing from the cache are projected (datasets decoded once per process) and written to it.
std::vector<ProjectedData> make_projected_tasks(const TaskSpec& spec, ProjectionStats* stats = nullptr);

// Checks the projected_binary / projected_multiclass keys of a spec (called by validate(TaskSpec)); throws ConfigError
// naming `where`.key. Checks that the data directories hold the expected files, and says how to get them when not.
void validate_projected(const TaskSpec& spec, const std::string& where);

}  // namespace amlz
