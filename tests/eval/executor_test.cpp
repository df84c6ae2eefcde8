// SPDX-License-Identifier: Apache-2.0
// The executor of spec §4 (one program on one task) through cpu::execute_task, with unit tasks whose expected
// fitness can be computed by hand. Programs are compiled WITHOUT dead-code removal or address compaction so that
// what a test observes is never optimised away and the addresses in the text are the addresses in memory, which
// the tests read back after the run.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/compile.h"
#include "amlz/core/op_semantics.h"
#include "eval/cpu_interpreter.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::fixed_spec;
using test::parse;
using test::regression_spec;

constexpr double kPi = 3.14159265358979323846;

// The spec's FlipAndSquash, written independently of op_semantics.h.
double squash(double rmse) { return 1.0 - (2.0 / kPi) * std::atan(rmse); }

Program compile_plain(const std::string& text) {
  CompileOptions o;
  o.remove_dead_code = false;
  o.compact_addresses = false;
  Program p = compile(parse(text), o);
  if (auto problem = verify(p)) ADD_FAILURE() << "program fails verification: " << *problem;
  return p;
}

Task first_task(const TaskSpec& spec) { return make_task_set(spec).tasks.at(0); }

TaskSpec unit_spec(TaskType type, int num_train, int num_valid, int num_epochs = 1) {
  TaskSpec s = regression_spec(type, 4, 1, num_train, num_valid);
  s.num_epochs = num_epochs;
  return s;
}

// One work item on `task`; the interpreter keeps the final memory for inspection.
struct Executor {
  cpu::Interpreter<float, 4> it;

  TaskResult run(const Program& p, const Task& t, uint32_t train_steps, uint32_t valid_steps,
                 const EvalRequest& req = {}, uint32_t eval_seed = 1) {
    ProgramDesc d = p.desc;
    d.eval_seed = eval_seed;
    const WorkItem w{0, t.index, train_steps, valid_steps};
    return cpu::execute_task(it, p.code.data(), d, t, w, req);
  }
  // The full budget: every training step of every epoch and the whole validation set.
  TaskResult run(const Program& p, const Task& t, const EvalRequest& req = {}) {
    return run(p, t, t.max_train_steps(), static_cast<uint32_t>(t.n_valid), req);
  }
  float s(int i) { return it.s(i); }
};

// ---------------------------------------------------------------------------------------------------------------
// Memory and Setup.

