// SPDX-License-Identifier: Apache-2.0
// Multiclass semantics (vector labels, bytecode.h LabelKind::Vector): the one-hot label in v1 during Learn and zeros
// during Predict, the logits in v2, the softmax written back before Learn, accuracy by argmax, early stops, on both
// CPU interpreters; compile-time liveness and random instructions that respect v0, v1, v2.
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include "amlz/core/compile.h"
#include "amlz/core/generator.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/core/op_semantics.h"
#include "amlz/eval/backend.h"
#include "amlz/search/mutator.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::parse;

// A hand-made multiclass task of F = 4 features and K = 3 classes: labels are one-hot rows of 4 floats.
Task tiny_task(std::vector<float> train_x, std::vector<int> train_class, std::vector<float> valid_x,
               std::vector<int> valid_class) {
  Task t;
  t.type = TaskType::ProjectedMulticlass;
  t.eval = EvalType::Accuracy;
  t.features = 4;
  t.classes = 3;
  t.n_train = static_cast<int>(train_class.size());
  t.n_valid = static_cast<int>(valid_class.size());
  t.train_x = std::move(train_x);
  t.valid_x = std::move(valid_x);
  auto one_hot = [](const std::vector<int>& classes) {
    std::vector<float> y(classes.size() * 4, 0.0f);
    for (size_t i = 0; i < classes.size(); ++i) y[i * 4 + static_cast<size_t>(classes[i])] = 1.0f;
    return y;
  };
  t.train_y = one_hot(train_class);
  t.valid_y = one_hot(valid_class);
  for (int k = 0; k < t.n_train; ++k) t.epoch_order.push_back(static_cast<uint32_t>(k));
  return t;
}

TaskSet set_of(Task t) {
  TaskSet s;
  s.id = 1u << 30;
  s.tasks.push_back(std::move(t));
  return s;
}

// Both CPU interpreters, the vector one and the reference, must give this result.
std::vector<TaskResult> run_everywhere(const Algorithm& a, const TaskSet& tasks) {
  CompileOptions o;
  o.labels = LabelKind::Vector;
  ProgramBatch batch;
  batch.add(compile(a, o), 1);
  const std::vector<WorkItem> items = full_work_items(1, tasks);
  const std::vector<TaskResult> ref =
      make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Reference})->evaluate(batch, tasks, items, {});
  const std::vector<TaskResult> vec =
      make_cpu_evaluator({1, Precision::Float32, CpuInterpreter::Vector})->evaluate(batch, tasks, items, {});
  EXPECT_EQ(ref.size(), vec.size());
  for (size_t i = 0; i < ref.size() && i < vec.size(); ++i) {
    EXPECT_EQ(ref[i].fitness, vec[i].fitness);
    EXPECT_EQ(ref[i].status, vec[i].status);
    EXPECT_EQ(ref[i].train_steps, vec[i].train_steps);
  }
  return ref;
}

// One training example x = (1,0,0,0) of class 1. Predict: logits = x + v3 (v3 starts at 0) = (1, 0, 0); the
// executor turns them into p = softmax = (e, 1, 1)/(e + 2) = (0.5761, 0.2119, 0.2119). Learn: v3 = v1 - v2 = label - p
// = (-0.5761, 0.7881, -0.2119). Validation logits = x + v3:
//   x = (0, 0, 0)   -> (-0.576, 0.788, -0.212): class 1, labelled 1: right
//   x = (0.5, 0, 0) -> (-0.076, 0.788, -0.212): class 1, labelled 0: wrong
//   x = (1.5, 0, 0) -> ( 0.924, 0.788, -0.212): class 0, labelled 0: right
// Accuracy 2/3. Without the softmax (v3 = (-1, 1, 0)) the third would be wrong (1/3); with no label in v1
// (v3 = -p) all three would be right (3/3).
TEST(Multiclass, HandComputedAccuracyOfATinyTask) {
  const Algorithm a = parse(R"(
def Setup():
def Predict():
  v2 = v0 + v3
def Learn():
  v3 = v1 - v2
)");
  const TaskSet tasks = set_of(tiny_task({1, 0, 0, 0}, {1}, {0, 0, 0, 0, 0.5f, 0, 0, 0, 1.5f, 0, 0, 0}, {1, 0, 0}));
  const std::vector<TaskResult> r = run_everywhere(a, tasks);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, EvalStatus::Ok);
  EXPECT_DOUBLE_EQ(r[0].fitness, 1.0 - 1.0 / 3.0);
  EXPECT_EQ(r[0].train_steps, 1u);
}

