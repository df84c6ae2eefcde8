// SPDX-License-Identifier: Apache-2.0
// Tasks (spec §5): seed lists and their randomisation, the data each task type generates, epoch orders and spec
// validation.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "amlz/core/hash.h"
#include "amlz/error.h"
#include "amlz/tasks/task_seeds.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::fixed_spec;
using test::regression_spec;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

// The spec's HashCombine written out once more from spec §5.2, independently of hash.h.
uint64_t spec_hash_combine(uint64_t h, uint64_t x) {
  uint64_t a = 0x9e3779b9u, b = h, c = x;
  a -= b;
  a -= c;
  a ^= c >> 43;
  b -= c;
  b -= a;
  b ^= a << 9;
  c -= a;
  c -= b;
  c ^= b >> 8;
  a -= b;
  a -= c;
  a ^= c >> 38;
  b -= c;
  b -= a;
  b ^= a << 23;
  c -= a;
  c -= b;
  c ^= b >> 5;
  a -= b;
  a -= c;
  a ^= c >> 35;
  b -= c;
  b -= a;
  b ^= a << 49;
  c -= a;
  c -= b;
  c ^= b >> 11;
  a -= b;
  a -= c;
  a ^= c >> 12;
  b -= c;
  b -= a;
  b ^= a << 18;
  c -= a;
  c -= b;
  c ^= b >> 22;
  return c;
}

// Least squares y ~ X b over n examples of width k (row-major X), by the normal equations in double. Returns
// the root-mean-square residual and the coefficients.
struct Fit {
  std::vector<double> coef;
  double rms_residual = 0;
};
Fit least_squares(const std::vector<double>& x, const std::vector<double>& y, size_t k) {
  const size_t n = y.size();
  std::vector<double> a(k * (k + 1), 0.0);  // augmented [X'X | X'y]
  for (size_t r = 0; r < n; ++r)
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < k; ++j) a[i * (k + 1) + j] += x[r * k + i] * x[r * k + j];
      a[i * (k + 1) + k] += x[r * k + i] * y[r];
    }
  for (size_t col = 0; col < k; ++col) {  // Gauss-Jordan with partial pivoting
    size_t pivot = col;
    for (size_t r = col + 1; r < k; ++r)
      if (std::abs(a[r * (k + 1) + col]) > std::abs(a[pivot * (k + 1) + col])) pivot = r;
    for (size_t j = 0; j <= k; ++j) std::swap(a[col * (k + 1) + j], a[pivot * (k + 1) + j]);
    for (size_t r = 0; r < k; ++r) {
      if (r == col) continue;
      const double f = a[r * (k + 1) + col] / a[col * (k + 1) + col];
      for (size_t j = 0; j <= k; ++j) a[r * (k + 1) + j] -= f * a[col * (k + 1) + j];
    }
  }
  Fit fit;
  for (size_t i = 0; i < k; ++i) fit.coef.push_back(a[i * (k + 1) + k] / a[i * (k + 1) + i]);
  double ss = 0;
  for (size_t r = 0; r < n; ++r) {
    double p = 0;
    for (size_t i = 0; i < k; ++i) p += fit.coef[i] * x[r * k + i];
    ss += (y[r] - p) * (y[r] - p);
  }
  fit.rms_residual = std::sqrt(ss / static_cast<double>(n));
  return fit;
}

// Fits the training labels of a task linearly in its features (optionally with an intercept column).
Fit fit_linear(const Task& t, bool intercept) {
  const size_t f = static_cast<size_t>(t.features), k = f + (intercept ? 1 : 0);
  std::vector<double> x, y(t.train_y.begin(), t.train_y.end());
  for (int i = 0; i < t.n_train; ++i) {
    for (size_t j = 0; j < f; ++j) x.push_back(t.train_x[static_cast<size_t>(i) * f + j]);
    if (intercept) x.push_back(1.0);
  }
  return least_squares(x, y, k);
}

double rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s / static_cast<double>(v.size()));
}

void expect_same_data(const Task& a, const Task& b) {
  EXPECT_EQ(a.train_x, b.train_x);
  EXPECT_EQ(a.train_y, b.train_y);
  EXPECT_EQ(a.valid_x, b.valid_x);
  EXPECT_EQ(a.valid_y, b.valid_y);
  EXPECT_EQ(a.epoch_order, b.epoch_order);
}

