// SPDX-License-Identifier: Apache-2.0
// projected_multiclass tasks: K classes of a dataset, the same split, projection and standardisation as the binary
// tasks, one-hot labels; determinism, disjoint splits, the cache, and the config checks (K <= F among them).
#include <algorithm>
#include <filesystem>
#include <set>

#include "amlz/error.h"
#include "amlz/tasks/projected_binary.h"
#include "tasks/data_test_util.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::error_of;
using test::ScratchDir;

TaskSpec multiclass_spec(const std::string& data_dir, const std::string& cache_dir) {
  TaskSpec s;
  s.type = TaskType::ProjectedMulticlass;
  s.eval = EvalType::Accuracy;
  s.classes = 10;
  s.features = 16;
  s.num_tasks = 3;
  s.num_train = 120;
  s.num_valid = 60;
  s.datasets = {DatasetKind::Mnist};
  s.data_dirs = {data_dir};
  s.cache_dir = cache_dir;
  return s;
}

class MulticlassTasks : public ::testing::Test {
 protected:
  void SetUp() override { test::write_idx_set(data_.path(), test::make_idx_set(300, 120, 3, 4), false); }
  ScratchDir data_, cache_;
};

// Each label row is one-hot over the first K elements, with the example's class (relative to the projection's rows:
// the row is looked up in the dataset through select_class_examples, which the task uses).
void expect_one_hot(const std::vector<float>& y, size_t n, int features, int classes) {
  ASSERT_EQ(y.size(), n * static_cast<size_t>(features));
  for (size_t i = 0; i < n; ++i) {
    int ones = 0;
    for (int e = 0; e < features; ++e) {
      const float v = y[i * static_cast<size_t>(features) + static_cast<size_t>(e)];
      EXPECT_TRUE(v == 0.0f || v == 1.0f) << v;
      if (v == 1.0f) {
        ++ones;
        EXPECT_LT(e, classes);
      }
    }
    EXPECT_EQ(ones, 1) << "example " << i;
  }
}

TEST_F(MulticlassTasks, OneHotLabelsOfTheRightClassesDeterministically) {
  const TaskSpec s = multiclass_spec(data_.path(), "off");
  const TaskSet a = make_task_set(s), b = make_task_set(s);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.labels(), LabelKind::Vector);
  const Dataset d = load_dataset({DatasetKind::Mnist, data_.path(), ""});
  std::vector<int> all(10);
  for (int c = 0; c < 10; ++c) all[static_cast<size_t>(c)] = c;
  std::set<int> classes_seen;
  for (size_t i = 0; i < a.size(); ++i) {
    const Task& t = a.tasks[i];
    EXPECT_EQ(t.classes, 10);
    EXPECT_EQ(t.type, TaskType::ProjectedMulticlass);
    EXPECT_EQ(t.train_x, b.tasks[i].train_x);  // the same spec makes the same bits
    EXPECT_EQ(t.train_y, b.tasks[i].train_y);
    EXPECT_EQ(t.valid_x, b.tasks[i].valid_x);
    EXPECT_EQ(t.valid_y, b.tasks[i].valid_y);
    expect_one_hot(t.train_y, 120, 16, 10);
    expect_one_hot(t.valid_y, 60, 16, 10);
    // The labels are the classes of the examples the selection picked.
    const ExampleSelection sel = select_class_examples(d, all, t.data_seed, 120, 60, DataSplit::Valid);
    for (size_t k = 0; k < sel.train.size(); ++k) {
      const int c = d.train.y[sel.train[k]];
      classes_seen.insert(c);
      EXPECT_EQ(t.train_y[k * 16 + static_cast<size_t>(c)], 1.0f);
    }
    for (size_t k = 0; k < sel.valid.size(); ++k)
      EXPECT_EQ(t.valid_y[k * 16 + static_cast<size_t>(d.train.y[sel.valid[k]])], 1.0f);
    // No example trains and validates.
    std::set<uint32_t> train(sel.train.begin(), sel.train.end());
    EXPECT_EQ(train.size(), sel.train.size());
    for (uint32_t v : sel.valid) EXPECT_EQ(train.count(v), 0u);
    // Standardised with the training examples' statistics: every feature has mean ~0 over them.
    for (int f = 0; f < 16; ++f) {
      double sum = 0;
      for (size_t k = 0; k < 120; ++k) sum += t.train_x[k * 16 + static_cast<size_t>(f)];
      EXPECT_NEAR(sum / 120, 0.0, 1e-4);
    }
  }
  EXPECT_EQ(classes_seen.size(), 10u);                // all ten classes
  EXPECT_NE(a.tasks[0].train_x, a.tasks[1].train_x);  // other seeds, other tasks
}

