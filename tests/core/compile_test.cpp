// SPDX-License-Identifier: Apache-2.0
// compile(): dead-code removal over the persistent-memory loop Setup -> (Predict -> Learn)* -> Predict*, address
// compaction, random-op keys and the bytecode verifier (DESIGN.md "Compiling to bytecode").
//
// The proof the design asks for is DeadCodeRemovalProperty: thousands of random and mutated algorithms give
// bit-identical results compiled with and without dead-code removal and compaction. The hand-written cases
// below pin each liveness trap with an algorithm where getting it wrong changes the fitness.
#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "amlz/search/mutator.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::parse;
using test::regression_spec;

constexpr CompileOptions kNoDeadCodeRemoval{false, false};

// Results of one algorithm on every task of `spec`, compiled with `options`.
std::vector<TaskResult> results(const Algorithm& a, const TaskSpec& spec, CompileOptions options) {
  test::EvalSetup setup;
  setup.compile = options;
  return test::evaluate(a, make_task_set(spec), setup);
}

double fitness_of(const Algorithm& a, const TaskSpec& spec, CompileOptions options = {}) {
  return test::mean_fitness(results(a, spec, options));
}

// Evaluates `a` compiled both ways and expects identical per-task results; returns the (shared) mean fitness.
double expect_same_results(const Algorithm& a, const TaskSpec& spec) {
  const std::vector<TaskResult> kept = results(a, spec, kNoDeadCodeRemoval);
  const std::vector<TaskResult> removed = results(a, spec, {});
  SCOPED_TRACE("algorithm:\n" + to_text(a) + "compiled:\n" + disassemble(compile(a)));
  EXPECT_EQ(kept.size(), removed.size());
  for (size_t i = 0; i < std::min(kept.size(), removed.size()); ++i) {
    EXPECT_EQ(kept[i].fitness, removed[i].fitness) << "task " << i;
    EXPECT_EQ(kept[i].status, removed[i].status) << "task " << i;
    EXPECT_EQ(kept[i].train_steps, removed[i].train_steps) << "task " << i;
  }
  return test::mean_fitness(removed);
}

// The same algorithm with one instruction replaced by NoOp() (positions, hence random keys, unchanged).
Algorithm without(Algorithm a, Component c, size_t position) {
  a.component(c).at(position) = Instruction{};
  return a;
}

// Instruction counts kept per component.
struct Kept {
  int setup, predict, learn;
};
void expect_kept(const Algorithm& a, Kept want) {
  const Program p = compile(a);
  SCOPED_TRACE("compiled:\n" + disassemble(p));
  EXPECT_EQ(p.desc.n_setup, want.setup);
  EXPECT_EQ(p.desc.n_predict, want.predict);
  EXPECT_EQ(p.desc.n_learn, want.learn);
  EXPECT_EQ(verify(p), std::nullopt);
}