// ---------------------------------------------------------------------------------------------------------------
// Seeds (spec §5.2)

TEST(TaskSeeds, DefaultListsAreTheOriginals) {
  EXPECT_EQ(default_param_seeds(), (std::vector<uint32_t>{1001, 1012, 1010, 1000, 1006, 1008, 1007, 1003}));
  EXPECT_EQ(default_data_seeds(), (std::vector<uint32_t>{11001, 11012, 11010, 11000, 11006, 11008, 11007, 11003}));
}

TEST(TaskSeeds, PastTheEndOfTheListSeedsAreConsecutive) {
  EXPECT_EQ(expand_seeds({5, 9}, 5), (std::vector<uint32_t>{5, 9, 10, 11, 12}));
  EXPECT_EQ(expand_seeds({5, 9, 2}, 2), (std::vector<uint32_t>{5, 9}));  // extra list entries are unused
  EXPECT_TRUE(expand_seeds({5}, 0).empty());
  // The default lists continue from their last element (1003 / 11003).
  TaskSpec spec = regression_spec(TaskType::Linear, 4, 10, 10, 10);
  EXPECT_EQ(task_param_seed(spec, 0), 1001u);
  EXPECT_EQ(task_param_seed(spec, 7), 1003u);
  EXPECT_EQ(task_param_seed(spec, 8), 1004u);
  EXPECT_EQ(task_param_seed(spec, 9), 1005u);
  EXPECT_EQ(task_data_seed(spec, 1), 11012u);
  EXPECT_EQ(task_data_seed(spec, 9), 11005u);
  spec.param_seeds = {9000};
  spec.data_seeds = {19000, 42};
  EXPECT_EQ(task_param_seed(spec, 3), 9003u);
  EXPECT_EQ(task_data_seed(spec, 1), 42u);
  EXPECT_EQ(task_data_seed(spec, 2), 43u);
}

TEST(TaskSeeds, EachTaskSeedIsItsElementOfTheExpandedList) {
  // task_param_seed answers in constant time (a set of 100,000 tasks asked it once per task, expanding the list
  // each time); it must still be expand_seeds' element.
  TaskSpec spec = regression_spec(TaskType::Linear, 4, 1000, 10, 10);
  spec.data_seeds = {7, 3, 0xFFFFFFFEu};
  const std::vector<uint32_t> params = expand_seeds(default_param_seeds(), 1000);
  const std::vector<uint32_t> data = expand_seeds(spec.data_seeds, 1000);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(task_param_seed(spec, i), params[static_cast<size_t>(i)]) << i;
    ASSERT_EQ(task_data_seed(spec, i), data[static_cast<size_t>(i)]) << i;  // wraps past 2^32 - 1 like the list
  }
}

TEST(TaskSeeds, TasksOfASetTakeTheirSeedsAndIndicesInOrder) {
  TaskSpec spec = regression_spec(TaskType::Linear, 2, 10, 10, 10);
  const TaskSet set = make_task_set(spec);
  ASSERT_EQ(set.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(set.tasks[i].index, static_cast<uint32_t>(i));
    EXPECT_EQ(set.tasks[i].param_seed, task_param_seed(spec, i));
    EXPECT_EQ(set.tasks[i].data_seed, task_data_seed(spec, i));
  }
}

TEST(TaskSeeds, RandomizeIsDeterministicForASeed) {
  TaskSpec a = regression_spec(TaskType::Linear, 4, 6, 10, 10), b = a;
  randomize_task_seeds(a, 2024);
  randomize_task_seeds(b, 2024);
  EXPECT_EQ(a.param_seeds, b.param_seeds);
  EXPECT_EQ(a.data_seeds, b.data_seeds);
  ASSERT_EQ(a.param_seeds.size(), 6u);
  ASSERT_EQ(a.data_seeds.size(), 6u);
  EXPECT_NE(a.param_seeds, a.data_seeds);  // two independent streams
  for (uint32_t s : a.param_seeds) {
    EXPECT_GT(s, 1u);  // the open interval (1, 2^32 - 1)
    EXPECT_LT(s, 0xffffffffu);
  }
  // Calling it again replaces the lists instead of appending.
  randomize_task_seeds(a, 2024);
  EXPECT_EQ(a.param_seeds, b.param_seeds);
}

