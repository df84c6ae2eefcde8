// SPDX-License-Identifier: Apache-2.0
// Tasks (spec §5): what a task set is made of, and the materialised data, stored once as flat float arrays ready
// for upload to a GPU.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "amlz/core/bytecode.h"
#include "amlz/core/enum_names.h"
#include "amlz/tasks/dataset.h"

namespace amlz {

enum class TaskType : uint8_t {
  Linear,               // y = w.x, w and x ~ N(0,1)
  Affine,               // y = w.x + b (the paper's Fig. 4 "affine" tasks)
  NnTeacher,            // y = u . relu(W x), a random 2-layer teacher net with rows/entries 0 and 2 zeroed
  UnitFixed,            // explicit examples from the config
  UnitZeros,            // features and labels 0
  UnitOnes,             // features and labels 1
  UnitIncrement,        // k-th example = k * increment everywhere (restarts at 0 for validation)
  ProjectedBinary,      // two classes of a real dataset, randomly projected to F features (tasks/projected_binary.h)
  ProjectedMulticlass,  // K classes of a real dataset, projected the same way; one-hot vector labels
                        // (LabelKind::Vector)
};
enum class EvalType : uint8_t { RmsError = 0, Accuracy = 1 };

template <>
struct EnumNames<TaskType> {
  static constexpr EnumName<TaskType> table[] = {{TaskType::Linear, "linear"},
                                                 {TaskType::Affine, "affine"},
                                                 {TaskType::NnTeacher, "nn_teacher"},
                                                 {TaskType::UnitFixed, "unit_fixed"},
                                                 {TaskType::UnitZeros, "unit_zeros"},
                                                 {TaskType::UnitOnes, "unit_ones"},
                                                 {TaskType::UnitIncrement, "unit_increment"},
                                                 {TaskType::ProjectedBinary, "projected_binary"},
                                                 {TaskType::ProjectedMulticlass, "projected_multiclass"}};
};
template <>
struct EnumNames<EvalType> {
  static constexpr EnumName<EvalType> table[] = {{EvalType::RmsError, "rms"}, {EvalType::Accuracy, "accuracy"}};
};

// Which examples a projected task validates on: held-out training-split examples (search and select tasks), or
// the dataset's test split (final tasks).
enum class DataSplit : uint8_t { Valid, Test };
template <>
struct EnumNames<DataSplit> {
  static constexpr EnumName<DataSplit> table[] = {{DataSplit::Valid, "valid"}, {DataSplit::Test, "test"}};
};

// The pairs the original holds out of search for selection and final evaluation (spec §5.3).
inline constexpr const char* kOriginalHeldOutPairs = "4-6, 3-5, 8-9, 3-8, 0-9, 2-9, 1-8, 3-6, 0-5";

// One homogeneous group of tasks, as a config file describes it (the original's TaskSpec).
struct TaskSpec {
  TaskType type = TaskType::Linear;
  int features = 4;  // F: 2, 4, 8, 16 or 32
  int num_tasks = 1;
  int num_train = 100;  // examples per epoch
  int num_epochs = 1;
  int num_valid = 100;
  EvalType eval = EvalType::RmsError;
  std::vector<uint32_t> param_seeds;  // empty: the original's default list (spec §5.2)
  std::vector<uint32_t> data_seeds;
  float increment = 1.0f;  // UnitIncrement
  // UnitFixed: F values per example, one label per example.
  std::vector<float> train_features, train_labels, valid_features, valid_labels;
  // ProjectedBinary (tasks/projected_binary.h). Task i uses datasets[i % size] and its pair, param seed (the
  // projection) and data seed (its examples; for pairs = "search" also the pair).
  std::vector<DatasetKind> datasets{DatasetKind::FashionMnist};
  std::vector<std::string> data_dirs;  // empty, or one per dataset; "" = that dataset's default directory
  std::string pairs = "search";        // "search", "held_out", or a list "a-b, c-d" (a: label 1, b: label 0)
  std::string held_out_pairs = kOriginalHeldOutPairs;  // never drawn by "search"; "" holds none out
  DataSplit split = DataSplit::Valid;
  std::string label_column;  // csv: a header name or 0-based index; "" = the last column
  std::string cache_dir;     // "" = $AMLZ_CACHE_DIR, else $XDG_CACHE_HOME/amlz, else ~/.cache/amlz; "off" = none
  // ProjectedMulticlass: the classes 0 .. classes-1 of the dataset (at most F: the labels are F-element vectors).
  int classes = 10;
};

// Where a task type's labels go (bytecode.h): vector labels for projected_multiclass, scalar labels otherwise.
inline LabelKind label_kind(TaskType t) {
  return t == TaskType::ProjectedMulticlass ? LabelKind::Vector : LabelKind::Scalar;
}

// A materialised task. Features are row-major [example][F].
struct Task {
  uint32_t index = 0;  // position in its task set; keys random ops and FEC hashes
  TaskType type = TaskType::Linear;
  EvalType eval = EvalType::RmsError;
  int features = 0;
  int n_train = 0;  // per epoch
  int n_epochs = 1;
  int n_valid = 0;
  uint32_t param_seed = 0, data_seed = 0;
  // Multiclass tasks: K, and each label is a one-hot row of F floats ([example][F], 1 at the class, 0 elsewhere,
  // elements K..F-1 always 0). 0: one float label per example.
  int classes = 0;
  std::vector<float> train_x, train_y, valid_x, valid_y;
  std::vector<uint32_t> epoch_order;  // n_epochs * n_train example indices; epoch 0 is data order

  uint32_t max_train_steps() const { return static_cast<uint32_t>(n_train) * static_cast<uint32_t>(n_epochs); }
  LabelKind labels() const { return classes > 0 ? LabelKind::Vector : LabelKind::Scalar; }
  // Floats per label: F for multiclass tasks, else 1.
  size_t label_width() const { return classes > 0 ? static_cast<size_t>(features) : 1; }
};

// The tasks of one role (search, select or final). `id` is unique per materialisation, so a GPU evaluator knows
// when it must upload again: treat a TaskSet's data as immutable, and build a new set (make_task_set gives it a
// new id) rather than editing one in place.
struct TaskSet {
  std::vector<Task> tasks;
  uint64_t id = 0;
  int features() const { return tasks.empty() ? 0 : tasks.front().features; }
  size_t size() const { return tasks.size(); }
  // The label kind of the set's tasks (one spec makes a set, so all share it); Scalar when empty.
  LabelKind labels() const { return tasks.empty() ? LabelKind::Scalar : tasks.front().labels(); }
};

// Checks a spec (F in {2,4,8,16,32}, counts > 0, sizes of explicit data); throws ConfigError naming `where`.
void validate(const TaskSpec& spec, const std::string& where);

// How a long task-set build may be watched and stopped: `stop` is looked at between tasks (a set stops with
// amlz::Interrupted), `progress` is told how many of how many tasks are built.
struct TaskBuildControl {
  const std::atomic<bool>* stop = nullptr;
  std::function<void(size_t done, size_t total)> progress;
};

// Builds the data. Deterministic across machines: all randomness is the project's own counter-based generator.
TaskSet make_task_set(const TaskSpec& spec, const TaskBuildControl& control = {});

}  // namespace amlz