TaskSpec linear_tasks() { return regression_spec(TaskType::Linear, 4, 2, 50, 20); }
TaskSpec multi_epoch_tasks() {
  TaskSpec s = regression_spec(TaskType::Linear, 4, 2, 20, 10);
  s.num_epochs = 3;
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// The property: removing dead code and compacting addresses never changes a result.

struct Candidate {
  Algorithm algorithm;
  AddressSpace space;
};

// Fresh random algorithms over all 65 ops with varied sizes and address spaces (small spaces make writes to s1
// and reuse of addresses frequent, which is where liveness mistakes show), then mutated copies of them.
std::vector<Candidate> random_candidates(int fresh, int mutated, uint64_t seed) {
  SearchRng rng(seed);
  std::vector<Candidate> out;
  for (int i = 0; i < fresh; ++i) {
    AddressSpace space{rng.uniform_int(2, 7), rng.uniform_int(2, 6), rng.uniform_int(1, 4)};
    if (i % 10 == 0) space = {20, 20, 20};
    const ComponentSizes sizes{rng.uniform_int(0, 7), rng.uniform_int(1, 9), rng.uniform_int(0, 10)};
    out.push_back({make_algorithm(InitialAlgorithm::Random, sizes, test::all_ops(), space, rng), space});
  }
  for (int i = 0; i < mutated; ++i) {
    const Candidate& parent = out[rng.uniform_below(static_cast<uint32_t>(fresh))];
    MutatorOptions options;
    for (int m = 0; m < kNumMutationTypes; ++m) options.types.push_back(static_cast<MutationType>(m));
    options.mutate_prob = 1.0;
    options.ops = test::all_ops();
    options.space = parent.space;
    const Mutator mutator(options);
    out.push_back({mutator.mutate(parent.algorithm, rng.uniform_int(1, 6), rng), parent.space});
  }
  return out;
}

struct Scenario {
  std::string name;
  TaskSpec spec;
  EvalMode mode = EvalMode::Full;
  size_t min_distinct = 100;  // fitness values the candidates must spread over
};

TaskSpec accuracy_tasks() {
  // A small binary classification task with explicit examples; labels 0/1, scored by accuracy.
  SearchRng rng(5);
  std::vector<float> tx, ty, vx, vy;
  for (int i = 0; i < 12 * 4; ++i) tx.push_back(static_cast<float>(rng.gaussian()));
  for (int i = 0; i < 12; ++i) ty.push_back(static_cast<float>(i % 2));
  for (int i = 0; i < 6 * 4; ++i) vx.push_back(static_cast<float>(rng.gaussian()));
  for (int i = 0; i < 6; ++i) vy.push_back(static_cast<float>((i / 2) % 2));
  return test::fixed_spec(4, tx, ty, vx, vy, EvalType::Accuracy);
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> s;
  s.push_back({"linear F=4", regression_spec(TaskType::Linear, 4, 2, 25, 10)});
  s.push_back({"nn_teacher F=8", regression_spec(TaskType::NnTeacher, 8, 1, 20, 10)});
  s.push_back({"unit_fixed accuracy F=4", accuracy_tasks(), EvalMode::Full, 4});  // 6 valid: 7 possible values
  TaskSpec epochs = regression_spec(TaskType::Affine, 2, 1, 8, 6);
  epochs.num_epochs = 3;
  s.push_back({"affine F=2, 3 epochs", epochs});
  TaskSpec increment = regression_spec(TaskType::UnitIncrement, 16, 1, 6, 4);
  increment.num_epochs = 2;
  s.push_back({"unit_increment F=16, 2 epochs", increment});
  s.push_back({"linear F=32", regression_spec(TaskType::Linear, 32, 1, 6, 4)});
  s.push_back({"fingerprint linear F=4", regression_spec(TaskType::Linear, 4, 2, 30, 10), EvalMode::Fingerprint});
  return s;
}

// Programs of every candidate compiled with `options`, packed in one batch; candidate i gets eval seed i + 1.
ProgramBatch batch_of(const std::vector<Candidate>& cands, CompileOptions options, std::vector<Program>* programs) {
  ProgramBatch batch;
  programs->clear();
  for (size_t i = 0; i < cands.size(); ++i) {
    programs->push_back(compile(cands[i].algorithm, options));
    batch.add(programs->back(), static_cast<uint32_t>(i + 1));
  }
  return batch;
}

TEST(DeadCodeRemovalProperty, RandomAlgorithmsGiveIdenticalResultsWithAndWithoutIt) {
  const std::vector<Candidate> cands = random_candidates(4000, 2000, 20240611);
  std::vector<Program> plain_programs, compiled_programs;
  const ProgramBatch plain = batch_of(cands, kNoDeadCodeRemoval, &plain_programs);
  const ProgramBatch compiled = batch_of(cands, {}, &compiled_programs);

  size_t shrunk = 0;
  for (size_t i = 0; i < cands.size(); ++i) {
    ASSERT_EQ(verify(plain_programs[i]), std::nullopt) << to_text(cands[i].algorithm);
    ASSERT_EQ(verify(compiled_programs[i]), std::nullopt) << to_text(cands[i].algorithm);
    shrunk += compiled_programs[i].code.size() < plain_programs[i].code.size();
  }
  // The property only means something if dead code is actually found in most candidates.
  EXPECT_GT(shrunk, cands.size() / 2);

  auto evaluator = make_cpu_evaluator({1, Precision::Float32});
  int reported = 0;
  for (const Scenario& sc : scenarios()) {
    SCOPED_TRACE(sc.name);
    const TaskSet tasks = make_task_set(sc.spec);
    EvalRequest request;
    request.mode = sc.mode;
    std::vector<WorkItem> items = full_work_items(cands.size(), tasks);
    if (sc.mode == EvalMode::Fingerprint)
      for (WorkItem& w : items) w.train_steps = std::min(w.train_steps, 10u);  // an FEC-style short run
    const std::vector<TaskResult> want = evaluator->evaluate(plain, tasks, items, request);
    const std::vector<TaskResult> got = evaluator->evaluate(compiled, tasks, items, request);
    ASSERT_EQ(want.size(), got.size());

    std::set<double> distinct;
    size_t stopped = 0;
    for (size_t k = 0; k < items.size(); ++k) {
      distinct.insert(want[k].fitness);
      stopped += want[k].status != EvalStatus::Ok;
      const bool same = want[k].fitness == got[k].fitness && want[k].status == got[k].status &&
                        want[k].train_steps == got[k].train_steps && want[k].fingerprint == got[k].fingerprint;
      if (same || reported >= 5) {
        EXPECT_TRUE(same);  // counts further failures without flooding the log
        continue;
      }
      ++reported;
      const uint32_t p = items[k].program;
      SCOPED_TRACE("candidate " + std::to_string(p) + " on task " + std::to_string(items[k].task) + "\nalgorithm:\n" +
                   to_text(cands[p].algorithm) + "without dead-code removal:\n" + disassemble(plain_programs[p]) +
                   "with dead-code removal:\n" + disassemble(compiled_programs[p]));
      EXPECT_EQ(want[k].fitness, got[k].fitness);
      EXPECT_EQ(want[k].status, got[k].status);
      EXPECT_EQ(want[k].train_steps, got[k].train_steps);
      EXPECT_EQ(want[k].fingerprint, got[k].fingerprint);
    }
    // The candidates behave variously: many fitness values, and some (not all) stop early. (Here about a sixth of
    // the runs stop early, and regression scenarios see hundreds of distinct fitness values.)
    EXPECT_GE(distinct.size(), sc.min_distinct);
    EXPECT_GT(stopped, 0u);
    EXPECT_LT(stopped, items.size());
  }
}

TEST(DeadCodeRemovalProperty, EachOptionAloneKeepsResults) {
  // Removal without compaction and compaction without removal, against neither, on a smaller sample.
  const std::vector<Candidate> cands = random_candidates(300, 200, 77);
  const TaskSet tasks = make_task_set(regression_spec(TaskType::Linear, 4, 1, 20, 10));
  auto evaluator = make_cpu_evaluator({1, Precision::Float32});
  std::vector<Program> programs;
  const std::vector<TaskResult> want = evaluator->evaluate(batch_of(cands, kNoDeadCodeRemoval, &programs), tasks,
                                                           full_work_items(cands.size(), tasks), {});
  for (const CompileOptions options : {CompileOptions{true, false}, CompileOptions{false, true}}) {
    SCOPED_TRACE("remove_dead_code=" + std::to_string(options.remove_dead_code) +
                 " compact_addresses=" + std::to_string(options.compact_addresses));
    const std::vector<TaskResult> got =
        evaluator->evaluate(batch_of(cands, options, &programs), tasks, full_work_items(cands.size(), tasks), {});
    int failures = 0;
    for (size_t k = 0; k < want.size(); ++k) {
      if (want[k].fitness == got[k].fitness && want[k].status == got[k].status) continue;
      if (++failures > 3) break;
      ADD_FAILURE() << "candidate " << k << ": " << want[k].fitness << " vs " << got[k].fitness << "\n"
                    << to_text(cands[k].algorithm) << disassemble(programs[k]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Liveness traps, one algorithm each. "Relevant" checks show that the instruction in question changes the
// fitness, so keeping it is required rather than harmless.

TEST(Liveness, LearnWriteToS1ReadByTheNextPredictIsKept) {
  // Predict reads s1 before writing it, so Learn's s1 reaches the next prediction.
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.5\n"
      "def Predict():\n  s1 = s1 * s2\n"
      "def Learn():\n  s1 = s0 + s2\n");
  expect_kept(a, {1, 1, 1});
  const double f = expect_same_results(a, linear_tasks());
  EXPECT_NE(f, fitness_of(without(a, Component::Learn, 0), linear_tasks()));
}

TEST(Liveness, LearnWriteToS1OverwrittenByPredictIsRemoved) {
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.5\n"
      "def Predict():\n  s1 = mean(v0)\n"
      "def Learn():\n  s1 = s0 + s2\n");
  expect_kept(a, {0, 1, 0});  // and s2's constant, only feeding that write, goes with it
  expect_same_results(a, linear_tasks());
}

TEST(Liveness, LabelS0IsLiveInLearnButRewrittenBeforeEveryComponent) {
  // Learn reads the label s0 (kept); a hand-written write to s0 at the end of Learn is dead because the executor
  // rewrites s0 (0 before Predict, the label before Learn); a write to s0 read later in the same Learn is live.
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.5\n"
      "def Predict():\n  s1 = s3 + s0\n"
      "def Learn():\n  s3 = s0 * s2\n  s0 = s2 * s2\n");
  expect_kept(a, {1, 1, 1});
  const double f = expect_same_results(a, linear_tasks());
  EXPECT_NE(f, fitness_of(without(a, Component::Learn, 0), linear_tasks()));

  const Algorithm b = parse(
      "def Setup():\n  s2 = 0.5\n"
      "def Predict():\n  s1 = s3 + s0\n"
      "def Learn():\n  s0 = s2 * s0\n  s3 = s0 + s2\n");
  expect_kept(b, {1, 1, 2});
  expect_same_results(b, linear_tasks());
}

TEST(Liveness, FeaturesV0AreLiveWhereReadButWritesAcrossComponentsAreDead) {
  // The linear-regression learner plus two dead writes to v0: the executor loads the features into v0 before every
  // Predict and Learn, so Setup's v0 and the v0 written at the end of Learn are never read.
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.01\n  v0 = bcast(s2)\n"
      "def Predict():\n  s1 = dot(v1, v0)\n"
      "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n  v1 = v1 + v2\n  v0 = v1 + v2\n");
  expect_kept(a, {1, 1, 4});
  EXPECT_GT(expect_same_results(a, regression_spec(TaskType::Linear, 4, 2, 500, 20)), 0.9);  // still learns

  // Inside one component a write to v0 is an ordinary value.
  const Algorithm b = parse(
      "def Setup():\n  s2 = 3\n"
      "def Predict():\n  v0 = s2 * v0\n  s1 = mean(v0)\n"
      "def Learn():\n");
  expect_kept(b, {1, 2, 0});
  const double f = expect_same_results(b, linear_tasks());
  EXPECT_NE(f, fitness_of(without(b, Component::Predict, 0), linear_tasks()));
}

TEST(Liveness, NeverWrittenMemoryReadsAsZero) {
  // s7 and v3 are read but never written: they hold 0 throughout, whatever address compaction gives them.
  // exp(0) = 1 predicts the ones task exactly; norm(0) = 0 predicts the zeros task exactly.
  const Algorithm a = parse(
      "def Setup():\n  s2 = 5\n"
      "def Predict():\n  s1 = exp(s7)\n"
      "def Learn():\n  s3 = s2 + s0\n");
  expect_kept(a, {0, 1, 0});
  EXPECT_EQ(expect_same_results(a, regression_spec(TaskType::UnitOnes, 4, 1, 10, 5)), 1.0);
  const Program p = compile(a);
  EXPECT_EQ(p.desc.n_scalars, 3);  // s0, s1 and s7 (renumbered 2) are allocated and zeroed

  const Algorithm b = parse(
      "def Setup():\n  v2 = gaussian(0, 1, n_features)\n"
      "def Predict():\n  s1 = norm(v3)\n"
      "def Learn():\n");
  expect_kept(b, {0, 1, 0});  // nothing ever writes v3, so Setup's draw is dead
  EXPECT_EQ(expect_same_results(b, regression_spec(TaskType::UnitZeros, 4, 1, 10, 5)), 1.0);
  // Once Learn writes v3 from v2, Setup's draw reaches the prediction through Learn -> Predict.
  Algorithm c = b;
  c.learn.push_back(parse_instruction("v3 = v2 * v2"));
  expect_kept(c, {1, 1, 1});
  EXPECT_LT(expect_same_results(c, regression_spec(TaskType::UnitZeros, 4, 1, 10, 5)), 1.0);
}

TEST(Liveness, ValuesLearnedPersistIntoTheNextPredict) {
  // The linear learner: v1 is written in Learn and read by every later Predict; nothing is dead.
  const Algorithm a = linear_algorithm(0.05f);
  expect_kept(a, {1, 1, 4});
  EXPECT_GT(expect_same_results(a, regression_spec(TaskType::Linear, 4, 2, 500, 20)), 0.99);
}

TEST(Liveness, PredictToPredictThroughValidationIsKept) {
  // In training, Learn overwrites s3 before the next Predict reads it, so Predict's own write to s3 reaches a
  // prediction only through consecutive validation Predicts (and the first training Predict of the next epoch).
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.25\n  s4 = 0.5\n"
      "def Predict():\n  s1 = s3 + s2\n  s3 = s1 * s4\n"
      "def Learn():\n  s3 = s0 * s4\n");
  expect_kept(a, {2, 2, 1});
  for (const TaskSpec& spec : {linear_tasks(), multi_epoch_tasks()}) {
    const double f = expect_same_results(a, spec);
    EXPECT_NE(f, fitness_of(without(a, Component::Predict, 1), spec));
  }
}