TEST(TaskSeeds, RandomizeDiffersBetweenSeeds) {
  TaskSpec a = regression_spec(TaskType::Linear, 4, 6, 10, 10), b = a;
  randomize_task_seeds(a, 1);
  randomize_task_seeds(b, 2);
  EXPECT_NE(a.param_seeds, b.param_seeds);
  EXPECT_NE(a.data_seeds, b.data_seeds);
}

TEST(TaskSeeds, RandomizeDrawsFromTheSpecsMersenneTwisterStreams) {
  // Spec §5.2: param seeds from mt19937(HashMix(85652777, seed)), data seeds from mt19937(HashMix(38272328, seed)),
  // each a uint32 from the open interval (1, 2^32 - 1).
  TaskSpec spec = regression_spec(TaskType::Linear, 4, 3, 10, 10);
  randomize_task_seeds(spec, 99);
  std::mt19937 param_gen(hash_mix(85652777u, 99)), data_gen(hash_mix(38272328u, 99));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(spec.param_seeds[i], draw_random_seed(param_gen));
    EXPECT_EQ(spec.data_seeds[i], draw_random_seed(data_gen));
  }
}

TEST(TaskSeeds, HashMixFollowsTheSpec) {
  // Fold a, then b, into 42 with the original's HashCombine; keep the low 32 bits.
  const uint32_t pairs[][2] = {{0, 0}, {85652777u, 1}, {38272328u, 99}, {856572777u, 0xffffffffu}, {1, 2}, {2, 1}};
  for (const auto& p : pairs) {
    const uint32_t want = static_cast<uint32_t>(spec_hash_combine(spec_hash_combine(42, p[0]), p[1]));
    EXPECT_EQ(hash_mix(p[0], p[1]), want) << p[0] << ", " << p[1];
  }
  EXPECT_NE(hash_mix(1, 2), hash_mix(2, 1));  // order matters
}

TEST(TaskSeeds, HashMixHasNoShortCycles) {
  // As the original's definitions_test: iterating x -> HashMix(x, c) must not revisit a value soon.
  std::set<uint32_t> seen;
  uint32_t x = 1;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(seen.insert(x).second) << "cycle after " << i << " steps";
    x = hash_mix(x, 12345);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Data

TEST(TaskData, SameSpecGivesIdenticalDataTwice) {
  for (TaskType type : {TaskType::Linear, TaskType::Affine, TaskType::NnTeacher}) {
    SCOPED_TRACE(enum_name(type));
    TaskSpec spec = regression_spec(type, 8, 3, 50, 20);
    spec.num_epochs = 3;
    const TaskSet a = make_task_set(spec), b = make_task_set(spec);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) expect_same_data(a.tasks[i], b.tasks[i]);
    EXPECT_NE(a.id, b.id);  // a new materialisation gets a new id (GPU upload key)
  }
}

TEST(TaskData, GoldenValuesOfTheFirstLinearTask) {
  // Pinned once from this implementation (seeds 1001 / 11001, F = 4). They guard cross-machine and cross-compiler
  // determinism of the task data: Philox words -> Box-Muller in double -> float. A change here means every
  // published fitness number moves; only change them together with a bytecode/data version note.
  const TaskSet set = make_task_set(regression_spec(TaskType::Linear, 4, 1, 100, 100));
  const Task& t = set.tasks[0];
  ASSERT_EQ(t.param_seed, 1001u);
  ASSERT_EQ(t.data_seed, 11001u);
  const float want_x0[] = {-0x1.94e096p-1f, -0x1.09eb52p-3f, 0x1.424952p-1f,
                           0x1.0d7922p-1f};  // -0.790776, -0.129843, 0.629466, 0.526315
  for (int j = 0; j < 4; ++j) EXPECT_EQ(t.train_x[j], want_x0[j]) << "train_x[0][" << j << "]";
  EXPECT_EQ(t.train_y[0], -0x1.e6be42p-1f);  // -0.950670
  EXPECT_EQ(t.train_y[99], 0x1.1cc322p+1f);  // 2.224705
  EXPECT_EQ(t.valid_x[0], 0x1.e6ca72p-4f);   // 0.118845
  EXPECT_EQ(t.valid_y[0], 0x1.aa6a92p-3f);   // 0.208211
}