TEST_F(MulticlassTasks, FewerClassesAndTheTestSplit) {
  TaskSpec s = multiclass_spec(data_.path(), "off");
  s.classes = 3;
  s.features = 4;
  s.split = DataSplit::Test;
  s.num_train = 60;
  s.num_valid = 30;
  const TaskSet set = make_task_set(s);
  for (const Task& t : set.tasks) {
    expect_one_hot(t.train_y, 60, 4, 3);
    expect_one_hot(t.valid_y, 30, 4, 3);
  }
  // The examples are those of classes 0-2 only (90 training, 36 test examples: the labels cycle 10 classes).
  const Dataset d = load_dataset({DatasetKind::Mnist, data_.path(), ""});
  const ExampleSelection sel = select_class_examples(d, {0, 1, 2}, set.tasks[0].data_seed, 60, 30, DataSplit::Test);
  for (uint32_t i : sel.train) EXPECT_LT(d.train.y[i], 3);
  for (uint32_t i : sel.valid) EXPECT_LT(d.test.y[i], 3);
  s.num_valid = 37;
  EXPECT_NE(error_of<Error>([&] { make_task_set(s); }).find("classes 0-2: 36 test examples"), std::string::npos);
}

TEST_F(MulticlassTasks, CachedLikeTheBinaryTasks) {
  const TaskSpec s = multiclass_spec(data_.path(), cache_.path());
  ProjectionStats first, second;
  const std::vector<ProjectedData> built = make_projected_tasks(s, &first);
  EXPECT_EQ(first.built, 3);
  const std::vector<ProjectedData> read = make_projected_tasks(s, &second);
  EXPECT_EQ(second.cache_hits, 3);
  for (size_t i = 0; i < built.size(); ++i) {
    EXPECT_EQ(built[i].train_x, read[i].train_x);
    EXPECT_EQ(built[i].train_y, read[i].train_y);
    EXPECT_EQ(built[i].valid_y, read[i].valid_y);
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(cache_.path())) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_NE(files[0].find("mnist-k10-f16-"), std::string::npos) << files[0];
  // A corrupt label byte (the checksum) and a truncated file are rebuilt, never used.
  test::Bytes b = test::read_bytes(files[0]);
  b[b.size() - 3] ^= 0x20;
  test::write_file(files[0], b);
  test::Bytes c = test::read_bytes(files[1]);
  c.resize(c.size() - 8);
  test::write_file(files[1], c);
  ProjectionStats third;
  const std::vector<ProjectedData> again = make_projected_tasks(s, &third);
  EXPECT_EQ(third.rebuilt_invalid, 2);
  EXPECT_EQ(third.cache_hits, 1);
  for (size_t i = 0; i < built.size(); ++i) EXPECT_EQ(built[i].valid_y, again[i].valid_y);
  // Fewer classes is another key, another file.
  TaskSpec fewer = s;
  fewer.classes = 9;
  ProjectionStats other;
  make_projected_tasks(fewer, &other);
  EXPECT_EQ(other.cache_hits, 0);
}

TEST_F(MulticlassTasks, ConfigChecks) {
  TaskSpec s = multiclass_spec(data_.path(), "off");
  s.features = 8;  // 10 classes need 10 vector elements
  test::expect_contains(error_of<ConfigError>([&] { validate(s, "search_tasks"); }),
                        "search_tasks.classes: must lie in [2, features] (got 10 with features = 8)");
  s.features = 32;
  s.classes = 11;
  test::expect_contains(error_of<ConfigError>([&] { validate(s, "search_tasks"); }),
                        "11 classes asked for, but mnist has 10");
  s.classes = 1;
  test::expect_contains(error_of<ConfigError>([&] { validate(s, "search_tasks"); }), "search_tasks.classes");
  s.classes = 10;
  s.eval = EvalType::RmsError;
  test::expect_contains(error_of<ConfigError>([&] { validate(s, "search_tasks"); }),
                        "projected_multiclass tasks have one-hot labels and are scored by eval = \"accuracy\"");
  s.eval = EvalType::Accuracy;
  s.pairs = "not pairs";  // pairs do not apply to multiclass tasks
  EXPECT_NO_THROW(validate(s, "search_tasks"));
}

}  // namespace
}  // namespace amlz