TEST(Liveness, ValuesFromValidationCarryIntoTheNextEpoch) {
  // s5 counts every Predict, validation ones included; Learn uses the count, so in epochs 2 and 3 the training
  // steps see how many validation Predicts ran before them.
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.01\n  s4 = 1\n"
      "def Predict():\n  s1 = s3 + s2\n  s5 = s5 + s4\n"
      "def Learn():\n  s3 = s5 * s2\n");
  expect_kept(a, {2, 2, 1});
  const double f = expect_same_results(a, multi_epoch_tasks());
  EXPECT_NE(f, fitness_of(without(a, Component::Predict, 1), multi_epoch_tasks()));
}

TEST(Liveness, PartialWritesKeepEarlierWritesToTheSameVector) {
  // v3[0.5] = 1 changes one element; the others still come from v3 = bcast(s2), which must stay.
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.5\n  v3 = bcast(s2)\n  v3[0.5] = 1\n"
      "def Predict():\n  s1 = dot(v3, v0)\n"
      "def Learn():\n");
  expect_kept(a, {3, 1, 0});
  const double f = expect_same_results(a, linear_tasks());
  EXPECT_NE(f, fitness_of(without(a, Component::Setup, 1), linear_tasks()));
  EXPECT_NE(f, fitness_of(without(a, Component::Setup, 2), linear_tasks()));
}

