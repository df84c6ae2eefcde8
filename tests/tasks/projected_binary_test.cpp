// SPDX-License-Identifier: Apache-2.0
// projected_binary tasks: class pairs and held-out pairs, the example split (no example in two roles), the
// projection and standardisation, determinism, config validation, and end to end through make_task_set.
#include "amlz/tasks/projected_binary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/error.h"
#include "tasks/data_test_util.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::error_of;
using test::ScratchDir;

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

// 10 classes, `per_class` training and `per_class / 5` test examples each, dim features; every example distinct
// (feature 0 is its index, the others a hash of it), classes shifted apart so a linear model can tell them apart.
Dataset synthetic(int per_class, int dim, bool bytes = false) {
  Dataset d;
  d.name = "synthetic";
  d.dim = dim;
  d.num_classes = 10;
  auto fill = [&](Split& s, int n, int salt) {
    s.n = n;
    for (int i = 0; i < n; ++i) {
      const int label = i % 10;
      s.y.push_back(label);
      for (int k = 0; k < dim; ++k) {
        const int v = k == 0 ? (i + salt) % 256 : (i * 37 + k * 11 + salt + label * 29 * (k % 3)) % 256;
        if (bytes)
          s.x_u8.push_back(static_cast<uint8_t>(v));
        else
          s.x_f32.push_back(k == 0 ? static_cast<float>(i + salt) : static_cast<float>(v) + 8.0f * label * (k % 2));
      }
    }
  };
  fill(d.train, per_class * 10, 0);
  fill(d.test, per_class * 2, 100000);
  return d;
}

ProjectedTaskPlan plan(int pos, int neg, uint32_t param_seed, uint32_t data_seed) {
  ProjectedTaskPlan p;
  p.pair = {pos, neg};
  p.param_seed = param_seed;
  p.data_seed = data_seed;
  return p;
}