TEST(TaskData, FeaturesAreStandardNormal) {
  const TaskSet set = make_task_set(regression_spec(TaskType::Linear, 4, 1, 5000, 10));
  std::vector<double> x(set.tasks[0].train_x.begin(), set.tasks[0].train_x.end());
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (double v : x) var += (v - mean) * (v - mean);
  var /= static_cast<double>(x.size());
  EXPECT_NEAR(mean, 0.0, 0.05);  // 20000 values: se 0.007
  EXPECT_NEAR(var, 1.0, 0.1);
}

TEST(TaskData, LinearLabelsAreExactlyALinearFunctionOfTheFeatures) {
  // y = w.x with no bias and no noise: a least-squares fit without intercept leaves only float rounding.
  const TaskSet set = make_task_set(regression_spec(TaskType::Linear, 4, 3, 100, 10));
  for (const Task& t : set.tasks) {
    const Fit fit = fit_linear(t, false);
    EXPECT_LT(fit.rms_residual, 1e-5 * rms(t.train_y)) << "task " << t.index;
    // And the validation labels follow the same w.
    for (int i = 0; i < t.n_valid; ++i) {
      double p = 0;
      for (int j = 0; j < 4; ++j) p += fit.coef[j] * t.valid_x[static_cast<size_t>(i) * 4 + j];
      EXPECT_NEAR(t.valid_y[i], p, 1e-4 * (1 + std::abs(p)));
    }
  }
  // Different param seeds give different weights.
  const Fit w0 = fit_linear(set.tasks[0], false), w1 = fit_linear(set.tasks[1], false);
  EXPECT_GT(std::abs(w0.coef[0] - w1.coef[0]) + std::abs(w0.coef[1] - w1.coef[1]), 1e-3);
}

TEST(TaskData, LinearWeightsDependOnlyOnTheParamSeed) {
  // Same param seed, different data seed: new features, same w.
  TaskSpec a = regression_spec(TaskType::Linear, 4, 1, 100, 10), b = a;
  a.param_seeds = b.param_seeds = {777};
  a.data_seeds = {1};
  b.data_seeds = {2};
  const TaskSet ta = make_task_set(a), tb = make_task_set(b);
  EXPECT_NE(ta.tasks[0].train_x, tb.tasks[0].train_x);
  const Fit wa = fit_linear(ta.tasks[0], false), wb = fit_linear(tb.tasks[0], false);
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(wa.coef[j], wb.coef[j], 1e-5 * (1 + std::abs(wa.coef[j])));
}

TEST(TaskData, AffineLabelsHaveOneSharedIntercept) {
  const TaskSet set = make_task_set(regression_spec(TaskType::Affine, 4, 2, 100, 10));
  for (const Task& t : set.tasks) {
    const Fit with = fit_linear(t, true), without = fit_linear(t, false);
    EXPECT_LT(with.rms_residual, 1e-5 * rms(t.train_y));  // exact with one intercept
    const double b = with.coef[4];
    EXPECT_GT(std::abs(b), 1e-3) << "the intercept is a N(0,1) draw; a zero one means no bias was added";
    EXPECT_GT(without.rms_residual, 0.5 * std::abs(b));  // and not representable without it
  }
}

TEST(TaskData, NnTeacherLabelsAreAReluNetworkWithoutBiases) {
  // y = u.relu(W x) with rows 0 and 2 of W zeroed: for F = 4 only two hidden units are active, so wherever both
  // pre-activations are negative y is exactly 0 (no bias can shift it); a linear task essentially never gives an
  // exact 0. The relu also makes y clearly non-linear in x.
  const TaskSet nn = make_task_set(regression_spec(TaskType::NnTeacher, 4, 2, 1000, 10));
  for (const Task& t : nn.tasks) {
    SCOPED_TRACE("task " + std::to_string(t.index));
    int zeros = 0;
    for (float y : t.train_y) {
      ASSERT_TRUE(std::isfinite(y));
      zeros += y == 0.0f;
    }
    EXPECT_GT(zeros, 50);   // two random half-spaces are both negative for >= ~1/4 of x (well above 5%)
    EXPECT_LT(zeros, 750);  // and not everywhere
    EXPECT_GT(rms(t.train_y), 0.0);
    const Fit fit = fit_linear(t, true);
    EXPECT_GT(fit.rms_residual, 0.05 * rms(t.train_y));
  }
  const TaskSet linear = make_task_set(regression_spec(TaskType::Linear, 4, 1, 1000, 10));
  EXPECT_EQ(std::count(linear.tasks[0].train_y.begin(), linear.tasks[0].train_y.end(), 0.0f), 0);
  // The teacher's data stream has its own tag: same data seed, different features from the linear task's.
  EXPECT_NE(nn.tasks[0].train_x, linear.tasks[0].train_x);
}