TEST(Liveness, PartialWritesKeepEarlierWritesToTheSameMatrix) {
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.5\n  v3 = bcast(s2)\n  m1 = bcast(v3, axis=0)\n  m1[0.25, 0.75] = 2\n"
      "def Predict():\n  v4 = dot(m1, v0)\n  s1 = mean(v4)\n"
      "def Learn():\n");
  expect_kept(a, {4, 2, 0});
  const double f = expect_same_results(a, linear_tasks());
  EXPECT_NE(f, fitness_of(without(a, Component::Setup, 2), linear_tasks()));
}

TEST(Liveness, FullWriteAfterAPartialWriteKillsIt) {
  const Algorithm a = parse(
      "def Setup():\n  s2 = 0.5\n  v3[0.5] = 1\n  v3 = bcast(s2)\n"
      "def Predict():\n  s1 = dot(v3, v0)\n"
      "def Learn():\n");
  expect_kept(a, {2, 1, 0});
  expect_same_results(a, linear_tasks());
}

TEST(Liveness, ADeadChainIsRemovedEntirely) {
  // Nothing here reaches s1 except mean(v0): every other instruction, in every component, goes, and so does the
  // memory only they used.
  const Algorithm a = parse(
      "def Setup():\n  s5 = 0.3\n  m2 = gaussian(0, 1, (n_features, n_features))\n"
      "def Predict():\n  s6 = s5 * s5\n  s7 = sin(s6)\n  v4 = s7 * v0\n  m1 = outer(v4, v4)\n  s1 = mean(v0)\n"
      "def Learn():\n  s8 = s7 + s0\n  m1 = m1 + m2\n  v4 = dot(m1, v4)\n");
  expect_kept(a, {0, 1, 0});
  const Program p = compile(a);
  EXPECT_EQ(p.desc.n_scalars, 2);  // only the reserved s0, s1 and v0 remain
  EXPECT_EQ(p.desc.n_vectors, 1);
  EXPECT_EQ(p.desc.n_matrices, 0);
  expect_same_results(a, linear_tasks());
}

