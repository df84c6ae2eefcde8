// SPDX-License-Identifier: Apache-2.0
#include "amlz/eval/evaluator.h"

#include <string>

#include "amlz/core/features.h"
#include "amlz/error.h"

namespace amlz {

void check_evaluation_input(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items) {
  if (auto problem = verify(batch)) AMLZ_CHECK(false, "the batch fails bytecode verification: " + *problem);
  for (const Task& t : tasks.tasks)
    AMLZ_CHECK(is_supported_features(t.features), "task with unsupported feature size " + std::to_string(t.features));
  for (const WorkItem& w : items) {
    AMLZ_CHECK(w.program < batch.size() && w.task < tasks.size(), "work item out of range");
    const bool vector_labels = (batch.programs[w.program].flags & kVectorLabels) != 0;
    AMLZ_CHECK(vector_labels == (tasks.tasks[w.task].labels() == LabelKind::Vector),
               "a program compiled for " + std::string(vector_labels ? "vector" : "scalar") +
                   " labels was given a task of the other kind (compile with CompileOptions::labels = the tasks')");
  }
}

std::vector<WorkItem> full_work_items(size_t num_programs, const TaskSet& tasks) {
  std::vector<WorkItem> items;
  items.reserve(num_programs * tasks.size());
  for (size_t p = 0; p < num_programs; ++p)
    for (const Task& t : tasks.tasks)
      items.push_back({static_cast<uint32_t>(p), t.index, t.max_train_steps(), static_cast<uint32_t>(t.n_valid)});
  return items;
}

}  // namespace amlz