TEST(Executor, MemoryIsWipedAndSetupRunsOnceBeforeTraining) {
  // Setup adds 1 to s2 and Predict adds mean(v1), so leftover memory or a second Setup would shift the
  // prediction away from the label 1. Learn counts its own runs in s5.
  const Program p = compile_plain(
      "def Setup():\n  s4 = 1\n  s2 = s2 + s4\n"
      "def Predict():\n  s6 = mean(v1)\n  s1 = s2 + s6\n"
      "def Learn():\n  s5 = s5 + s4\n");
  const Task t = first_task(unit_spec(TaskType::UnitOnes, 3, 2));
  Executor ex;
  ex.it.reset(p.desc);  // dirty every cell the program uses before the run
  ex.it.s(2) = 50.f;
  ex.it.s(5) = 50.f;
  ex.it.v(1).setConstant(9.f);
  for (int round = 0; round < 2; ++round) {  // and again on the memory the first run left behind
    const TaskResult r = ex.run(p, t);
    EXPECT_EQ(r.status, EvalStatus::Ok);
    EXPECT_EQ(r.fitness, 1.0) << "prediction 1 = label 1 on every validation example: RMSE 0";
    EXPECT_EQ(ex.s(2), 1.f) << "Setup ran exactly once, on zeroed memory";
    EXPECT_EQ(ex.s(5), 3.f) << "Learn ran once per training example";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What s0 and v0 hold.

TEST(Executor, LabelScalarIsZeroDuringEveryPredict) {
  // Predict accumulates s0 into s3 and predicts s3: any label leaking into a Predict (training or validation)
  // would show in s3 and in the fitness.
  const Program p = compile_plain(
      "def Setup():\n"
      "def Predict():\n  s3 = s3 + s0\n  s1 = maximum(s3, s3)\n"
      "def Learn():\n");
  const Task t = first_task(fixed_spec(4, {0, 0, 0, 0, 0, 0, 0, 0}, {3, 5}, {0, 0, 0, 0, 0, 0, 0, 0}, {2, 4}));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(ex.s(3), 0.f);
  // Predictions are 0, so RMSE = sqrt((2^2 + 4^2) / 2) = sqrt(10).
  EXPECT_NEAR(r.fitness, squash(std::sqrt(10.0)), 1e-12);
}

TEST(Executor, LabelScalarIsTheLabelDuringLearn) {
  // Learn copies s0 into s3 (last label seen) and sums it into s4; Predict predicts s3.
  const Program p = compile_plain(
      "def Setup():\n"
      "def Predict():\n  s1 = maximum(s3, s3)\n"
      "def Learn():\n  s3 = maximum(s0, s0)\n  s4 = s4 + s0\n");
  const Task t = first_task(fixed_spec(4, {0, 0, 0, 0, 0, 0, 0, 0}, {3, 5}, {0, 0, 0, 0, 0, 0, 0, 0}, {5, 5}));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(ex.s(4), 8.f) << "Learn saw the labels 3 and 5";
  EXPECT_EQ(ex.s(3), 5.f) << "epoch 0 runs in data order, so the last label is 5";
  EXPECT_EQ(r.fitness, 1.0) << "predicting 5 on labels {5, 5}";
}

TEST(Executor, FeaturesAreRewrittenBeforePredictAndBeforeLearn) {
  // On unit_increment tasks example k has features k,k,k,k and label k. Predict reads mean(v0), then doubles v0
  // (hand-written algorithms may write v0). Learn accumulates |mean(v0) - s0| into s6, which Predict adds to its
  // prediction: if Learn saw the doubled v0, or a Predict saw a stale v0, the fitness drops below 1.
  const Program p = compile_plain(
      "def Setup():\n"
      "def Predict():\n  s7 = mean(v0)\n  s1 = s7 + s6\n  v0 = v0 + v0\n"
      "def Learn():\n  s4 = mean(v0)\n  s5 = s4 - s0\n  s5 = abs(s5)\n  s6 = s6 + s5\n  s8 = s8 + s4\n");
  const Task t = first_task(unit_spec(TaskType::UnitIncrement, 5, 3));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(ex.s(6), 0.f);
  EXPECT_EQ(ex.s(8), 10.f) << "Learn saw the features 0, 1, 2, 3, 4";
  EXPECT_EQ(r.fitness, 1.0);
  EXPECT_EQ(r.status, EvalStatus::Ok);
}

// ---------------------------------------------------------------------------------------------------------------
// Accuracy tasks: sigmoid written before Learn, computed but not written in validation.

TEST(Executor, AccuracyTaskWritesSigmoidBeforeLearnButNotInValidation) {
  // Setup sets the logit s2 = 3; Predict copies it to s1; Learn records the s1 it sees in s3.
  const Program p = compile_plain(
      "def Setup():\n  s2 = 3\n"
      "def Predict():\n  s1 = maximum(s2, s2)\n"
      "def Learn():\n  s3 = maximum(s1, s1)\n");
  const Task t = first_task(fixed_spec(4, {0, 0, 0, 0}, {1}, {0, 0, 0, 0, 0, 0, 0, 0}, {1, 0}, EvalType::Accuracy));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_NEAR(ex.s(3), 1.0 / (1.0 + std::exp(-3.0)), 1e-6) << "Learn sees the probability sigmoid(3)";
  EXPECT_EQ(ex.s(1), 3.f) << "validation computes the sigmoid without writing it back";
  // p = 0.95 > 0.5 predicts class 1 for both validation examples: labels 1 (right) and 0 (wrong).
  EXPECT_EQ(r.fitness, 0.5);
  EXPECT_EQ(r.status, EvalStatus::Ok);
}

TEST(Executor, RmsTaskLeavesPredictionUntouchedBeforeLearn) {
  const Program p = compile_plain(
      "def Setup():\n  s2 = 3\n"
      "def Predict():\n  s1 = maximum(s2, s2)\n"
      "def Learn():\n  s3 = maximum(s1, s1)\n");
  const Task t = first_task(fixed_spec(4, {0, 0, 0, 0}, {3}, {0, 0, 0, 0}, {3}));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(ex.s(3), 3.f);
  EXPECT_EQ(r.fitness, 1.0);
}

TEST(Executor, AccuracyValidationScoresNanLogitAsClassZeroInsteadOfStopping) {
  // Training: every Predict sees s3 = 0 (Learn resets it) and leaves NaN in s3 for the next Predict.
  // Validation has no Learn: example 0 predicts logit 0, example 1 predicts the NaN.
  const Program p = compile_plain(
      "def Setup():\n  s4 = -1\n  s5 = log(s4)\n"
      "def Predict():\n  s1 = maximum(s3, s3)\n  s3 = maximum(s5, s5)\n"
      "def Learn():\n  s3 = 0\n");
  const Task t = first_task(fixed_spec(4, {0, 0, 0, 0}, {1}, {0, 0, 0, 0, 0, 0, 0, 0}, {1, 0}, EvalType::Accuracy));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  // Logit 0 gives p = 0.5, and p > 0.5 is false: class 0 against label 1, wrong. The NaN logit gives a NaN p,
  // also class 0, against label 0: right. Error rate 1/2.
  EXPECT_EQ(r.status, EvalStatus::Ok);
  EXPECT_EQ(r.fitness, 0.5);
}

// ---------------------------------------------------------------------------------------------------------------
// Early stopping: |y - s1| NaN (NonFinite) or strictly above max_abs_error (Diverged).

TEST(Executor, NanFromSetupStopsAtFirstStepWithNonFinite) {
  const Program p = compile_plain(
      "def Setup():\n  s2 = -1\n  s3 = log(s2)\n  s8 = 1\n"  // s3 = log(-1) = NaN
      "def Predict():\n  s1 = maximum(s3, s3)\n"
      "def Learn():\n  s7 = s7 + s8\n");
  const Task t = first_task(unit_spec(TaskType::UnitZeros, 10, 5));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(r.status, EvalStatus::NonFinite);
  EXPECT_EQ(r.fitness, 0.0);
  EXPECT_EQ(r.train_steps, 1u) << "the failing step counts as started";
  EXPECT_EQ(ex.s(7), 0.f) << "Learn does not run after the failing Predict";
}

TEST(Executor, InfFromSetupStopsAtFirstStepWithDiverged) {
  const Program p = compile_plain(
      "def Setup():\n  s3 = 1 / s2\n"  // s2 = 0: s3 = +inf
      "def Predict():\n  s1 = maximum(s3, s3)\n"
      "def Learn():\n");
  const Task t = first_task(unit_spec(TaskType::UnitZeros, 10, 5));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(r.status, EvalStatus::Diverged) << "|0 - inf| = inf counts as above max_abs_error";
  EXPECT_EQ(r.fitness, 0.0);
  EXPECT_EQ(r.train_steps, 1u);
}

TEST(Executor, PredictionGrowingPastMaxStopsStrictlyAboveIt) {
  // Predictions 25, 50, 75, 100, 125 on label 0: 100 is not above max_abs_error = 100, 125 is.
  const Program p = compile_plain(
      "def Setup():\n  s3 = 25\n"
      "def Predict():\n  s2 = s2 + s3\n  s1 = maximum(s2, s2)\n"
      "def Learn():\n");
  const Task t = first_task(unit_spec(TaskType::UnitZeros, 10, 5));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(r.status, EvalStatus::Diverged);
  EXPECT_EQ(r.train_steps, 5u);
  EXPECT_EQ(r.fitness, 0.0) << "stopped in the first epoch";
}

TEST(Executor, ErrorExactlyAtMaxIsAccepted) {
  const Task t = first_task(unit_spec(TaskType::UnitZeros, 4, 2));
  Executor ex;
  // |0 - 100| = 100 on every training and validation example: not strictly greater, so the run completes
  // with RMSE 100.
  const TaskResult at = ex.run(compile_plain("def Setup():\n  s1 = 100\ndef Predict():\ndef Learn():\n"), t);
  EXPECT_EQ(at.status, EvalStatus::Ok);
  EXPECT_EQ(at.train_steps, 4u);
  EXPECT_NEAR(at.fitness, squash(100.0), 1e-12);
  EXPECT_GT(at.fitness, 0.0);
  // 100.00001 rounds to the next float above 100 (100.0000076): Diverged at the first step.
  const TaskResult above = ex.run(compile_plain("def Setup():\n  s1 = 100.00001\ndef Predict():\ndef Learn():\n"), t);
  EXPECT_EQ(above.status, EvalStatus::Diverged);
  EXPECT_EQ(above.train_steps, 1u);
  EXPECT_EQ(above.fitness, 0.0);
  // The threshold is the request's max_abs_error.
  EvalRequest strict;
  strict.max_abs_error = 10.f;
  EXPECT_EQ(ex.run(compile_plain("def Setup():\n  s1 = 10\ndef Predict():\ndef Learn():\n"), t, strict).status,
            EvalStatus::Ok);
  EXPECT_EQ(ex.run(compile_plain("def Setup():\n  s1 = 10.00001\ndef Predict():\ndef Learn():\n"), t, strict).status,
            EvalStatus::Diverged);
}

TEST(Executor, NanCreatedByLearnStopsAtNextPredict) {
  const Program p = compile_plain(
      "def Setup():\n  s5 = -1\n"
      "def Predict():\n  s1 = maximum(s2, s2)\n"
      "def Learn():\n  s2 = log(s5)\n");  // NaN, predicted from the second step on
  const Task t = first_task(unit_spec(TaskType::UnitZeros, 10, 5));
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(r.status, EvalStatus::NonFinite);
  EXPECT_EQ(r.train_steps, 2u);
  EXPECT_EQ(r.fitness, 0.0);
}

// Predict predicts s3 and then adds s4 to it; Learn resets s3. Training predicts 0 every time, validation (no
// Learn) predicts 0, s4, 2*s4, ...
std::string drifting_in_validation(const std::string& setup) {
  return "def Setup():\n" + setup +
         "def Predict():\n  s1 = maximum(s3, s3)\n  s3 = s3 + s4\n"
         "def Learn():\n  s3 = 0\n";
}

TEST(Executor, DivergenceInValidationGivesZeroFitness) {
  const Program p = compile_plain(drifting_in_validation("  s4 = 30\n"));
  Executor ex;
  // Validation predictions 0, 30, 60, 90, 120 on label 0: the fifth is above 100.
  const TaskResult r = ex.run(p, first_task(unit_spec(TaskType::UnitZeros, 3, 5)));
  EXPECT_EQ(r.status, EvalStatus::Diverged);
  EXPECT_EQ(r.fitness, 0.0);
  EXPECT_EQ(r.train_steps, 3u) << "training itself completed";
  // With four validation examples nothing exceeds 100: RMSE sqrt((0 + 900 + 3600 + 8100) / 4) = sqrt(3150).
  const TaskResult ok = ex.run(p, first_task(unit_spec(TaskType::UnitZeros, 3, 4)));
  EXPECT_EQ(ok.status, EvalStatus::Ok);
  EXPECT_NEAR(ok.fitness, squash(std::sqrt(3150.0)), 1e-12);
}

TEST(Executor, NanInValidationGivesZeroFitnessWithNonFinite) {
  // s4 = log(-1) = NaN: validation example 1 predicts NaN (example 0 predicts 0).
  const Program p = compile_plain(drifting_in_validation("  s5 = -1\n  s4 = log(s5)\n"));
  Executor ex;
  const TaskResult r = ex.run(p, first_task(unit_spec(TaskType::UnitZeros, 3, 4)));
  EXPECT_EQ(r.status, EvalStatus::NonFinite);
  EXPECT_EQ(r.fitness, 0.0);
  EXPECT_EQ(r.train_steps, 3u);
}

// ---------------------------------------------------------------------------------------------------------------
// Epochs.

TEST(Executor, StoppingInALaterEpochKeepsBestFitnessSoFar) {
  // Learn adds 20 to the prediction each step. Epoch 1 trains on predictions 0, 20, 40, 60 and validates with 80
  // (RMSE 80 on label 0). Epoch 2 predicts 80, 100, then 120 > 100: stop at step 7 and keep epoch 1's fitness.
  const Program p = compile_plain(
      "def Setup():\n  s3 = 20\n"
      "def Predict():\n  s1 = maximum(s2, s2)\n"
      "def Learn():\n  s2 = s2 + s3\n");
  Executor ex;
  const TaskResult r = ex.run(p, first_task(unit_spec(TaskType::UnitZeros, 4, 2, /*epochs=*/2)));
  EXPECT_EQ(r.status, EvalStatus::Diverged);
  EXPECT_EQ(r.train_steps, 7u);
  EXPECT_NEAR(r.fitness, squash(80.0), 1e-12);
  EXPECT_GT(r.fitness, 0.0);
}

TEST(Executor, FitnessIsTheMaximumOverEpochs) {
  // Learn adds 1 per step, 2 steps per epoch: validation predicts 2, 4, 6 after epochs 1, 2, 3 against the label
  // 4. The best epoch is the middle one (RMSE 0), neither the first nor the last.
  const Program p = compile_plain(
      "def Setup():\n  s3 = 1\n"
      "def Predict():\n  s1 = maximum(s2, s2)\n"
      "def Learn():\n  s2 = s2 + s3\n");
  TaskSpec spec = fixed_spec(4, {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0}, {0, 0, 0, 0}, {4});
  spec.num_epochs = 3;
  Executor ex;
  const TaskResult r = ex.run(p, first_task(spec));
  EXPECT_EQ(r.status, EvalStatus::Ok);
  EXPECT_EQ(r.train_steps, 6u);
  EXPECT_EQ(r.fitness, 1.0);
  EXPECT_EQ(ex.s(2), 6.f);
}

TEST(Executor, MemoryChangedByValidationPredictPersistsIntoNextEpoch) {
  // Predict predicts s2 and increments it; no Learn. Epoch 1: train predicts 0, validation 1. Epoch 2: train
  // predicts 2 (not 1: validation's increment persisted), validation 3 = the label, so the fitness is 1.
  const Program p = compile_plain(
      "def Setup():\n  s3 = 1\n"
      "def Predict():\n  s1 = maximum(s2, s2)\n  s2 = s2 + s3\n"
      "def Learn():\n");
  TaskSpec spec = fixed_spec(4, {0, 0, 0, 0}, {0}, {0, 0, 0, 0}, {3});
  spec.num_epochs = 2;
  Executor ex;
  const TaskResult r = ex.run(p, first_task(spec));
  EXPECT_EQ(r.fitness, 1.0);
  EXPECT_EQ(ex.s(2), 4.f);
}

TEST(Executor, EpochOrdersArePermutationsAndFirstEpochIsDataOrder) {
  TaskSpec spec = unit_spec(TaskType::UnitZeros, 20, 5, /*epochs=*/4);
  const Task t = first_task(spec);
  ASSERT_EQ(t.epoch_order.size(), 80u);
  bool some_epoch_shuffled = false;
  for (int e = 0; e < 4; ++e) {
    std::vector<uint32_t> order(t.epoch_order.begin() + e * 20, t.epoch_order.begin() + (e + 1) * 20);
    std::vector<uint32_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    std::vector<uint32_t> identity(20);
    std::iota(identity.begin(), identity.end(), 0u);
    EXPECT_EQ(sorted, identity) << "epoch " << e << " is not a permutation of the examples";
    if (e == 0) {
      EXPECT_EQ(order, identity) << "epoch 0 visits the examples in data order";
    } else if (order != identity) {
      some_epoch_shuffled = true;
    }
  }
  // Each later epoch is a fresh shuffle; 3 shuffles of 20 all being the identity has probability (1/20!)^3.
  EXPECT_TRUE(some_epoch_shuffled);
}

TEST(Executor, TrainingVisitsExamplesInEpochOrder) {
  // On unit_increment the label of example k is k. Learn appends each label as a decimal digit to s4
  // (s4 = 10 s4 + s0): 8 digits below 2^24 stay exact in float.
  const Program p = compile_plain(
      "def Setup():\n  s5 = 10\n"
      "def Predict():\n"
      "def Learn():\n  s4 = s4 * s5\n  s4 = s4 + s0\n");
  const Task t = first_task(unit_spec(TaskType::UnitIncrement, 4, 1, /*epochs=*/2));
  double expected = 0;
  for (uint32_t k : t.epoch_order) expected = expected * 10 + k;
  Executor ex;
  const TaskResult r = ex.run(p, t);
  EXPECT_EQ(r.train_steps, 8u);
  EXPECT_EQ(static_cast<double>(ex.s(4)), expected);
  EXPECT_EQ(static_cast<int>(expected) / 10000, 123) << "epoch 0 is 0, 1, 2, 3";
}

// ---------------------------------------------------------------------------------------------------------------
// Budget and step counts.

// Counts Predicts in s3 and Learns in s4.
const char* kCounter =
    "def Setup():\n  s2 = 1\n"
    "def Predict():\n  s3 = s3 + s2\n"
    "def Learn():\n  s4 = s4 + s2\n";

TEST(Executor, TrainStepsCountsEveryStepOfAPartialBudget) {
  const Program p = compile_plain(kCounter);
  const Task t = first_task(unit_spec(TaskType::UnitZeros, 4, 3, /*epochs=*/2));
  Executor ex;
  // 6 of the 8 steps: a full epoch and 2 steps of the second, each followed by a validation of 3 examples.
  const TaskResult r = ex.run(p, t, 6, 3);
  EXPECT_EQ(r.train_steps, 6u);
  EXPECT_EQ(ex.s(4), 6.f);
  EXPECT_EQ(ex.s(3), 6.f + 2 * 3) << "6 training Predicts and 2 validations of 3 examples";
  // More steps than the task has are capped at examples x epochs.
  const TaskResult capped = ex.run(p, t, 100, 3);
  EXPECT_EQ(capped.train_steps, 8u);
  EXPECT_EQ(ex.s(4), 8.f);
}

TEST(Executor, ZeroTrainStepsIsOverBudgetAfterSetupOnly) {
  const Program p = compile_plain(
      "def Setup():\n  s2 = 7\n"
      "def Predict():\n  s3 = 5\n"
      "def Learn():\n  s4 = 5\n");
  Executor ex;
  const TaskResult r = ex.run(p, first_task(unit_spec(TaskType::UnitZeros, 4, 3)), 0, 3);
  EXPECT_EQ(r.status, EvalStatus::OverBudget);
  EXPECT_EQ(r.fitness, 0.0);
  EXPECT_EQ(r.train_steps, 0u);
  EXPECT_EQ(ex.s(2), 7.f) << "Setup ran";
  EXPECT_EQ(ex.s(3), 0.f) << "Predict never ran";
  EXPECT_EQ(ex.s(4), 0.f) << "Learn never ran";
}

TEST(Executor, ValidationLossIsDividedByFullValidationSize) {
  // The empty algorithm predicts 0 on four validation labels of 2.
  const Program p = compile_plain(kCounter);
  const Task t = first_task(fixed_spec(4, {0, 0, 0, 0}, {0}, std::vector<float>(16, 0.f), {2, 2, 2, 2}));
  Executor ex;
  // One validation example: loss 4 divided by the full size 4, RMSE 1 (dividing by 1 would give RMSE 2).
  const TaskResult one = ex.run(p, t, 1, 1);
  EXPECT_NEAR(one.fitness, 0.5, 1e-15);
  EXPECT_EQ(ex.s(3), 2.f) << "one training and one validation Predict";
  const TaskResult all = ex.run(p, t, 1, 4);
  EXPECT_NEAR(all.fitness, squash(2.0), 1e-12);
  // valid_steps beyond the task's size are capped.
  const TaskResult more = ex.run(p, t, 1, 50);
  EXPECT_EQ(more.fitness, all.fitness);
  EXPECT_EQ(ex.s(3), 5.f);
}

// ---------------------------------------------------------------------------------------------------------------
// FlipAndSquash.

TEST(Executor, FlipAndSquashEndpoints) {
  const Program empty = compile_plain("def Setup():\ndef Predict():\ndef Learn():\n");
  Executor ex;
  // RMSE 0 -> exactly 1; RMSE 1 -> 0.5 (atan(1) = pi/4).
  EXPECT_EQ(ex.run(empty, first_task(unit_spec(TaskType::UnitZeros, 4, 4))).fitness, 1.0);
  EXPECT_NEAR(ex.run(empty, first_task(unit_spec(TaskType::UnitOnes, 4, 4))).fitness, 0.5, 1e-15);
  // RMSE inf -> 0: with max_abs_error = inf an infinite error does not stop the run, so it reaches the squash.
  EvalRequest no_limit;
  no_limit.max_abs_error = std::numeric_limits<float>::infinity();
  const TaskResult inf = ex.run(compile_plain("def Setup():\ndef Predict():\n  s1 = 1 / s0\ndef Learn():\n"),
                                first_task(unit_spec(TaskType::UnitZeros, 4, 4)), no_limit);
  EXPECT_EQ(inf.status, EvalStatus::Ok);
  EXPECT_EQ(inf.fitness, 0.0);
  // The function itself, including NaN.
  EXPECT_EQ(flip_and_squash(0.0), 1.0);
  EXPECT_NEAR(flip_and_squash(1.0), 0.5, 1e-15);
  EXPECT_EQ(flip_and_squash(std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_EQ(flip_and_squash(std::numeric_limits<double>::quiet_NaN()), 0.0);
  EXPECT_NEAR(flip_and_squash(3.0), squash(3.0), 1e-15);
}

// ---------------------------------------------------------------------------------------------------------------
// Fingerprint mode (FEC pre-runs).

TaskResult evaluate_one(const Algorithm& a, const TaskSet& tasks, EvalMode mode, uint32_t eval_seed,
                        uint32_t fingerprint_seed = kFingerprintSeed) {
  test::EvalSetup setup;
  setup.request.mode = mode;
  setup.request.fingerprint_seed = fingerprint_seed;
  setup.eval_seed = eval_seed;
  return test::evaluate(a, tasks, setup).at(0);
}

TEST(Executor, FingerprintIsDeterministicAndSeparatesBehaviours) {
  const TaskSet tasks = make_task_set(regression_spec(TaskType::Linear, 4, 1, 20, 10));
  const Algorithm a = parse("def Setup():\n  s2 = 0.5\ndef Predict():\n  s1 = dot(v0, v0)\ndef Learn():\n");
  const Algorithm b = parse("def Setup():\n  s2 = 0.5\ndef Predict():\n  s1 = mean(v0)\ndef Learn():\n");
  const uint64_t fa = evaluate_one(a, tasks, EvalMode::Fingerprint, 1).fingerprint;
  EXPECT_EQ(fa, evaluate_one(a, tasks, EvalMode::Fingerprint, 1).fingerprint);
  EXPECT_NE(fa, evaluate_one(b, tasks, EvalMode::Fingerprint, 1).fingerprint);
  // Same program at another position of a batch: same fingerprint.
  ProgramBatch batch;
  batch.add(compile(b), 1);
  batch.add(compile(a), 1);
  EvalRequest req;
  req.mode = EvalMode::Fingerprint;
  const auto results =
      make_cpu_evaluator({1, Precision::Float32})->evaluate(batch, tasks, {{1, 0, 20, 10}, {0, 0, 20, 10}}, req);
  EXPECT_EQ(results[0].fingerprint, fa);
  EXPECT_NE(results[1].fingerprint, fa);
}

TEST(Executor, FingerprintCoversValidationErrors) {
  // Both programs predict 0 at every training step (Learn resets s3), so their training errors are identical;
  // only their validation predictions (0, 1, 2, ... versus 0, 2, 4, ...) differ.
  const TaskSet tasks = make_task_set(unit_spec(TaskType::UnitZeros, 10, 4));
  const TaskResult step1 = evaluate_one(parse(drifting_in_validation("  s4 = 1\n")), tasks, EvalMode::Fingerprint, 1);
  const TaskResult step2 = evaluate_one(parse(drifting_in_validation("  s4 = 2\n")), tasks, EvalMode::Fingerprint, 1);
  EXPECT_EQ(step1.status, EvalStatus::Ok);
  EXPECT_NE(step1.fingerprint, step2.fingerprint);
}

TEST(Executor, FingerprintRandomOpsUseRequestSeedNotEvalSeed) {
  // Two copies of a program whose prediction is a uniform draw, differing only in their eval_seed.
  const TaskSet tasks = make_task_set(unit_spec(TaskType::UnitZeros, 10, 4));
  const Algorithm a =
      parse("def Setup():\n  s2 = uniform(-1, 1)\ndef Predict():\n  s1 = maximum(s2, s2)\ndef Learn():\n");
  // Full mode: each eval_seed draws its own value, so the fitness differs.
  EXPECT_NE(evaluate_one(a, tasks, EvalMode::Full, 1).fitness, evaluate_one(a, tasks, EvalMode::Full, 2).fitness);
  // Fingerprint mode: both draw with the request's fingerprint_seed.
  const uint64_t f1 = evaluate_one(a, tasks, EvalMode::Fingerprint, 1).fingerprint;
  EXPECT_EQ(f1, evaluate_one(a, tasks, EvalMode::Fingerprint, 2).fingerprint);
  EXPECT_NE(f1, evaluate_one(a, tasks, EvalMode::Fingerprint, 1, kFingerprintSeed + 1).fingerprint);
}

}  // namespace
}  // namespace amlz