TEST(Liveness, NoOpsAreRemovedOnlyWithDeadCodeRemoval) {
  Algorithm a = linear_algorithm();
  pad_with_noops(a, {4, 3, 6});
  a.learn.insert(a.learn.begin() + 1, Instruction{});
  EXPECT_EQ(compile(a).code.size(), 6u);
  EXPECT_EQ(compile(a, kNoDeadCodeRemoval).code.size(), a.size());  // kept verbatim when removal is off
  EXPECT_EQ(compile(a).source_instructions, a.size());
  expect_same_results(a, linear_tasks());
}

// ---------------------------------------------------------------------------------------------------------------
// Random ops keep the key of their source position.

// The random ops of a compiled program, in code order, as (op, key).
std::vector<std::pair<Op, uint32_t>> random_keys(const Program& p) {
  std::vector<std::pair<Op, uint32_t>> keys;
  for (const Instr& in : p.code)
    if (is_random_op(in.op)) keys.emplace_back(in.op, random_key(in));
  return keys;
}

const char* kRandomOpsText =
    "def Setup():\n  s5 = 0.3\n  NoOp()\n  v1 = gaussian(0, 1, n_features)\n"
    "def Predict():\n  s6 = 0.7\n  s2 = dot(v1, v0)\n  s3 = uniform(-0.5, 0.5)\n  s1 = s2 + s3\n"
    "def Learn():\n  s7 = s0 * s0\n  v2 = gaussian(0, 0.1, n_features)\n  v1 = v1 + v2\n";

TEST(RandomOpKeys, AreSourcePositionsNotCompactedPositions) {
  const Algorithm a = parse(kRandomOpsText);
  const Program p = compile(a);
  expect_kept(a, {1, 3, 2});  // the dead constants and the NoOp go
  const std::vector<std::pair<Op, uint32_t>> want = {{Op::VectorGaussianSet, make_random_key(Component::Setup, 2)},
                                                     {Op::ScalarUniformSet, make_random_key(Component::Predict, 2)},
                                                     {Op::VectorGaussianSet, make_random_key(Component::Learn, 1)}};
  EXPECT_EQ(random_keys(p), want);
  EXPECT_EQ(random_keys(compile(a, kNoDeadCodeRemoval)), want);
  EXPECT_NE(disassemble(p).find("key"), std::string::npos);  // traces show the key
  expect_same_results(a, linear_tasks());
}