TEST(TaskData, NnTeacherWorksForLargerFeatureSizes) {
  const TaskSet set = make_task_set(regression_spec(TaskType::NnTeacher, 16, 1, 200, 10));
  const Task& t = set.tasks[0];
  EXPECT_EQ(t.train_x.size(), 200u * 16u);
  EXPECT_TRUE(std::all_of(t.train_y.begin(), t.train_y.end(), [](float y) { return std::isfinite(y); }));
  EXPECT_GT(std::set<float>(t.train_y.begin(), t.train_y.end()).size(), 100u);
}

TEST(TaskData, UnitZerosAndOnesAreConstant) {
  TaskSpec spec = regression_spec(TaskType::UnitZeros, 4, 1, 5, 3);
  Task t = make_task_set(spec).tasks[0];
  EXPECT_EQ(t.train_x, std::vector<float>(20, 0.0f));
  EXPECT_EQ(t.train_y, std::vector<float>(5, 0.0f));
  EXPECT_EQ(t.valid_x, std::vector<float>(12, 0.0f));
  EXPECT_EQ(t.valid_y, std::vector<float>(3, 0.0f));
  spec.type = TaskType::UnitOnes;
  t = make_task_set(spec).tasks[0];
  EXPECT_EQ(t.train_x, std::vector<float>(20, 1.0f));
  EXPECT_EQ(t.train_y, std::vector<float>(5, 1.0f));
  EXPECT_EQ(t.valid_x, std::vector<float>(12, 1.0f));
  EXPECT_EQ(t.valid_y, std::vector<float>(3, 1.0f));
}

TEST(TaskData, UnitIncrementCountsFromZeroAndRestartsForValidation) {
  TaskSpec spec = regression_spec(TaskType::UnitIncrement, 2, 1, 4, 3);
  spec.increment = 0.5f;
  const Task t = make_task_set(spec).tasks[0];
  EXPECT_EQ(t.train_x, (std::vector<float>{0, 0, 0.5f, 0.5f, 1, 1, 1.5f, 1.5f}));
  EXPECT_EQ(t.train_y, (std::vector<float>{0, 0.5f, 1, 1.5f}));
  EXPECT_EQ(t.valid_x, (std::vector<float>{0, 0, 0.5f, 0.5f, 1, 1}));
  EXPECT_EQ(t.valid_y, (std::vector<float>{0, 0.5f, 1}));
}

TEST(TaskData, UnitFixedCopiesTheExamplesAndTakesCountsFromTheLabels) {
  TaskSpec spec = fixed_spec(2, {1, 2, 3, 4, 5, 6}, {7, 8, 9}, {10, 11}, {12}, EvalType::Accuracy);
  spec.num_train = 999;  // ignored: the label lists give the counts
  spec.num_valid = 999;
  const Task t = make_task_set(spec).tasks[0];
  EXPECT_EQ(t.n_train, 3);
  EXPECT_EQ(t.n_valid, 1);
  EXPECT_EQ(t.eval, EvalType::Accuracy);
  EXPECT_EQ(t.train_x, spec.train_features);
  EXPECT_EQ(t.train_y, spec.train_labels);
  EXPECT_EQ(t.valid_x, spec.valid_features);
  EXPECT_EQ(t.valid_y, spec.valid_labels);
}

// ---------------------------------------------------------------------------------------------------------------
// Epoch orders