// Predict sees v1 = 0 (training and validation): a Predict that copies v1 into the logits predicts class 0 always.
TEST(Multiclass, PredictNeverSeesTheLabel) {
  const Algorithm a = parse(R"(
def Setup():
def Predict():
  v2 = v1 + v3
def Learn():
  v4 = v1 + v4
)");
  const TaskSet tasks = set_of(tiny_task({1, 0, 0, 0, 0, 1, 0, 0}, {2, 2}, {0, 0, 1, 0, 0, 1, 0, 0}, {2, 1}));
  EXPECT_DOUBLE_EQ(run_everywhere(a, tasks)[0].fitness, 0.0);
  // The same program on a task whose validation labels are all class 0 scores 1.
  const TaskSet zeros = set_of(tiny_task({1, 0, 0, 0}, {2}, {0, 0, 1, 0, 0, 1, 0, 0}, {0, 0}));
  EXPECT_DOUBLE_EQ(run_everywhere(a, zeros)[0].fitness, 1.0);
}

// A NaN or infinite logit makes the softmax NaN: training stops (non-finite), fitness 0 in the first epoch.
TEST(Multiclass, NonFiniteLogitsStopTraining) {
  const Algorithm a = parse(R"(
def Setup():
def Predict():
  v2 = v0 / v3
def Learn():
)");
  const std::vector<TaskResult> r =
      run_everywhere(a, set_of(tiny_task({1, 0, 0, 0, 1, 0, 0, 0}, {0, 1}, {0, 0, 0, 0}, {0})));
  EXPECT_EQ(r[0].status, EvalStatus::NonFinite);
  EXPECT_EQ(r[0].fitness, 0.0);
  EXPECT_EQ(r[0].train_steps, 1u);
}