TEST(RandomOpKeys, ReplacingDeadCodeInPlaceDrawsTheSameNumbers) {
  // Other dead instructions at the same positions: same keys, so the very same draws and the same fitness.
  const Algorithm a = parse(kRandomOpsText);
  Algorithm b = a;
  b.setup[0] = parse_instruction("s4 = 0.9");
  b.setup[1] = parse_instruction("m0 = transpose(m0)");
  b.predict[0] = parse_instruction("v3 = abs(v0)");
  b.learn[0] = parse_instruction("s4 = cos(s0)");
  ASSERT_NE(a, b);
  EXPECT_EQ(fitness_of(a, linear_tasks()), fitness_of(b, linear_tasks()));
  EXPECT_EQ(compile(a).code.size(), compile(b).code.size());
}

TEST(RandomOpKeys, InsertingBeforeARandomOpShiftsItsKey) {
  // Keys follow the source position (DESIGN.md), so a mutation that inserts an instruction before a random op
  // gives that op a new key and fresh numbers, even when the inserted instruction is dead. (Only removal of dead
  // code by the compiler is guaranteed not to move keys.)
  const Algorithm a = parse(kRandomOpsText);
  Algorithm b = a;
  b.setup.insert(b.setup.begin(), parse_instruction("s4 = 0.9"));
  EXPECT_EQ(compile(a).code.size(), compile(b).code.size());  // the inserted constant is dead
  EXPECT_EQ(random_keys(compile(b)).front().second, make_random_key(Component::Setup, 3));
  EXPECT_NE(fitness_of(a, linear_tasks()), fitness_of(b, linear_tasks()))
      << "the Setup gaussian draws different weights under its new key";
}

// ---------------------------------------------------------------------------------------------------------------
// Address compaction

const char* kSparseAddressesText =
    "def Setup():\n  s9 = 0.5\n"
    "def Predict():\n  v7 = s9 * v0\n  m3 = outer(v7, v0)\n  v4 = dot(m3, v7)\n  s5 = dot(v4, v0)\n  s1 = s5 + s0\n"
    "def Learn():\n  s9 = s9 * s9\n";

TEST(Compaction, ReservedAddressesKeepTheirNumbersOthersAreDense) {
  const Algorithm a = parse(kSparseAddressesText);
  const Program p = compile(a);
  SCOPED_TRACE(disassemble(p));
  ASSERT_EQ(p.code.size(), 7u);
  // s0, s1, v0 are fixed; the rest are numbered in order of first use: s9 -> 2, v7 -> 1, m3 -> 0, v4 -> 2, s5 -> 3.
  EXPECT_EQ(p.desc.n_scalars, 4);
  EXPECT_EQ(p.desc.n_vectors, 3);
  EXPECT_EQ(p.desc.n_matrices, 1);
  const Instr& setup = p.code[0];
  EXPECT_EQ(setup.out, 2);
  const Instr& svp = p.code[1];  // v7 = s9 * v0
  EXPECT_EQ(svp.op, Op::ScalarVectorProduct);
  EXPECT_EQ(svp.in1, 2);
  EXPECT_EQ(svp.in2, 0);  // v0 stays v0
  EXPECT_EQ(svp.out, 1);
  const Instr& last_predict = p.code[5];  // s1 = s5 + s0
  EXPECT_EQ(last_predict.out, 1);         // s1 stays s1
  EXPECT_EQ(last_predict.in1, 3);
  EXPECT_EQ(last_predict.in2, 0);  // s0 stays s0
  const Instr& learn = p.code[6];  // s9 = s9 * s9
  EXPECT_EQ(learn.out, 2);
  EXPECT_EQ(learn.in1, 2);
  expect_same_results(a, linear_tasks());
}

TEST(Compaction, ReductionsDoNotDependOnWhereTheirOperandsLive) {
  // Dead-code removal and compaction move vectors and matrices to other offsets of the interpreter's memory, so
  // every op must give bit-identical results wherever its operands sit. A dead constant in Learn, kept only
  // without dead-code removal, shifts every vector and matrix by 1 to 3 floats. F = 16 and 32 are the sizes where
  // Eigen stops unrolling reductions completely and may start them at the first aligned element instead.
  const char* predicts[] = {
      "s1 = mean(m3)",
      "s1 = norm(m3)",
      "s1 = std(m3)",
      "v5 = mean(m3, axis=1)\n  s1 = dot(v5, v0)",
      "v5 = norm(m3, axis=0)\n  s1 = dot(v5, v0)",
      "v5 = norm(m3, axis=1)\n  s1 = dot(v5, v0)",
      "v5 = dot(m3, v6)\n  s1 = mean(v5)",
      "s1 = dot(v6, v0)",
      "s1 = norm(v6)",
      "s1 = mean(v6)",
      "s1 = std(v6)",
      "m2 = matmul(m3, m3)\n  v5 = mean(m2, axis=1)\n  s1 = dot(v5, v0)",
      "m2 = outer(v6, v0)\n  v5 = norm(m2, axis=1)\n  s1 = mean(v5)",
  };
  for (int features : {16, 32})
    for (const char* dead : {"s2 = 0.5", "s3 = 0.5", "s4 = 0.5"})
      for (const char* predict : predicts) {
        const Algorithm a = parse(std::string("def Setup():\n  m3 = gaussian(0, 1, (n_features, n_features))\n") +
                                  "  v6 = gaussian(0, 1, n_features)\n" + "def Predict():\n  " + predict +
                                  "\ndef Learn():\n  " + dead + "\n");
        SCOPED_TRACE("F = " + std::to_string(features));
        // On the zeros task the error is the prediction itself, so a 1-ulp difference shows in the fitness.
        expect_same_results(a, regression_spec(TaskType::UnitZeros, features, 3, 4, 2));
      }
}

