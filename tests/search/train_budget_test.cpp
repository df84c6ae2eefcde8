// SPDX-License-Identifier: Apache-2.0
// The train budget (spec §9): a candidate costing more than threshold_factor x the baseline on a task gets 0
// training steps there (fitness 0); the baseline itself and anything cheaper get all of them. Our cost model
// scales with F (train_budget.h), so vector/matrix ops cost more at larger F.
#include "amlz/search/train_budget.h"

#include <memory>
#include <vector>

#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/search/candidate_evaluator.h"
#include "test_util.h"

namespace amlz {
namespace {

const Task& one_task(const TaskSet& set) { return set.tasks.front(); }

TaskSet linear_tasks(int features, int num_tasks = 1, int num_train = 100) {
  return make_task_set(test::regression_spec(TaskType::Linear, features, num_tasks, num_train, 20));
}

// One instruction per component, so that doubling every component doubles the cost exactly in floating point
// (x + x and 2 * (y + z) are exact scalings): the doubled algorithm sits exactly on the 2x threshold.
Algorithm small_baseline() {
  return test::parse(
      "def Setup():\n  s2 = 0.01\n"
      "def Predict():\n  s1 = dot(v1, v0)\n"
      "def Learn():\n  v1 = v1 + v2\n");
}
Algorithm doubled(const Algorithm& a) {
  Algorithm d = a;
  for (Component c : kAllComponents) {
    auto& instrs = d.component(c);
    const auto copy = instrs;
    instrs.insert(instrs.end(), copy.begin(), copy.end());
  }
  return d;
}

TEST(TrainBudget, TheBaselineItselfIsAccepted) {
  for (int f : {4, 32}) {
    const TaskSet tasks = linear_tasks(f);
    const uint32_t n = one_task(tasks).max_train_steps();
    for (const Algorithm& base : {linear_algorithm(), neural_net_algorithm(), small_baseline()}) {
      // Even with factor 1 the baseline's own cost is within "cost <= factor x baseline".
      for (double factor : {1.0, 2.0}) EXPECT_EQ(TrainBudget(base, factor).train_steps(base, one_task(tasks)), n);
    }
  }
}

TEST(TrainBudget, CheaperCandidatesAreAccepted) {
  const TaskSet tasks = linear_tasks(8);
  const TrainBudget budget(neural_net_algorithm(), 2.0);
  const uint32_t n = one_task(tasks).max_train_steps();
  EXPECT_EQ(budget.train_steps(linear_algorithm(), one_task(tasks)), n);
  EXPECT_EQ(budget.train_steps(small_baseline(), one_task(tasks)), n);
  const Algorithm constant = test::parse("def Setup():\ndef Predict():\n  s1 = 0.5\ndef Learn():\n");
  EXPECT_EQ(budget.train_steps(constant, one_task(tasks)), n);
}

TEST(TrainBudget, ExactlyFactorTimesTheBaselineIsAcceptedAndAnythingMoreGetsZeroSteps) {
  const TaskSet tasks = linear_tasks(4);
  const Task& task = one_task(tasks);
  const Algorithm base = small_baseline();
  const TrainBudget budget(base, 2.0);
  const Algorithm twice = doubled(base);
  ASSERT_EQ(algorithm_cost(twice, 4, task.max_train_steps()), 2.0 * algorithm_cost(base, 4, task.max_train_steps()));
  EXPECT_EQ(budget.train_steps(twice, task), task.max_train_steps());
  // One more instruction in Predict (even a NoOp: the original counts source instructions) tips it over.
  Algorithm more = twice;
  more.predict.push_back(Instruction{});
  EXPECT_EQ(budget.train_steps(more, task), 0u);
  // With factor 3 the same candidate fits again.
  EXPECT_EQ(TrainBudget(base, 3.0).train_steps(more, task), task.max_train_steps());
}

TEST(TrainBudget, VectorAndMatrixOpsCostMoreAtLargerFeatureSizes) {
  // Scalar ops do the same work at every F; vector ops grow with F, matrix ops faster still.
  EXPECT_EQ(op_cost(Op::ScalarSum, 4), op_cost(Op::ScalarSum, 32));
  EXPECT_EQ(op_cost(Op::ScalarConstSet, 2), op_cost(Op::ScalarConstSet, 32));
  for (Op op : {Op::VectorSum, Op::VectorInnerProduct, Op::MatrixSum, Op::MatrixVectorProduct, Op::MatrixMatrixProduct,
                Op::VectorGaussianSet, Op::MatrixUniformSet}) {
    double last = 0.0;
    for (int f : {2, 4, 8, 16, 32}) {
      EXPECT_GT(op_cost(op, f), last) << op_name(op) << " at F = " << f;
      last = op_cost(op, f);
    }
  }
  EXPECT_GT(op_cost(Op::MatrixSum, 32) / op_cost(Op::MatrixSum, 4),
            op_cost(Op::VectorSum, 32) / op_cost(Op::VectorSum, 4));
  EXPECT_GT(op_cost(Op::MatrixMatrixProduct, 32), op_cost(Op::MatrixVectorProduct, 32));
  for (const OpInfo& info : kOpTable) EXPECT_GT(op_cost(info.op, 4), 0.0) << info.enum_name;
}

TEST(TrainBudget, AMatrixProductThatFitsAtSmallFIsRejectedAtLargeF) {
  // Linear regression plus one F x F matrix product per Predict: cheap next to the regression's own dispatches at
  // F = 2, more than 2x a linear regression step at F = 32 (F^3 = 32768 multiply-adds).
  Algorithm candidate = linear_algorithm();
  candidate.predict.push_back(parse_instruction("m0 = matmul(m0, m0)"));
  const TrainBudget budget(linear_algorithm(), 2.0);
  const TaskSet small = linear_tasks(2), large = linear_tasks(32);
  EXPECT_EQ(budget.train_steps(candidate, one_task(small)), one_task(small).max_train_steps());
  EXPECT_EQ(budget.train_steps(candidate, one_task(large)), 0u);
}

TEST(TrainBudget, CostIsSetupOncePlusPredictAndLearnPerStep) {
  const Algorithm a = linear_algorithm();
  const double setup = algorithm_cost(a, 4, 0);
  double setup_sum = 0.0;
  for (const Instruction& in : a.setup) setup_sum += op_cost(in.op, 4);
  EXPECT_DOUBLE_EQ(setup, setup_sum);
  const double per_step = algorithm_cost(a, 4, 1) - setup;
  EXPECT_GT(per_step, 0.0);
  EXPECT_NEAR(algorithm_cost(a, 4, 1000) - setup, 1000 * per_step, 1e-9 * 1000 * per_step);
}

// A candidate that behaves exactly like linear regression but carries dead matrix products in Predict, enough
// to cost more than 2x linear regression at F = 4.
Algorithm expensive_linear() {
  Algorithm a = linear_algorithm();
  const Instruction matmul = parse_instruction("m0 = matmul(m0, m0)");
  for (int i = 0; i < 6; ++i) a.predict.push_back(matmul);
  return a;
}

TEST(TrainBudget, OverBudgetCandidatesScoreZeroThroughTheCandidateEvaluator) {
  const TaskSet tasks = linear_tasks(4, 3);
  const Algorithm cheap = linear_algorithm(), expensive = expensive_linear();
  ASSERT_GT(algorithm_cost(expensive, 4, 100), 2.0 * algorithm_cost(cheap, 4, 100)) << "the fixture is not over budget";
  auto cpu = make_cpu_evaluator({1, Precision::Float32});
  CandidateEvalOptions options;
  options.budget.emplace(cheap, 2.0);
  CandidateEvaluator evaluator(*cpu, tasks, options);
  const auto results = evaluator.evaluate({&cheap, &expensive}, {1, 2});
  // Linear regression learns these tasks; the same behaviour over budget gets 0 on every task, and runs no
  // training step (only Setup), so it costs nothing against the search budget either.
  EXPECT_GT(results[0].fitness, 0.5);
  EXPECT_EQ(results[0].train_steps, 3u * 100u);
  EXPECT_EQ(results[1].fitness, 0.0);
  for (double f : results[1].task_fitness) EXPECT_EQ(f, 0.0);
  EXPECT_EQ(results[1].train_steps, 0u);
  // Without a budget the expensive one scores like linear regression.
  CandidateEvaluator unbudgeted(*cpu, tasks, CandidateEvalOptions{});
  EXPECT_EQ(unbudgeted.evaluate({&expensive}, {2}).front().fitness, results[0].fitness);
}

TEST(TrainBudget, AnOverBudgetCandidateNeverTakesTheCachedFitnessOfTheSameBehaviour) {
  // FEC folds the full run's step count into the key (spec §10), so the over-budget twin of a cached program
  // misses and scores 0 instead of inheriting the cached fitness.
  const TaskSet tasks = linear_tasks(4, 2);
  const Algorithm cheap = linear_algorithm(), expensive = expensive_linear();
  auto cpu = make_cpu_evaluator({1, Precision::Float32});
  CandidateEvalOptions options;
  options.budget.emplace(cheap, 2.0);
  options.fec = FecConfig{true, 10, 10, 1000, 0};
  CandidateEvaluator evaluator(*cpu, tasks, options);
  const CandidateResult first = evaluator.evaluate({&cheap}, {1}).front();
  ASSERT_GT(first.fitness, 0.5);
  const CandidateResult twin = evaluator.evaluate({&expensive}, {1}).front();
  EXPECT_EQ(twin.fec_hits, 0u);
  EXPECT_EQ(twin.fitness, 0.0);
  // Its fingerprint run still counts (10 steps per task), the rejected full run none.
  EXPECT_EQ(twin.train_steps, 2u * 10u);
  // And a second cheap copy is a hit on both tasks.
  EXPECT_EQ(evaluator.evaluate({&cheap}, {3}).front().fec_hits, 2u);
}

TEST(TrainBudget, TheEvaluatorReportsOverBudgetForZeroTrainingSteps) {
  const TaskSet tasks = linear_tasks(4);
  const Program p = compile(linear_algorithm());
  ProgramBatch batch;
  batch.add(p, 1);
  auto cpu = make_cpu_evaluator({1, Precision::Float32});
  const auto r = cpu->evaluate(batch, tasks, {{0, 0, 0, 20}}, EvalRequest{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, EvalStatus::OverBudget);
  EXPECT_EQ(r[0].fitness, 0.0);
  EXPECT_EQ(r[0].train_steps, 0u);
}

}  // namespace
}  // namespace amlz