// The largest |label - p| over the K classes is the training error the scalar rule of spec §4 applies to: with
// max_abs_error below it, training stops as diverged.
TEST(Multiclass, TrainingErrorIsTheLargestElementError) {
  const float label[3] = {0, 1, 0}, p[3] = {0.25f, 0.5f, 0.25f};
  EXPECT_EQ(multiclass_train_error(label, p, 3), 0.5f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float p_nan[3] = {0.25f, nan, 0.25f};
  EXPECT_TRUE(std::isnan(multiclass_train_error(label, p_nan, 3)));
  const float logits[4] = {1, 3, 3, 2};  // ties: the first wins
  EXPECT_EQ(argmax_of(logits, 4), 1);
  float v[3] = {0, 0, 0};
  softmax_in_place(v, 3);
  EXPECT_FLOAT_EQ(v[0], 1.0f / 3.0f);

  const Algorithm a = parse(R"(
def Setup():
def Predict():
  v2 = v0 + v3
def Learn():
)");
  Task t = tiny_task({5, 0, 0, 0}, {1}, {0, 0, 0, 0}, {1});
  TaskSet tasks = set_of(std::move(t));
  EvalRequest req;
  req.max_abs_error = 0.5f;  // p = softmax(5, 0, 0) ~ (0.987, 0.007, 0.007): |1 - 0.007| > 0.5
  CompileOptions o;
  o.labels = LabelKind::Vector;
  ProgramBatch batch;
  batch.add(compile(a, o), 1);
  for (CpuInterpreter kind : {CpuInterpreter::Reference, CpuInterpreter::Vector}) {
    const TaskResult r =
        make_cpu_evaluator({1, Precision::Float32, kind})->evaluate(batch, tasks, full_work_items(1, tasks), req)[0];
    EXPECT_EQ(r.status, EvalStatus::Diverged);
    EXPECT_EQ(r.fitness, 0.0);
  }
}

// A program compiled for scalar labels is refused on multiclass tasks (and the other way round): a caller's bug.
TEST(Multiclass, ProgramsCompiledForTheOtherLabelKindAreRefused) {
  const Algorithm a = parse("def Setup():\ndef Predict():\n  v2 = v0 + v3\ndef Learn():\n");
  ProgramBatch batch;
  batch.add(compile(a), 1);  // scalar labels
  const TaskSet tasks = set_of(tiny_task({1, 0, 0, 0}, {1}, {0, 0, 0, 0}, {1}));
  EXPECT_THROW(make_cpu_evaluator({})->evaluate(batch, tasks, full_work_items(1, tasks), {}), std::logic_error);
}

// The hand-written baselines learn a separable synthetic task well above chance (1/K).
TEST(Multiclass, BaselinesLearn) {
  const TaskSet tasks = test::multiclass_task_set(8, 5, 3, 2000, 2, 500, 7);
  const Algorithm logistic = parse(R"(
def Setup():
  s3 = 0.01
def Predict():
  v2 = dot(m0, v0)
  v2 = v2 + v3
def Learn():
  v4 = v1 - v2
  v4 = s3 * v4
  v3 = v3 + v4
  m1 = outer(v4, v0)
  m0 = m0 + m1
)");
  EXPECT_GT(test::mean_fitness(test::evaluate(logistic, tasks)), 0.8);
  EXPECT_GT(test::mean_fitness(test::evaluate(neural_net_multiclass_algorithm(), tasks)), 0.6);
}

// ---- compile-time liveness and random instructions --------------------------------------------------------------

TEST(MulticlassCompile, LivenessFollowsTheVectorAddresses) {
  const Algorithm a = parse(R"(
def Setup():
  s0 = 0.5
  s2 = 0.1
def Predict():
  s1 = dot(v0, v0)
  v3 = s0 * v0
  v2 = v3 + v4
  v1 = v0 + v0
def Learn():
  v5 = v1 - v2
  v4 = v4 + v5
  v1 = v5 + v5
)");
  CompileOptions o;
  o.labels = LabelKind::Vector;
  LiveMarks live;
  mark_live(a, live, LabelKind::Vector);
  // s0 is ordinary memory now: set in Setup, read in Predict. s2 is never read; s1 is not the prediction.
  EXPECT_EQ(live[0], (std::vector<uint8_t>{1, 0}));
  // v2 is the prediction; v1 written in Predict is overwritten (by the label) before Learn and Predict.
  EXPECT_EQ(live[1], (std::vector<uint8_t>{0, 1, 1, 0}));
  // Learn reads the label v1 and the prediction v2; its write of v1 dies (the executor overwrites v1).
  EXPECT_EQ(live[2], (std::vector<uint8_t>{1, 1, 0}));
  const Program p = compile(a, o);
  EXPECT_FALSE(verify(p).has_value());
  EXPECT_TRUE(p.desc.flags & kVectorLabels);
  EXPECT_GE(p.desc.n_vectors, 3);
  // With scalar labels the same code keeps nothing of Predict but s1 = dot(v0, v0).
  LiveMarks scalar;
  mark_live(a, scalar);
  EXPECT_EQ(scalar[1], (std::vector<uint8_t>{1, 0, 0, 0}));
  // v1 and v2 keep their numbers when addresses are compacted, even when unused.
  const Program bare = compile(parse("def Setup():\ndef Predict():\n  v2 = v0 + v0\ndef Learn():\n"), o);
  EXPECT_EQ(bare.code[0].out, kPredictionVector);
  EXPECT_EQ(bare.desc.n_vectors, 3);
  Program shrunk = bare;
  shrunk.desc.n_vectors = 1;
  shrunk.code.clear();
  shrunk.desc.n_predict = 0;
  EXPECT_TRUE(verify(shrunk).has_value());  // a vector-label program must allocate v1 and v2
}

TEST(MulticlassCompile, RandomInstructionsNeverWriteTheFeaturesOrTheLabel) {
  AddressSpace space{3, 5, 2};
  space.labels = LabelKind::Vector;
  SearchRng rng(3);
  bool wrote_s0 = false, wrote_v2 = false;
  for (int i = 0; i < 20000; ++i) {
    const Instruction in = random_instruction(test::all_ops()[0], space, rng);
    const Kind out = op_info(in.op).out;
    if (out == Kind::Vector) {
      EXPECT_GE(in.out, 2) << to_text(in);
      wrote_v2 |= in.out == kPredictionVector;
    }
    if (out == Kind::Scalar) wrote_s0 |= in.out == 0;
  }
  EXPECT_TRUE(wrote_s0);  // s0 is no label here
  EXPECT_TRUE(wrote_v2);  // the prediction may be written, as s1 is
  // Two vectors leave no writable vector: ops with vector outputs do not fit; one scalar suffices.
  EXPECT_FALSE(op_fits(Op::VectorSum, AddressSpace{1, 2, 0, LabelKind::Vector}));
  EXPECT_TRUE(op_fits(Op::VectorSum, AddressSpace{1, 3, 0, LabelKind::Vector}));
  EXPECT_TRUE(op_fits(Op::ScalarSum, AddressSpace{1, 3, 0, LabelKind::Vector}));
  EXPECT_FALSE(op_fits(Op::ScalarSum, AddressSpace{1, 3, 0}));
}

// The mutator draws outputs as the generator does: mutants of the 10-class network (which writes neither v0 nor v1)
// never write the features or the label, through any mutation type.
TEST(MulticlassCompile, MutantsNeverWriteTheFeaturesOrTheLabel) {
  MutatorOptions mo;
  for (int t = 0; t < kNumMutationTypes; ++t) mo.types.push_back(static_cast<MutationType>(t));
  mo.mutate_prob = 1.0;
  mo.ops = test::all_ops();
  mo.space = AddressSpace{5, 12, 4, LabelKind::Vector};
  mo.max_sizes = {8, 10, 16};
  const Mutator mutator(mo);
  SearchRng rng(11);
  Algorithm a = neural_net_multiclass_algorithm();
  bool wrote_s0 = false;
  for (int i = 0; i < 3000; ++i) {
    a = mutator.mutate(i % 50 == 0 ? neural_net_multiclass_algorithm() : a, 1, rng);
    for (Component c : kAllComponents)
      for (const Instruction& in : a.component(c)) {
        const Kind out = op_info(in.op).out;
        if (out == Kind::Vector) {
          ASSERT_GE(in.out, 2) << to_text(a);
        }
        wrote_s0 |= out == Kind::Scalar && in.out == 0;
      }
  }
  EXPECT_TRUE(wrote_s0);  // s0 is ordinary memory on these tasks
}

// The DESIGN's proof of dead-code removal, for vector labels: random multiclass programs give bit-identical results
// (fitness, status, steps, fingerprint) with and without it, in full and fingerprint runs.
TEST(MulticlassCompile, DeadCodeRemovalKeepsEveryResult) {
  AddressSpace space{6, 8, 3};
  space.labels = LabelKind::Vector;
  const OpLists ops = test::all_ops();
  SearchRng rng(20261129);
  std::vector<Algorithm> algorithms;
  for (int i = 0; i < 1500; ++i)
    algorithms.push_back(make_algorithm(InitialAlgorithm::Random,
                                        {rng.uniform_int(1, 5), rng.uniform_int(1, 8), rng.uniform_int(1, 10)}, ops,
                                        space, rng));
  CompileOptions plain_options{false, false, LabelKind::Vector}, options{true, true, LabelKind::Vector};
  ProgramBatch plain, compiled;
  size_t shrunk = 0;
  for (size_t i = 0; i < algorithms.size(); ++i) {
    const Program a = compile(algorithms[i], plain_options), b = compile(algorithms[i], options);
    ASSERT_EQ(verify(a), std::nullopt);
    ASSERT_EQ(verify(b), std::nullopt);
    shrunk += b.code.size() < a.code.size();
    plain.add(a, static_cast<uint32_t>(i + 1));
    compiled.add(b, static_cast<uint32_t>(i + 1));
  }
  EXPECT_GT(shrunk, algorithms.size() / 2);
  const TaskSet tasks = test::multiclass_task_set(4, 3, 2, 25, 2, 10, 5);
  auto evaluator = make_cpu_evaluator({1, Precision::Float32});
  for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
    EvalRequest request;
    request.mode = mode;
    const std::vector<WorkItem> items = full_work_items(algorithms.size(), tasks);
    const std::vector<TaskResult> want = evaluator->evaluate(plain, tasks, items, request);
    const std::vector<TaskResult> got = evaluator->evaluate(compiled, tasks, items, request);
    size_t stopped = 0, differ = 0;
    std::set<double> distinct;
    for (size_t k = 0; k < items.size(); ++k) {
      stopped += want[k].status != EvalStatus::Ok;
      distinct.insert(want[k].fitness);
      const bool same = want[k].fitness == got[k].fitness && want[k].status == got[k].status &&
                        want[k].train_steps == got[k].train_steps && want[k].fingerprint == got[k].fingerprint;
      if (!same && ++differ <= 3)
        ADD_FAILURE() << "item " << k << ": " << want[k].fitness << " vs " << got[k].fitness << "\n"
                      << to_text(algorithms[items[k].program]);
    }
    EXPECT_EQ(differ, 0u);
    EXPECT_GT(stopped, 0u);
    EXPECT_LT(stopped, items.size());
    EXPECT_GE(distinct.size(), 4u);
  }
}

}  // namespace
}  // namespace amlz