TEST(Compaction, EveryAllocatedAddressIsUsedOrReserved) {
  // Density over random algorithms: each compacted address below the counts is touched by some instruction
  // (or is one of the reserved s0, s1, v0), and nothing above the counts is.
  for (const Candidate& c : random_candidates(200, 0, 3)) {
    const Program p = compile(c.algorithm);
    std::set<int> used[4] = {{}, {0, 1}, {0}, {}};
    for (const Instr& in : p.code) {
      const OpInfo& info = op_info(in.op);
      if (!is_random_op(in.op)) {
        if (info.in1 != Kind::None) used[static_cast<int>(info.in1)].insert(in.in1);
        if (info.in2 != Kind::None) used[static_cast<int>(info.in2)].insert(in.in2);
      }
      if (info.out != Kind::None) used[static_cast<int>(info.out)].insert(in.out);
    }
    const int counts[4] = {0, p.desc.n_scalars, p.desc.n_vectors, p.desc.n_matrices};
    for (int k = 1; k < 4; ++k) {
      EXPECT_EQ(static_cast<int>(used[k].size()), counts[k]) << to_text(c.algorithm) << disassemble(p);
      if (!used[k].empty()) {
        EXPECT_EQ(*used[k].rbegin(), counts[k] - 1);
      }
    }
  }
}

TEST(Compaction, DisabledKeepsSourceAddresses) {
  const Algorithm a = parse(kSparseAddressesText);
  const Program p = compile(a, {true, false});
  EXPECT_EQ(p.desc.n_scalars, 10);  // up to s9
  EXPECT_EQ(p.desc.n_vectors, 8);   // up to v7
  EXPECT_EQ(p.desc.n_matrices, 4);  // up to m3
  EXPECT_EQ(p.code[1].in1, 9);
  EXPECT_EQ(p.code[1].out, 7);
  EXPECT_EQ(verify(p), std::nullopt);
}

TEST(Compaction, ReservedAddressesAreAllocatedEvenWhenUnused) {
  const Program p = compile(parse("def Setup():\ndef Predict():\n  s1 = 0.5\ndef Learn():\n"));
  EXPECT_EQ(p.desc.n_scalars, 2);
  EXPECT_EQ(p.desc.n_vectors, 1);
  EXPECT_EQ(p.desc.n_matrices, 0);
  EXPECT_EQ(verify(p), std::nullopt);
  const Program empty = compile(Algorithm{});
  EXPECT_TRUE(empty.code.empty());
  EXPECT_EQ(verify(empty), std::nullopt);
}

// ---------------------------------------------------------------------------------------------------------------
// verify()

Program verified_sample() {
  const Program p =
      compile(parse("def Setup():\n  s2 = 0.5\n  v3[0.5] = 1\n  m1[0.25, 0.75] = 2\n"
                    "def Predict():\n  v4 = dot(m1, v3)\n  s3 = dot(v4, v0)\n  s1 = s3 * s2\n"
                    "def Learn():\n  s2 = uniform(-1, 1)\n"));
  EXPECT_EQ(verify(p), std::nullopt) << disassemble(p);
  return p;
}

void expect_rejected(const Program& p, const std::string& fragment) {
  const std::optional<std::string> problem = verify(p);
  ASSERT_TRUE(problem.has_value()) << "verify() accepted a corrupted program:\n" << disassemble(p);
  EXPECT_NE(problem->find(fragment), std::string::npos) << *problem;
}

TEST(Verify, AcceptsCompiledPrograms) {
  verified_sample();
  EXPECT_EQ(verify(compile(linear_algorithm())), std::nullopt);
  EXPECT_EQ(verify(compile(neural_net_algorithm())), std::nullopt);
  EXPECT_EQ(verify(compile(neural_net_algorithm(), kNoDeadCodeRemoval)), std::nullopt);
}

TEST(Verify, AcceptsRandomOpKeysBeyondTheAddressCounts) {
  // A random op at Learn position 299 carries key bytes 43 and 129 in in1/in2: not addresses, not checked as such.
  Algorithm a = parse("def Setup():\ndef Predict():\n  s1 = s2 + s2\ndef Learn():\n");
  a.learn.assign(299, Instruction{});
  a.learn.push_back(parse_instruction("s2 = uniform(-1, 1)"));
  const Program p = compile(a);
  ASSERT_EQ(p.desc.n_learn, 1);
  EXPECT_EQ(random_key(p.code.back()), make_random_key(Component::Learn, 299));
  EXPECT_EQ(verify(p), std::nullopt);
}