TaskSpec mnist_spec(const std::string& dir, int num_tasks, int num_train, int num_valid) {
  TaskSpec s;
  s.type = TaskType::ProjectedBinary;
  s.eval = EvalType::Accuracy;
  s.features = 8;
  s.num_tasks = num_tasks;
  s.num_train = num_train;
  s.num_valid = num_valid;
  s.datasets = {DatasetKind::Mnist};
  s.data_dirs = {dir};
  s.cache_dir = "off";
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Pairs

TEST(ClassPairs, ParseAList) {
  EXPECT_EQ(parse_class_pairs(" 4-6,3 - 5 ,0-9", "k"), (std::vector<ClassPair>{{4, 6}, {3, 5}, {0, 9}}));
  EXPECT_TRUE(parse_class_pairs("  ", "k").empty());
  EXPECT_EQ(parse_class_pairs(kOriginalHeldOutPairs, "k").size(), 9u);
  expect_has(error_of<ConfigError>([] { parse_class_pairs("4_6", "x.pairs"); }), "x.pairs: '4_6' is not a class pair");
  expect_has(error_of<ConfigError>([] { parse_class_pairs("4-6,", "x.pairs"); }), "'' is not a class pair");
  expect_has(error_of<ConfigError>([] { parse_class_pairs("a-b", "x.pairs"); }), "'a-b'");
  expect_has(error_of<ConfigError>([] { parse_class_pairs("3-3", "x.pairs"); }), "names one class twice");
}

TEST(ClassPairs, SearchPairsAreAllPairsButTheHeldOut) {
  EXPECT_EQ(search_pairs(10, {}).size(), 45u);
  const std::vector<ClassPair> held = parse_class_pairs(kOriginalHeldOutPairs, "k");
  const std::vector<ClassPair> pairs = search_pairs(10, held);
  EXPECT_EQ(pairs.size(), 36u);
  for (const ClassPair& p : pairs) {
    EXPECT_LT(p.positive, p.negative);
    for (const ClassPair& h : held)
      EXPECT_FALSE((p.positive == h.positive && p.negative == h.negative) ||
                   (p.positive == h.negative && p.negative == h.positive));
  }
  EXPECT_EQ(search_pairs(10, {{6, 4}}).size(), 44u);  // held out in either order
}

TEST(TaskPlan, SearchTasksNeverDrawAHeldOutPair) {
  TaskSpec s = mnist_spec("/unused", 500, 10, 10);  // mnist has 10 classes: the plan reads no file
  const std::vector<ProjectedTaskPlan> plans = plan_projected_tasks(s);
  const std::vector<ClassPair> held = parse_class_pairs(kOriginalHeldOutPairs, "k");
  std::set<std::pair<int, int>> seen;
  for (const ProjectedTaskPlan& p : plans) {
    seen.insert({p.pair.positive, p.pair.negative});
    for (const ClassPair& h : held)
      EXPECT_FALSE((p.pair.positive == h.positive && p.pair.negative == h.negative) ||
                   (p.pair.positive == h.negative && p.pair.negative == h.positive))
          << p.pair.positive << "-" << p.pair.negative;
  }
  EXPECT_EQ(seen.size(), 36u);  // 500 draws reach every eligible pair
  // Seeds: the spec's lists (default: the original's), so the same spec plans the same tasks.
  EXPECT_EQ(plans[0].param_seed, 1001u);
  EXPECT_EQ(plans[0].data_seed, 11001u);
  const std::vector<ProjectedTaskPlan> again = plan_projected_tasks(s);
  for (size_t i = 0; i < plans.size(); ++i) EXPECT_EQ(plans[i].pair, again[i].pair);
  // Re-drawn data seeds re-draw the pairs.
  s.data_seeds = {777};
  const std::vector<ProjectedTaskPlan> other = plan_projected_tasks(s);
  int differ = 0;
  for (size_t i = 0; i < plans.size(); ++i) differ += !(plans[i].pair == other[i].pair);
  EXPECT_GT(differ, 400);
}

TEST(TaskPlan, HeldOutAndExplicitPairsCycle) {
  TaskSpec s = mnist_spec("/unused", 11, 10, 10);
  s.pairs = "held_out";
  const std::vector<ProjectedTaskPlan> held = plan_projected_tasks(s);
  const std::vector<ClassPair> want = parse_class_pairs(kOriginalHeldOutPairs, "k");
  for (size_t i = 0; i < held.size(); ++i) EXPECT_EQ(held[i].pair, want[i % 9]) << i;
  s.pairs = "7-1, 2-0";
  const std::vector<ProjectedTaskPlan> listed = plan_projected_tasks(s);
  EXPECT_EQ(listed[0].pair, (ClassPair{7, 1}));
  EXPECT_EQ(listed[1].pair, (ClassPair{2, 0}));
  EXPECT_EQ(listed[4].pair, (ClassPair{7, 1}));
  s.pairs = "3-12";
  expect_has(error_of<ConfigError>([&] { plan_projected_tasks(s); }), "class 12 does not exist: mnist has classes 0-9");
}

TEST(TaskPlan, MixedDatasetsAlternate) {
  TaskSpec s = mnist_spec("/unused", 4, 10, 10);
  s.datasets = {DatasetKind::Cifar10, DatasetKind::Mnist};
  s.data_dirs = {"/c", "/m"};
  const std::vector<ProjectedTaskPlan> plans = plan_projected_tasks(s);
  EXPECT_EQ(plans[0].source.kind, DatasetKind::Cifar10);
  EXPECT_EQ(plans[0].source.dir, "/c");
  EXPECT_EQ(plans[1].source.kind, DatasetKind::Mnist);
  EXPECT_EQ(plans[3].source.dir, "/m");
}

// ---------------------------------------------------------------------------------------------------------------
// Examples: train, valid and test never share an example

TEST(ExampleSelection, TrainAndValidAreDisjointSlicesOfThePairsExamples) {
  const Dataset d = synthetic(100, 6);
  const ExampleSelection sel = select_examples(d, {3, 8}, 42, 120, 60, DataSplit::Valid);
  ASSERT_EQ(sel.train.size(), 120u);
  ASSERT_EQ(sel.valid.size(), 60u);
  std::set<uint32_t> train(sel.train.begin(), sel.train.end()), valid(sel.valid.begin(), sel.valid.end());
  EXPECT_EQ(train.size(), 120u);  // no example twice
  EXPECT_EQ(valid.size(), 60u);
  for (uint32_t i : valid) EXPECT_EQ(train.count(i), 0u) << i;
  int positives = 0;
  for (uint32_t i : sel.train) {
    EXPECT_TRUE(d.train.y[i] == 3 || d.train.y[i] == 8);
    positives += d.train.y[i] == 3;
  }
  EXPECT_GT(positives, 40);  // a shuffle, not the data order (which alternates classes anyway) nor one class
  EXPECT_LT(positives, 80);
  // Deterministic from the data seed; another seed picks other examples.
  const ExampleSelection same = select_examples(d, {3, 8}, 42, 120, 60, DataSplit::Valid);
  EXPECT_EQ(same.train, sel.train);
  EXPECT_EQ(same.valid, sel.valid);
  EXPECT_NE(select_examples(d, {3, 8}, 43, 120, 60, DataSplit::Valid).train, sel.train);
}

TEST(ExampleSelection, TestSplitValidatesOnTestExamplesOnly) {
  const Dataset d = synthetic(100, 6);
  const ExampleSelection valid = select_examples(d, {3, 8}, 42, 120, 60, DataSplit::Valid);
  const ExampleSelection test = select_examples(d, {3, 8}, 42, 120, 40, DataSplit::Test);
  EXPECT_EQ(test.train, valid.train);  // the same training examples as the search/select form of the task
  ASSERT_EQ(test.valid.size(), 40u);   // all 40 test examples of the pair
  std::set<uint32_t> ids(test.valid.begin(), test.valid.end());
  EXPECT_EQ(ids.size(), 40u);
  for (uint32_t i : test.valid) EXPECT_TRUE(d.test.y[i] == 3 || d.test.y[i] == 8);
}

TEST(ExampleSelection, TooFewExamplesIsAnError) {
  const Dataset d = synthetic(100, 6);
  expect_has(error_of<Error>([&] {
               select_examples(d, {1, 2}, 1, 150, 51, DataSplit::Valid);
             }),
             "synthetic pair 1-2: 200 training examples, fewer than num_train + num_valid = 150 + 51");
  expect_has(error_of<Error>([&] {
               select_examples(d, {1, 2}, 1, 150, 41, DataSplit::Test);
             }),
             "40 test examples, fewer than num_valid = 41");
  Dataset missing = d;
  for (int& y : missing.train.y)
    if (y == 2) y = 1;
  expect_has(error_of<Error>([&] {
               select_examples(missing, {1, 2}, 1, 10, 10, DataSplit::Valid);
             }),
             "class 2 has no training examples");
}

// ---------------------------------------------------------------------------------------------------------------
// Projection

TEST(Projection, FeaturesAreStandardisedWithTrainingStatistics) {
  for (bool bytes : {false, true}) {
    const Dataset d = synthetic(100, 30, bytes);
    for (int f : {2, 4, 8, 16, 32}) {
      const ProjectedData p = project_task(d, plan(3, 8, 5, 6), f, 150, 50, DataSplit::Valid);
      ASSERT_EQ(p.train_x.size(), 150u * f);
      ASSERT_EQ(p.valid_x.size(), 50u * f);
      for (int j = 0; j < f; ++j) {
        double m = 0, s = 0;
        for (int r = 0; r < 150; ++r) m += p.train_x[r * f + j];
        m /= 150;
        for (int r = 0; r < 150; ++r) s += (p.train_x[r * f + j] - m) * (p.train_x[r * f + j] - m);
        EXPECT_NEAR(m, 0.0, 1e-5) << "F=" << f << " feature " << j;
        EXPECT_NEAR(std::sqrt(s / 150), 1.0, 1e-5) << "F=" << f << " feature " << j;
      }
      // Validation rows are scaled by the same statistics, so they are merely close to standard.
      double vm = 0;
      for (float v : p.valid_x) vm += v;
      EXPECT_LT(std::abs(vm / p.valid_x.size()), 0.5);
    }
  }
}

TEST(Projection, LabelsAreOneForThePositiveClass) {
  const Dataset d = synthetic(100, 8);
  const ProjectedTaskPlan pl = plan(7, 2, 5, 6);
  const ProjectedData p = project_task(d, pl, 4, 100, 40, DataSplit::Valid);
  const ExampleSelection sel = select_examples(d, pl.pair, pl.data_seed, 100, 40, DataSplit::Valid);
  for (size_t i = 0; i < sel.train.size(); ++i) EXPECT_EQ(p.train_y[i], d.train.y[sel.train[i]] == 7 ? 1.f : 0.f);
  for (size_t i = 0; i < sel.valid.size(); ++i) EXPECT_EQ(p.valid_y[i], d.train.y[sel.valid[i]] == 7 ? 1.f : 0.f);
}

TEST(Projection, SameSeedsSameBitsOtherProjectionSeedOtherFeatures) {
  const Dataset d = synthetic(100, 20);
  const ProjectedData a = project_task(d, plan(0, 1, 11, 12), 8, 100, 50, DataSplit::Valid);
  const ProjectedData b = project_task(d, plan(0, 1, 11, 12), 8, 100, 50, DataSplit::Valid);
  EXPECT_EQ(a.train_x, b.train_x);
  EXPECT_EQ(a.valid_x, b.valid_x);
  EXPECT_EQ(a.train_y, b.train_y);
  const ProjectedData c = project_task(d, plan(0, 1, 99, 12), 8, 100, 50, DataSplit::Valid);
  EXPECT_EQ(c.train_y, a.train_y);  // same data seed: same examples
  EXPECT_NE(c.train_x, a.train_x);  // other projection
}

// Pinned values: a change here changes every projected task (and must bump kTaskCacheVersion).
TEST(Projection, PermanenceOfTheFirstValues) {
  const Dataset d = synthetic(20, 5);
  const ProjectedData p = project_task(d, plan(1, 2, 1001, 11001), 4, 20, 10, DataSplit::Valid);
  const float pinned[4] = {-0.943082035f, -0.559759974f, -0.578144372f, -0.00324975094f};
  for (int j = 0; j < 4; ++j) EXPECT_EQ(p.train_x[j], pinned[j]) << j;
}

TEST(Projection, NoValidationRowEqualsATrainingRow) {
  // Every example is distinct, so a shared row would mean a shared example.
  const Dataset d = synthetic(100, 12);
  for (DataSplit split : {DataSplit::Valid, DataSplit::Test}) {
    const ProjectedData p = project_task(d, plan(4, 9, 3, 4), 8, 150, 40, split);
    std::set<std::vector<float>> train;
    for (size_t r = 0; r < 150; ++r) train.insert(std::vector<float>(&p.train_x[r * 8], &p.train_x[r * 8] + 8));
    EXPECT_EQ(train.size(), 150u);
    for (size_t r = 0; r < 40; ++r)
      EXPECT_EQ(train.count(std::vector<float>(&p.valid_x[r * 8], &p.valid_x[r * 8] + 8)), 0u) << r;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Config validation

std::string validation_error(const TaskSpec& s) {
  return error_of<ConfigError>([&] { validate(s, "search_tasks"); });
}

TEST(ProjectedValidation, KeysAreNamed) {
  ScratchDir dir;
  test::write_idx_set(dir.path(), test::make_idx_set(40, 20, 2, 2), false);
  TaskSpec s = mnist_spec(dir.path(), 2, 10, 10);
  EXPECT_NO_THROW(validate(s, "search_tasks"));
  TaskSpec rms = s;
  rms.eval = EvalType::RmsError;
  expect_has(validation_error(rms), "search_tasks.eval: projected_binary tasks have 1/0 labels");
  TaskSpec no_data = s;
  no_data.datasets = {};
  expect_has(validation_error(no_data), "search_tasks.dataset: names no dataset");
  TaskSpec dirs = s;
  dirs.data_dirs = {dir.path(), dir.path()};
  expect_has(validation_error(dirs), "search_tasks.data_dir: has 2 entries for 1 datasets");
  TaskSpec bad_pairs = s;
  bad_pairs.pairs = "serach";
  expect_has(validation_error(bad_pairs), "search_tasks.pairs: 'serach' is not a class pair");
  bad_pairs.pairs = "1-10";
  expect_has(validation_error(bad_pairs), "search_tasks.pairs: pair 1-10: mnist has classes 0-9");
  TaskSpec held = s;
  held.held_out_pairs = "";
  held.pairs = "held_out";
  expect_has(validation_error(held), "search_tasks.pairs: is \"held_out\" but held_out_pairs is empty");
  held.pairs = "search";
  held.held_out_pairs =
      "0-1,0-2,0-3,0-4,0-5,0-6,0-7,0-8,0-9,1-2,1-3,1-4,1-5,1-6,1-7,1-8,1-9,2-3,2-4,2-5,2-6,2-7,2-8,"
      "2-9,3-4,3-5,3-6,3-7,3-8,3-9,4-5,4-6,4-7,4-8,4-9,5-6,5-7,5-8,5-9,6-7,6-8,6-9,7-8,7-9,8-9";
  expect_has(validation_error(held), "search_tasks.held_out_pairs: holds out every pair");
  held.held_out_pairs = "4-11";
  expect_has(validation_error(held), "search_tasks.held_out_pairs: pair 4-11");
}

TEST(ProjectedValidation, MissingDataSaysWhereAndHow) {
  TaskSpec s = mnist_spec("", 1, 10, 10);
  s.datasets = {DatasetKind::Cifar10};
  s.data_dirs = {};
  const std::string msg = validation_error(s);
  expect_has(msg, "search_tasks.data_dir: cifar10 needs data_dir");
  expect_has(msg, "cifar-10-binary.tar.gz");
  s.datasets = {DatasetKind::Mnist};
  expect_has(validation_error(s), "search_tasks.data_dir: mnist needs data_dir");
  s.datasets = {DatasetKind::FashionMnist};
  s.data_dirs = {"/nonexistent/fmnist"};
  expect_has(validation_error(s), "/nonexistent/fmnist does not exist: install Debian's dataset-fashion-mnist");
}

// ---------------------------------------------------------------------------------------------------------------
// End to end: files -> make_task_set -> an evaluator

TEST(ProjectedTaskSet, FromIdxFilesDeterministicAndEvaluable) {
  ScratchDir dir;
  test::write_idx_set(dir.path(), test::make_idx_set(400, 100, 4, 5), true);
  TaskSpec s = mnist_spec(dir.path(), 3, 50, 20);
  s.num_epochs = 2;
  const TaskSet a = make_task_set(s), b = make_task_set(s);
  ASSERT_EQ(a.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Task& t = a.tasks[i];
    EXPECT_EQ(t.type, TaskType::ProjectedBinary);
    EXPECT_EQ(t.eval, EvalType::Accuracy);
    EXPECT_EQ(t.index, i);
    EXPECT_EQ(t.features, 8);
    EXPECT_EQ(t.n_train, 50);
    EXPECT_EQ(t.n_valid, 20);
    EXPECT_EQ(t.train_x.size(), 400u);
    EXPECT_EQ(t.valid_y.size(), 20u);
    EXPECT_EQ(t.epoch_order.size(), 100u);
    EXPECT_EQ(t.train_x, b.tasks[i].train_x);  // same seeds, same bits
    EXPECT_EQ(t.valid_x, b.tasks[i].valid_x);
    EXPECT_EQ(t.epoch_order, b.tasks[i].epoch_order);
  }
  EXPECT_NE(a.tasks[0].train_x, a.tasks[1].train_x);
  // Both hand-written baselines run on the tasks (fitness = accuracy in [0, 1]).
  for (const Algorithm& alg : {linear_algorithm(0.01f), neural_net_algorithm()})
    for (const TaskResult& r : test::evaluate(alg, a)) {
      EXPECT_EQ(r.status, EvalStatus::Ok);
      EXPECT_GE(r.fitness, 0.0);
      EXPECT_LE(r.fitness, 1.0);
    }
}

TEST(ProjectedTaskSet, UsersCsvData) {
  ScratchDir dir;
  std::string train = "x0,x1,x2,class\n", test = "x0,x1,x2,class\n";
  for (int i = 0; i < 90; ++i) {
    const int c = i % 3;
    const std::string row = std::to_string(c * 3 + (i % 7) * 0.1) + "," + std::to_string(-c + (i % 5) * 0.2) + "," +
                            std::to_string((i * 13) % 11) + "," + std::to_string(c) + "\n";
    train += row;
    if (i < 30) test += row;
  }
  test::write_text(dir / "train.csv", train);
  test::write_text(dir / "test.csv", test);
  TaskSpec s = mnist_spec(dir.path(), 6, 40, 20);
  s.datasets = {DatasetKind::Csv};
  s.label_column = "class";
  s.features = 4;
  s.held_out_pairs = "1-2";
  EXPECT_NO_THROW(validate(s, "search_tasks"));
  const std::vector<ProjectedTaskPlan> plans = plan_projected_tasks(s);
  for (const ProjectedTaskPlan& p : plans) EXPECT_FALSE(p.pair.positive == 1 && p.pair.negative == 2);
  const TaskSet set = make_task_set(s);
  EXPECT_EQ(set.size(), 6u);
  // Classes 0 and 1 (or 0 and 2) are linearly separable here: logistic regression learns them.
  EXPECT_GT(test::mean_fitness(test::evaluate(linear_algorithm(0.05f), set)), 0.9);
  s.pairs = "0-5";
  expect_has(error_of<ConfigError>([&] { plan_projected_tasks(s); }), "class 5 does not exist: csv has classes 0-2");
}

// Real Fashion-MNIST held-out pairs: logistic regression by SGD learns them (the baseline of RESULTS.md).
TEST(ProjectedTaskSet, RealFashionMnistHeldOutPairsAreLearnable) {
  if (data_source_problem(DataSource{})) GTEST_SKIP() << *data_source_problem(DataSource{});
  ScratchDir cache;
  TaskSpec s;
  s.type = TaskType::ProjectedBinary;
  s.eval = EvalType::Accuracy;
  s.features = 16;
  s.num_tasks = 9;
  s.num_train = 2000;
  s.num_valid = 500;
  s.pairs = "held_out";
  s.cache_dir = cache.path();
  const TaskSet set = make_task_set(s);
  const Algorithm lr = parse_algorithm(
      "def Setup():\n  s2 = 0.01\ndef Predict():\n  s1 = dot(v1, v0)\n  s1 = s1 + s3\ndef Learn():\n"
      "  s4 = s0 - s1\n  s4 = s2 * s4\n  v2 = s4 * v0\n  v1 = v1 + v2\n  s3 = s3 + s4\n",
      "logistic regression");
  EXPECT_GT(test::mean_fitness(test::evaluate(lr, set)), 0.8);
}

}  // namespace
}  // namespace amlz