TEST(EpochOrder, FirstEpochIsDataOrderLaterEpochsAreFreshShuffles) {
  TaskSpec spec = regression_spec(TaskType::Linear, 2, 2, 50, 5);
  spec.num_epochs = 4;
  const TaskSet set = make_task_set(spec);
  std::vector<uint32_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0u);
  for (const Task& t : set.tasks) {
    ASSERT_EQ(t.epoch_order.size(), 200u);
    EXPECT_EQ(t.max_train_steps(), 200u);
    std::vector<std::vector<uint32_t>> epochs;
    for (int e = 0; e < 4; ++e)
      epochs.emplace_back(t.epoch_order.begin() + e * 50, t.epoch_order.begin() + (e + 1) * 50);
    EXPECT_EQ(epochs[0], identity);
    for (int e = 1; e < 4; ++e) {
      std::vector<uint32_t> sorted = epochs[e];
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, identity) << "epoch " << e << " is not a permutation";
      EXPECT_NE(epochs[e], identity) << "epoch " << e << " is not shuffled";
    }
    EXPECT_NE(epochs[1], epochs[2]);
    EXPECT_NE(epochs[2], epochs[3]);
  }
  // Shuffles depend on the data seed: the two tasks are shuffled differently.
  EXPECT_NE(std::vector<uint32_t>(set.tasks[0].epoch_order.begin() + 50, set.tasks[0].epoch_order.begin() + 100),
            std::vector<uint32_t>(set.tasks[1].epoch_order.begin() + 50, set.tasks[1].epoch_order.begin() + 100));
}

TEST(EpochOrder, SingleEpochIsDataOrder) {
  const Task t = make_task_set(regression_spec(TaskType::Linear, 2, 1, 7, 5)).tasks[0];
  EXPECT_EQ(t.epoch_order, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6}));
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of specs

void expect_invalid(const TaskSpec& spec, const std::string& fragment) {
  try {
    validate(spec, "search_tasks");
    ADD_FAILURE() << "expected a ConfigError mentioning '" << fragment << "'";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("search_tasks"), std::string::npos) << what;  // names where the spec came from
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
  }
  EXPECT_THROW(make_task_set(spec), ConfigError);  // make_task_set validates too
}

TEST(TaskSpecValidation, AcceptsTheSupportedFeatureSizes) {
  for (int f : {2, 4, 8, 16, 32}) EXPECT_NO_THROW(validate(regression_spec(TaskType::Linear, f, 1, 1, 1), "t"));
}

TEST(TaskSpecValidation, RejectsImpossibleSpecs) {
  expect_invalid(regression_spec(TaskType::Linear, 5, 1, 10, 10), "features");
  expect_invalid(regression_spec(TaskType::Linear, 64, 1, 10, 10), "features");
  expect_invalid(regression_spec(TaskType::Linear, 4, 1, 0, 10), "num_train");
  expect_invalid(regression_spec(TaskType::Linear, 4, 1, 10, 0), "num_valid");
  expect_invalid(regression_spec(TaskType::Linear, 4, 0, 10, 10), "num_tasks");
  TaskSpec epochs = regression_spec(TaskType::Linear, 4, 1, 10, 10);
  epochs.num_epochs = 0;
  expect_invalid(epochs, "num_epochs");
  // The teacher zeroes rows 0 and 2, so it needs at least 3 features (the nearest supported size is 4).
  expect_invalid(regression_spec(TaskType::NnTeacher, 2, 1, 10, 10), "nn_teacher");
  // Regression tasks are scored by RMS error.
  TaskSpec accuracy = regression_spec(TaskType::Linear, 4, 1, 10, 10);
  accuracy.eval = EvalType::Accuracy;
  expect_invalid(accuracy, "rms");
}

TEST(TaskSpecValidation, RejectsUnitFixedSizeMismatches) {
  expect_invalid(fixed_spec(2, {1, 2, 3}, {1, 2}, {1, 2}, {1}), "train_features");  // 3 values for 2 x 2
  expect_invalid(fixed_spec(2, {1, 2, 3, 4}, {1, 2}, {1, 2, 3}, {1}), "valid_features");
  expect_invalid(fixed_spec(2, {}, {}, {1, 2}, {1}), "train_labels");
  expect_invalid(fixed_spec(2, {1, 2}, {1}, {}, {}), "valid_labels");
  EXPECT_NO_THROW(validate(fixed_spec(2, {1, 2, 3, 4}, {1, 2}, {1, 2}, {1}), "t"));
}

}  // namespace
}  // namespace amlz