TEST(Verify, RejectsUnknownOpcode) {
  Program p = verified_sample();
  p.code[0].op = static_cast<Op>(kNumOps);
  expect_rejected(p, "opcode");
  p.code[0].op = static_cast<Op>(255);
  expect_rejected(p, "opcode");
}

TEST(Verify, RejectsAddressesOutOfRange) {
  Program p = verified_sample();
  p.code[0].out = p.desc.n_scalars;  // s2 = 0.5 -> one past the last scalar
  expect_rejected(p, "out of range");
  p = verified_sample();
  p.code[3].in1 = p.desc.n_matrices;  // v4 = dot(m?, v3)
  expect_rejected(p, "out of range");
  p = verified_sample();
  p.code[3].in2 = 200;
  expect_rejected(p, "out of range");
}

TEST(Verify, RejectsIndexParameterOne) {
  // A stored 1.0 would index element F, one past the end (spec §2).
  Program p = verified_sample();
  p.code[1].d0 = 1.0f;  // v3[1.0] = 1
  expect_rejected(p, "[0,1)");
  p = verified_sample();
  p.code[2].d1 = 1.0f;  // m1[0.25, 1.0] = 2
  expect_rejected(p, "[0,1)");
  p = verified_sample();
  p.code[1].d0 = -0.25f;
  expect_rejected(p, "[0,1)");
}

TEST(Verify, RejectsSizeMismatches) {
  Program p = verified_sample();
  p.code.pop_back();
  expect_rejected(p, "add up");
  p = verified_sample();
  p.desc.n_predict += 1;
  expect_rejected(p, "add up");
}

TEST(Verify, RejectsMissingReservedAddresses) {
  Program p = compile(parse("def Setup():\ndef Predict():\ndef Learn():\n"));
  p.desc.n_scalars = 1;
  expect_rejected(p, "s0, s1 and v0");
  p.desc.n_scalars = 2;
  p.desc.n_vectors = 0;
  expect_rejected(p, "s0, s1 and v0");
}

TEST(ProgramFlags, CompileRecordsWhatTheInterpretersNeed) {
  EXPECT_EQ(compile(linear_algorithm()).desc.flags, 0);
  // Predict writing v0 (only hand-written programs do): the features are restored before Learn.
  const Program v0 =
      compile(parse("def Setup():\ndef Predict():\n  v0 = v0 + v0\n  s1 = dot(v0, v0)\n"
                    "def Learn():\n"));
  EXPECT_EQ(v0.desc.flags, kPredictWritesV0) << disassemble(v0);
  // A matmul into its right operand: the GPU reserves a scratch matrix for it.
  const Program mm =
      compile(parse("def Setup():\ndef Predict():\n  m1 = matmul(m0, m1)\n  s1 = norm(m1)\n"
                    "def Learn():\n"));
  EXPECT_EQ(mm.desc.flags, kMatmulIntoRightOperand) << disassemble(mm);
  // Into the left operand needs nothing.
  const Program left =
      compile(parse("def Setup():\ndef Predict():\n  m1 = matmul(m1, m0)\n  s1 = norm(m1)\n"
                    "def Learn():\n"));
  EXPECT_EQ(left.desc.flags, 0) << disassemble(left);
}

TEST(Verify, RejectsFlagsThatDoNotDescribeTheCode) {
  // A GPU sizes memory by the flags: a program that hides its scratch matrix must not reach it.
  Program p = compile(parse("def Setup():\ndef Predict():\n  m1 = matmul(m0, m1)\n  s1 = norm(m1)\ndef Learn():\n"));
  ASSERT_EQ(verify(p), std::nullopt);
  p.desc.flags = 0;
  expect_rejected(p, "flags");
  p = verified_sample();
  p.desc.flags = kPredictWritesV0;
  expect_rejected(p, "flags");
}

TEST(Verify, ChecksEveryProgramOfABatchInItsPackedForm) {
  ProgramBatch batch;
  batch.add(verified_sample(), 1);
  batch.add(compile(linear_algorithm()), 2);
  EXPECT_EQ(verify(batch), std::nullopt);
  ProgramBatch bad = batch;
  bad.code[bad.programs[1].code_offset].out = 200;  // an address of the second program
  const auto problem = verify(bad);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("program 1"), std::string::npos) << *problem;
  bad = batch;
  bad.programs[1].code_offset = static_cast<uint32_t>(bad.code.size());  // runs past the code
  EXPECT_TRUE(verify(bad).has_value());
}

}  // namespace
}  // namespace amlz
