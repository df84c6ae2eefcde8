// SPDX-License-Identifier: Apache-2.0
// The CPU vector backend (src/eval/vector_interpreter.*) against the scalar reference (src/eval/cpu_interpreter.h),
// under every SIMD target this binary carries and this machine runs (on an AVX-512 machine: AVX3, AVX2, SSE4 and the
// portable EMU128), so one run of the suite checks every code path a user's machine may take.
//
// Tolerance: none. The vector backend is bit-identical to the reference by construction (cpu_numerics.h): each lane
// performs the reference's IEEE operations in the reference's order, and what cannot be vectorised exactly
// (transcendentals, the sigmoid, st.dev. in double, random draws) goes through the reference's own scalar functions.
// So fitness, fingerprint, training steps and status must match bit for bit, and every memory cell after an op must
// have the same bits, except that any NaN equals any NaN (NaN payloads are not part of the contract; the FEC hash
// folds them onto one pattern).
//
// Environment: AMLZ_PARITY_SEED=n changes the seed of the random programs (default 20261129); failures print it.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/error.h"
#include "amlz/eval/backend.h"
#include "amlz/search/mutator.h"
#include "eval/cpu_interpreter.h"
#include "eval/vector_interpreter.h"
#include "parity/parity_helpers.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::accuracy_spec;
using test::batch_of;
using test::Candidate;
using test::describe;
using test::fixed_spec;
using test::mutator_options;
using test::regression_spec;
using test::spec;

constexpr int L = cpu::kVectorLanes;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

uint64_t parity_seed() {
  const char* s = std::getenv("AMLZ_PARITY_SEED");
  return s && *s ? std::strtoull(s, nullptr, 10) : 20261129u;
}

// Restricts the vector backend to one SIMD target for the life of the object.
class ForcedTarget {
 public:
  explicit ForcedTarget(const std::string& name) { cpu::force_vector_target(name); }
  ~ForcedTarget() { cpu::force_vector_target(""); }
  ForcedTarget(const ForcedTarget&) = delete;
  ForcedTarget& operator=(const ForcedTarget&) = delete;
};

std::vector<std::string> targets() {
  const std::vector<std::string> t = cpu::vector_targets_available();
  EXPECT_FALSE(t.empty());
  return t;
}

bool same_bits(float a, float b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

bool identical(const TaskResult& a, const TaskResult& b) {
  return std::memcmp(&a.fitness, &b.fitness, sizeof a.fitness) == 0 && a.fingerprint == b.fingerprint &&
         a.train_steps == b.train_steps && a.status == b.status;
}

std::unique_ptr<Evaluator> reference(int threads = 1) {
  return make_cpu_evaluator({threads, Precision::Float32, CpuInterpreter::Reference});
}
std::unique_ptr<Evaluator> vector(int threads = 2) {
  return make_cpu_evaluator({threads, Precision::Float32, CpuInterpreter::Vector});
}

// ---- every op alone, on every lane ------------------------------------------------------------------------------
//
// Memory of 4 scalars, 4 vectors and 4 matrices per lane, each lane filled with its own random values in [-2, 2)
// and edge values at random places; the op reads addresses 1 and 2 and writes 3, or writes one of its inputs
// (aliasing: in-place M*v, matmul into either operand, in-place transpose). Afterwards every cell of every lane must
// equal what the reference computes from that lane's memory.

struct Edge {
  float value;
  const char* why;
};
const Edge kEdges[] = {
    {0.0f, "division by zero, log(0) = -inf, heaviside: scalar >= 0 gives 1, vector/matrix > 0 gives 0"},
    {-0.0f, "signed zero: 1/-0 = -inf, heaviside(-0), abs(-0), sums that start from +0"},
    {kInf, "inf - inf = NaN, 0 * inf = NaN, exp(-inf) = 0, atan(inf) = pi/2"},
    {-kInf, "the other infinity: log(-inf), min/max with -inf"},
    {kNaN, "propagation, and the min/max NaN orders (scalar/vector keep the first operand, matrix the second)"},
    {1e-38f, "division by ~0: 1/x near FLT_MAX, x*x underflows"},
    {1e-40f, "a denormal: no flush to zero in either backend"},
    {1e30f, "squares and products overflow to inf in norms, dot, matmul; st.dev. in double does not"},
    {-1e30f, "overflow with the other sign; exp(-1e30) = 0"},
    {1.0f, "asin/acos domain edge; uniform range low == high"},
    {-1.0f, "asin/acos domain edge"},
    {1.0000001f, "just outside the asin/acos domain: NaN"},
    {88.72f, "expf next to its overflow threshold"},
    {-103.9f, "expf into the denormals"},
};

constexpr int kScalars = 4, kVectors = 4, kMatrices = 4;

template <int F>
constexpr size_t rows() {
  return kScalars + size_t{kVectors} * F + size_t{kMatrices} * F * F;
}

// Lane memory in the vector backend's layout, 64-byte aligned.
struct LaneMemory {
  std::vector<float> storage;
  float* data;
  explicit LaneMemory(size_t floats) : storage(floats + 16) {
    data = storage.data() + (16 - reinterpret_cast<uintptr_t>(storage.data()) / sizeof(float) % 16) % 16;
  }
};

template <int F>
void check_op_on_lanes(Op op, SearchRng& rng, const std::string& target, size_t& compared, size_t& failed) {
  const OpInfo& info = op_info(op);
  ProgramDesc desc{};
  desc.n_scalars = kScalars;
  desc.n_vectors = kVectors;
  desc.n_matrices = kMatrices;
  const Kind kinds[2] = {info.in1, info.in2};
  std::vector<int> aliases = {-1};  // output address 3, or one of the inputs' addresses (1 or 2)
  if (info.out == Kind::Vector || info.out == Kind::Matrix)
    for (int s = 0; s < 2; ++s)
      if (kinds[s] == info.out) aliases.push_back(s);
  for (int round = 0; round < 4; ++round)
    for (int alias : aliases) {
      Instr in{op, 3, 1, 2, 0.0f, 0.0f, 0.0f};
      if (alias >= 0) in.out = static_cast<uint8_t>(alias + 1);
      if (info.out == Kind::Scalar && round % 2 == 1) in.out = kPredictionScalar;
      // Parameters: random, or (every other round) an edge value in the first one; random ops keep a source key.
      const Edge& edge = kEdges[rng.uniform_below(static_cast<uint32_t>(std::size(kEdges)))];
      switch (info.data) {
        case DataKind::None: break;
        case DataKind::ScalarConst: in.d0 = round % 2 ? edge.value : rng.uniform_float(-1, 1); break;
        case DataKind::VectorConst:
          in = Instr{op, in.out, 0, 0, rng.uniform_float(0, 1), round % 2 ? edge.value : rng.uniform_float(-1, 1), 0};
          break;
        case DataKind::MatrixConst:
          in = Instr{op,
                     in.out,
                     0,
                     0,
                     rng.uniform_float(0, 1),
                     rng.uniform_float(0, 1),
                     round % 2 ? edge.value : rng.uniform_float(-1, 1)};
          break;
        case DataKind::Uniform:
        case DataKind::Gaussian: {
          const uint32_t key = rng.uniform_below(1u << 16);
          in = Instr{op,
                     in.out,
                     static_cast<uint8_t>(key & 0xFF),
                     static_cast<uint8_t>(key >> 8),
                     round % 2 ? edge.value : rng.uniform_float(-1, 1),
                     rng.uniform_float(-1, 1),
                     0.0f};
          break;
        }
      }
      // Each lane its own values; edge values at random places; lanes 2 and 5 hold constant operands (st.dev. 0).
      LaneMemory mem(rows<F>() * L);
      for (size_t r = 0; r < rows<F>(); ++r)
        for (int l = 0; l < L; ++l) mem.data[r * L + l] = rng.uniform_float(-2.0f, 2.0f);
      for (int k = 0; k < 24; ++k) {
        const size_t r = rng.uniform_below(static_cast<uint32_t>(rows<F>()));
        mem.data[r * L + rng.uniform_below(L)] =
            kEdges[rng.uniform_below(static_cast<uint32_t>(std::size(kEdges)))].value;
      }
      for (int l : {2, 5}) {
        const float c = rng.uniform_float(-8.0f, 8.0f);
        for (size_t r = kScalars; r < rows<F>(); ++r) mem.data[r * L + l] = c;
      }
      uint32_t task_index[L];
      for (int l = 0; l < L; ++l) task_index[l] = rng.uniform_below(1000);
      const RandomStream stream{rng.next_u32(), 0, kPhaseTrain, rng.uniform_below(100)};
      std::vector<float> before(mem.data, mem.data + rows<F>() * L);

      cpu::execute_for_test(desc, F, &in, 1, mem.data, L, task_index, stream);

      for (int l = 0; l < L; ++l) {
        cpu::Interpreter<float, F> it;
        it.reset(desc);
        std::vector<float*> cells;
        for (int i = 0; i < kScalars; ++i) cells.push_back(&it.s(i));
        for (int i = 0; i < kVectors; ++i)
          for (int e = 0; e < F; ++e) cells.push_back(it.v(i).data() + e);
        for (int i = 0; i < kMatrices; ++i)
          for (int e = 0; e < F * F; ++e) cells.push_back(it.m(i).data() + e);
        for (size_t r = 0; r < cells.size(); ++r) *cells[r] = before[r * L + l];
        it.run(&in, 1, RandomStream{stream.seed, task_index[l], stream.phase, stream.step});
        bool lane_ok = true;
        for (size_t r = 0; r < cells.size(); ++r) {
          ++compared;
          if (same_bits(*cells[r], mem.data[r * L + l])) continue;
          lane_ok = false;
          if (++failed <= 8)
            ADD_FAILURE() << target << ": " << op_name(op) << " F=" << F << " lane " << l << " row " << r
                          << (alias >= 0 ? " (out aliases an input)" : "") << ": reference " << *cells[r] << ", vector "
                          << mem.data[r * L + l];
        }
        (void)lane_ok;
      }
    }
}

TEST(VectorParity, EveryOpAloneOnEveryLaneAndEveryTarget) {
  size_t compared = 0, failed = 0;
  for (const std::string& target : targets()) {
    ForcedTarget forced(target);
    ASSERT_EQ(cpu::vector_target(), target);
    SearchRng rng(parity_seed());
    for (const OpInfo& info : kOpTable) {
      check_op_on_lanes<2>(info.op, rng, target, compared, failed);
      check_op_on_lanes<4>(info.op, rng, target, compared, failed);
      check_op_on_lanes<8>(info.op, rng, target, compared, failed);
      check_op_on_lanes<16>(info.op, rng, target, compared, failed);
      check_op_on_lanes<32>(info.op, rng, target, compared, failed);
    }
  }
  std::cout << "[vector parity] every op alone: " << compared << " memory cells compared, " << failed << " differ\n";
  EXPECT_EQ(failed, 0u);
  EXPECT_GT(compared, 1000000u);
}

// ---- st.dev. of equal elements -----------------------------------------------------------------------------------

// "Mean of squares minus square of mean" in float32 (the formula before the fix) comes out negative for many constant
// vectors of 8 or more elements, and the square root NaN; accumulated in double with two passes it is exactly 0.
float stdev_the_old_way(float c, int n) {
  float sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    sum += c;
    sq += c * c;
  }
  const float mean = sum / static_cast<float>(n);
  return std::sqrt(sq / static_cast<float>(n) - mean * mean);
}

template <int F>
void check_constant_stdev(SearchRng& rng, int& old_formula_nans) {
  ProgramDesc desc{};
  desc.n_scalars = 4;
  desc.n_vectors = 3;
  desc.n_matrices = 2;
  const Instr code[] = {
      {Op::VectorStDev, 2, 1, 0, 0, 0, 0}, {Op::MatrixStDev, 3, 1, 0, 0, 0, 0}, {Op::MatrixRowStDev, 2, 1, 0, 0, 0, 0}};
  for (int k = 0; k < 200; ++k) {
    const float c = k < 8 ? std::array<float, 8>{0.0f, -0.0f, 1.0f, -1.0f, 1e-40f, 3.0e30f, 0.1f, -6.51500511f}[k]
                          : rng.uniform_float(-10.0f, 10.0f) * std::exp2(static_cast<float>(rng.uniform_int(-20, 21)));
    SCOPED_TRACE("F=" + std::to_string(F) + ", every element " + std::to_string(c));
    if (std::isnan(stdev_the_old_way(c, F)) || std::isnan(stdev_the_old_way(c, F * F))) ++old_formula_nans;
    // The reference.
    cpu::Interpreter<float, F> it;
    it.reset(desc);
    it.v(1).setConstant(c);
    it.m(1).setConstant(c);
    it.run(code, 3, {1, 0, kPhaseTrain, 0});
    EXPECT_EQ(it.s(2), 0.0f);
    EXPECT_FALSE(std::signbit(it.s(2)));
    EXPECT_EQ(it.s(3), 0.0f);
    for (int i = 0; i < F; ++i) EXPECT_EQ(it.v(2)[i], 0.0f) << "row " << i;
    // The vector backend on every lane.
    const size_t n_rows = 4 + 3 * size_t{F} + 2 * size_t{F} * F;
    LaneMemory mem(n_rows * L);
    std::fill(mem.data, mem.data + n_rows * L, 0.0f);
    for (size_t r = 4 + F; r < 4 + 2 * size_t{F}; ++r) std::fill(mem.data + r * L, mem.data + (r + 1) * L, c);
    for (size_t r = 4 + 3 * size_t{F} + size_t{F} * F; r < n_rows; ++r)
      std::fill(mem.data + r * L, mem.data + (r + 1) * L, c);
    const uint32_t index[L] = {};
    cpu::execute_for_test(desc, F, code, 3, mem.data, L, index, {1, 0, kPhaseTrain, 0});
    for (int l = 0; l < L; ++l) {
      EXPECT_EQ(mem.data[2 * L + l], 0.0f);
      EXPECT_EQ(mem.data[3 * L + l], 0.0f);
      for (int i = 0; i < F; ++i) EXPECT_EQ(mem.data[(4 + 2 * size_t{F} + i) * L + l], 0.0f);
    }
  }
}

TEST(VectorParity, StDevOfEqualElementsIsExactlyZeroForEveryFeatureSize) {
  int old_formula_nans = 0;
  for (const std::string& target : targets()) {
    ForcedTarget forced(target);
    SearchRng rng(parity_seed() + 1);
    check_constant_stdev<2>(rng, old_formula_nans);
    check_constant_stdev<4>(rng, old_formula_nans);
    check_constant_stdev<8>(rng, old_formula_nans);
    check_constant_stdev<16>(rng, old_formula_nans);
    check_constant_stdev<32>(rng, old_formula_nans);
  }
  // The constants are ones the float32 formula gets wrong: the test would catch a return to it.
  EXPECT_GT(old_formula_nans, 100);
}

// ---- random programs -----------------------------------------------------------------------------------------------

// Concatenates task sets; task i gets index i.
TaskSet concat(std::vector<TaskSet> parts) {
  TaskSet out;
  for (TaskSet& part : parts)
    for (Task& t : part.tasks) {
      t.index = static_cast<uint32_t>(out.tasks.size());
      out.tasks.push_back(std::move(t));
    }
  out.id = parts.empty() ? 0 : parts.front().id;
  return out;
}

// Regression (rms) and classification (accuracy) tasks, several sizes and epoch counts, 18 tasks in all (14 for F=2,
// which has no teacher networks), so that a
// program's items form groups of several sizes, and lanes stop early at different steps and epochs.
TaskSet mixed_task_set(int features, uint64_t seed) {
  std::vector<TaskSet> parts;
  parts.push_back(make_task_set(spec(TaskType::Linear, features, 5, 30, 3, 12)));
  parts.push_back(make_task_set(spec(TaskType::Affine, features, 2, 25, 1, 10)));
  if (features >= 4) parts.push_back(make_task_set(spec(TaskType::NnTeacher, features, 4, 20, 3, 8)));
  parts.push_back(make_task_set(accuracy_spec(features, 7, 24, 2, 16, seed)));
  return concat(std::move(parts));
}

// The hand-written algorithms random programs start from: linear and neural-net ones for scalar labels; for vector
// labels (multiclass tasks) softmax regression and the multiclass network.
std::vector<Algorithm> hand_written(LabelKind labels) {
  if (labels == LabelKind::Scalar) return {linear_algorithm(), neural_net_algorithm()};
  return {test::parse("def Setup():\n  s3 = 0.05\ndef Predict():\n  v2 = dot(m0, v0)\n  v2 = v2 + v3\n"
                      "def Learn():\n  v4 = v1 - v2\n  v4 = s3 * v4\n  v3 = v3 + v4\n  m1 = outer(v4, v0)\n"
                      "  m0 = m0 + m1\n"),
          neural_net_multiclass_algorithm()};
}

// Programs the way a search meets them, from the real Generator and Mutator: fresh random algorithms, mutants of the
// hand-written algorithms (which train for many steps), and lineages of mutants of mutants. Compiled for the
// space's label kind.
std::vector<Candidate> random_candidates(size_t n, uint64_t seed, const AddressSpace& space) {
  const OpLists ops = test::all_ops();
  SearchRng rng(seed);
  const Mutator mutator(mutator_options(ops, space));
  const std::vector<Algorithm> bases = hand_written(space.labels);
  std::vector<Algorithm> lineage = bases;
  CompileOptions compile_options;
  compile_options.labels = space.labels;
  std::vector<Candidate> out;
  while (out.size() < n) {
    Algorithm a;
    switch (out.size() % 4) {
      case 0:
        a = make_algorithm(InitialAlgorithm::Random,
                           {rng.uniform_int(1, 6), rng.uniform_int(1, 9), rng.uniform_int(1, 11)}, ops, space, rng);
        break;
      case 1: a = mutator.mutate(bases[rng.bernoulli(0.5) ? 0 : 1], 1, rng); break;
      default:
        a = mutator.mutate(lineage[rng.uniform_below(static_cast<uint32_t>(lineage.size()))], 1, rng);
        if (lineage.size() < 64)
          lineage.push_back(a);
        else
          lineage[rng.uniform_below(64)] = a;
        break;
    }
    Candidate c{std::move(a), {}};
    c.program = compile(c.algorithm, compile_options);
    out.push_back(std::move(c));
  }
  return out;
}

// What kinds of endings a comparison met, so a test can require that it exercised them.
struct Coverage {
  size_t items = 0, ok = 0, non_finite = 0, diverged = 0, over_budget = 0;
  size_t stopped_in_later_epoch = 0;  // early stop after a completed epoch: fitness kept from before
  size_t validation_failed_only = 0;  // a bad validation error, yet training ran to the end
  void count(const TaskResult& r, uint32_t full_steps) {
    ++items;
    switch (r.status) {
      case EvalStatus::Ok: ++ok; break;
      case EvalStatus::NonFinite: ++non_finite; break;
      case EvalStatus::Diverged: ++diverged; break;
      case EvalStatus::OverBudget: ++over_budget; break;
    }
    if (r.status != EvalStatus::Ok && r.status != EvalStatus::OverBudget) {
      if (r.train_steps < full_steps && r.fitness > 0) ++stopped_in_later_epoch;
      if (r.train_steps == full_steps) ++validation_failed_only;
    }
  }
};

// Compares item by item; prints the first differences with the program.
size_t compare(const std::vector<Candidate>& cands, const std::vector<WorkItem>& items,
               const std::vector<TaskResult>& want, const std::vector<TaskResult>& got, const std::string& where) {
  EXPECT_EQ(want.size(), items.size());
  EXPECT_EQ(got.size(), items.size());
  size_t differ = 0;
  for (size_t k = 0; k < items.size() && k < got.size() && k < want.size(); ++k) {
    if (identical(want[k], got[k])) continue;
    if (++differ > 5) continue;
    const Candidate& c = cands[items[k].program];
    ADD_FAILURE() << where << ", seed " << parity_seed() << ", item " << k << " (program " << items[k].program
                  << ", task " << items[k].task << ", train_steps " << items[k].train_steps << ", valid_steps "
                  << items[k].valid_steps << ")\n  reference " << describe(want[k]) << "\n  vector    "
                  << describe(got[k]) << "\n"
                  << to_text(c.algorithm) << disassemble(c.program);
  }
  return differ;
}

TEST(VectorParity, TenThousandRandomProgramsEveryFeatureSizeBothModesEveryTarget) {
  const size_t per_f = 2000;  // x 5 feature sizes = 10,000 programs, each on 18 tasks
  const AddressSpace space{8, 10, 3};
  Coverage coverage;
  size_t differ = 0, compared = 0;
  for (int F : {2, 4, 8, 16, 32}) {
    const uint64_t seed = parity_seed() * 31 + static_cast<uint64_t>(F);
    const std::vector<Candidate> cands = random_candidates(per_f, seed, space);
    const ProgramBatch batch = batch_of(cands, static_cast<uint32_t>(seed));
    const TaskSet tasks = mixed_task_set(F, seed);
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
      if (mode == EvalMode::Fingerprint)  // as the FEC pre-run asks: the first examples only
        for (WorkItem& w : items) {
          w.train_steps = std::min<uint32_t>(w.train_steps, 10);
          w.valid_steps = std::min<uint32_t>(w.valid_steps, 10);
        }
      const std::vector<TaskResult> want = reference(2)->evaluate(batch, tasks, items, request);
      if (mode == EvalMode::Full)
        for (size_t k = 0; k < items.size(); ++k)
          coverage.count(want[k], std::min(items[k].train_steps, tasks.tasks[items[k].task].max_train_steps()));
      for (const std::string& target : targets()) {
        ForcedTarget forced(target);
        const std::vector<TaskResult> got = vector()->evaluate(batch, tasks, items, request);
        compared += items.size();
        differ += compare(cands, items, want, got,
                          target + " F=" + std::to_string(F) + (mode == EvalMode::Full ? " full" : " fingerprint"));
      }
    }
  }
  std::cout << "[vector parity] random programs: " << compared << " items compared bit for bit, " << differ
            << " differ; reference endings: " << coverage.ok << " ok, " << coverage.non_finite << " non-finite, "
            << coverage.diverged << " diverged, " << coverage.stopped_in_later_epoch << " stopped in a later epoch, "
            << coverage.validation_failed_only << " failed validation only\n";
  EXPECT_EQ(differ, 0u);
  // The programs must really exercise every way a lane can end, or the comparison proves little.
  EXPECT_GT(coverage.ok, 50000u);
  EXPECT_GT(coverage.non_finite, 2000u);
  EXPECT_GT(coverage.diverged, 2000u);
  EXPECT_GT(coverage.stopped_in_later_epoch, 100u);
  EXPECT_GT(coverage.validation_failed_only, 20u);
}

// Multiclass tasks (vector labels): the one-hot label in v1, the softmax of v2 written back, the largest element
// error and argmax accuracy, lane by lane, against the reference. Two schedules per F so programs form several
// groups; K = 10 where F allows, else K = F.
TEST(VectorParity, MulticlassRandomProgramsEveryFeatureSizeBothModesEveryTarget) {
  AddressSpace space{8, 12, 4};
  space.labels = LabelKind::Vector;
  Coverage coverage;
  size_t differ = 0, compared = 0;
  for (int F : {2, 4, 8, 16, 32}) {
    const uint64_t seed = parity_seed() * 37 + static_cast<uint64_t>(F);
    const std::vector<Candidate> cands = random_candidates(400, seed, space);
    const ProgramBatch batch = batch_of(cands, static_cast<uint32_t>(seed));
    const int k = std::min(F, 10);
    const TaskSet tasks = concat({test::multiclass_task_set(F, k, 9, 30, 3, 12, seed),
                                  test::multiclass_task_set(F, std::max(2, k - 1), 5, 20, 1, 9, seed + 1)});
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
      if (mode == EvalMode::Fingerprint)
        for (WorkItem& w : items) {
          w.train_steps = std::min<uint32_t>(w.train_steps, 10);
          w.valid_steps = std::min<uint32_t>(w.valid_steps, 10);
        }
      const std::vector<TaskResult> want = reference(2)->evaluate(batch, tasks, items, request);
      if (mode == EvalMode::Full)
        for (size_t i = 0; i < items.size(); ++i)
          coverage.count(want[i], std::min(items[i].train_steps, tasks.tasks[items[i].task].max_train_steps()));
      for (const std::string& target : targets()) {
        ForcedTarget forced(target);
        const std::vector<TaskResult> got = vector()->evaluate(batch, tasks, items, request);
        compared += items.size();
        differ += compare(
            cands, items, want, got,
            "multiclass " + target + " F=" + std::to_string(F) + (mode == EvalMode::Full ? " full" : " fingerprint"));
      }
    }
  }
  std::cout << "[vector parity] multiclass random programs: " << compared << " items compared bit for bit, " << differ
            << " differ; reference endings: " << coverage.ok << " ok, " << coverage.non_finite << " non-finite, "
            << coverage.diverged << " diverged, " << coverage.stopped_in_later_epoch << " stopped in a later epoch\n";
  EXPECT_EQ(differ, 0u);
  // Errors are at most 1 (probabilities, 0/1 accuracy), so with the default max_abs_error only NaN stops a lane.
  EXPECT_GT(coverage.ok, 2000u);
  EXPECT_GT(coverage.non_finite, 100u);
  EXPECT_GT(coverage.stopped_in_later_epoch, 10u);
}

// Items as a search sends them after FEC hits and budget decisions: any subset, any order, duplicates, fewer training
// steps than the task has, 0 steps (OverBudget), fewer or no validation examples, every feature size in one task set.
TEST(VectorParity, SubsetsBudgetsDuplicatesAndMixedFeatureSizes) {
  std::vector<TaskSet> parts;
  for (int F : {2, 4, 8, 16, 32}) parts.push_back(mixed_task_set(F, parity_seed() + static_cast<uint64_t>(F)));
  const TaskSet tasks = concat(std::move(parts));
  const std::vector<Candidate> cands = random_candidates(600, parity_seed() + 77, AddressSpace{8, 10, 3});
  const ProgramBatch batch = batch_of(cands, 11);
  SearchRng rng(parity_seed() + 5);
  std::vector<WorkItem> items;
  for (uint32_t p = 0; p < batch.size(); ++p)
    for (uint32_t t = 0; t < tasks.size(); ++t) {
      if (rng.bernoulli(0.5)) continue;  // an FEC hit: not evaluated
      const Task& task = tasks.tasks[t];
      WorkItem w{p, t, task.max_train_steps(), static_cast<uint32_t>(task.n_valid)};
      switch (rng.uniform_below(6)) {
        case 0: w.train_steps = 0; break;                                                       // OverBudget
        case 1: w.train_steps = rng.uniform_below(task.max_train_steps()) + 1; break;           // budget cut
        case 2: w.valid_steps = rng.uniform_below(static_cast<uint32_t>(task.n_valid)); break;  // FEC-like
        case 3: w.valid_steps = 0; break;
        case 4: w.train_steps = task.max_train_steps() + 50; break;  // more than the task has: capped
        default: break;
      }
      items.push_back(w);
      if (rng.bernoulli(0.05)) items.push_back(w);  // duplicates get identical results
    }
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.uniform_below(static_cast<uint32_t>(i))]);
  size_t differ = 0;
  for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
    EvalRequest request;
    request.mode = mode;
    const auto want = reference()->evaluate(batch, tasks, items, request);
    size_t over_budget = 0;
    for (const TaskResult& r : want) over_budget += r.status == EvalStatus::OverBudget;
    EXPECT_GT(over_budget, 100u);
    for (const std::string& target : targets()) {
      ForcedTarget forced(target);
      differ += compare(cands, items, want, vector(3)->evaluate(batch, tasks, items, request), target);
    }
  }
  EXPECT_EQ(differ, 0u);
}

// Which items share a lane group (and how many do) never changes a result: the same items evaluated all at once
// (groups of up to 16 per program), one at a time (groups of 1), k tasks of each program per call (groups of exactly
// k, for every k from 1 to 16), and shuffled with duplicates, all give the reference's results bit for bit.
TEST(VectorParity, ResultsDoNotDependOnHowItemsShareLaneGroups) {
  const TaskSet tasks = concat({make_task_set(spec(TaskType::Linear, 4, 10, 40, 2, 12)),
                                make_task_set(spec(TaskType::NnTeacher, 4, 10, 40, 2, 12))});  // 20 same-shape tasks
  const std::vector<Candidate> cands = random_candidates(120, parity_seed() + 9, AddressSpace{6, 6, 2});
  const ProgramBatch batch = batch_of(cands, 3);
  const std::vector<WorkItem> all = full_work_items(batch.size(), tasks);
  for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
    EvalRequest request;
    request.mode = mode;
    const auto want = reference()->evaluate(batch, tasks, all, request);
    auto ev = vector(2);
    size_t differ = compare(cands, all, want, ev->evaluate(batch, tasks, all, request), "all at once");
    // One item per call.
    for (size_t k = 0; k < all.size(); k += 7) {
      const auto one = ev->evaluate(batch, tasks, {all[k]}, request);
      differ += compare(cands, {all[k]}, {want[k]}, one, "alone");
    }
    // Groups of exactly k lanes: the first k tasks of every program.
    for (uint32_t k = 1; k <= static_cast<uint32_t>(L); ++k) {
      std::vector<WorkItem> items;
      std::vector<TaskResult> expected;
      for (size_t i = 0; i < all.size(); ++i)
        if (all[i].task < k) {
          items.push_back(all[i]);
          expected.push_back(want[i]);
        }
      differ +=
          compare(cands, items, expected, ev->evaluate(batch, tasks, items, request), "groups of " + std::to_string(k));
    }
    // Reversed, every item twice.
    std::vector<WorkItem> items;
    std::vector<TaskResult> expected;
    for (size_t i = all.size(); i-- > 0;)
      for (int twice = 0; twice < 2; ++twice) {
        items.push_back(all[i]);
        expected.push_back(want[i]);
      }
    differ += compare(cands, items, expected, ev->evaluate(batch, tasks, items, request), "reversed, duplicated");
    EXPECT_EQ(differ, 0u);
  }
}

// A lane whose validation fails stops validating for that epoch but trains on in the next, from the memory it had
// at the failing example; its neighbours keep validating (and changing their memory). Here Predict adds the task's
// feature value c to s3 and predicts log(sin(s3)); Learn subtracts c again, so s3 only moves during validation,
// and a NaN (sin < 0) ends a validation. c = 1: validation fails at its 4th example (s3 = 3.5) and the next epoch
// starts from s3 = 4.5, where training gets NaN at once; had the lane run its remaining validation Predicts, s3
// would be 6.5 and training would go on. c = 0.2 fails only in the third epoch's validation, keeping the fitness of
// the first two.
TEST(VectorParity, ALaneThatFailsValidationTrainsOnFromWhereItStopped) {
  const Algorithm a = test::parse(
      "def Setup():\n  s3 = 0.5\n"
      "def Predict():\n  s5 = sin(s3)\n  s1 = log(s5)\n  s6 = mean(v0)\n  s3 = s3 + s6\n"
      "def Learn():\n  s7 = mean(v0)\n  s3 = s3 - s7\n");
  std::vector<TaskSet> parts;
  const std::vector<float> cs = {1.0f, 0.7f, 0.2f, 1.3f, 0.05f};
  for (float c : cs) {
    TaskSpec s =
        fixed_spec(4, std::vector<float>(3 * 4, c), {0, 0, 0}, std::vector<float>(6 * 4, c), {0, 0, 0, 0, 0, 0});
    s.num_epochs = 3;
    parts.push_back(make_task_set(s));
  }
  const TaskSet tasks = concat(std::move(parts));
  // Alone, a group gathers its examples step by step; eight groups on the same tasks share them arranged.
  const std::vector<Candidate> cands(8, Candidate{a, compile(a)});
  const ProgramBatch batch = batch_of(cands, 1);
  const std::vector<WorkItem> items = full_work_items(cands.size(), tasks);
  for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
    EvalRequest request;
    request.mode = mode;
    const auto want = reference()->evaluate(batch, tasks, items, request);
    // The reference's endings, as worked out above.
    EXPECT_EQ(want[0].status, EvalStatus::NonFinite);
    EXPECT_EQ(want[0].train_steps, 4u);
    EXPECT_EQ(want[0].fitness, 0.0);
    EXPECT_EQ(want[2].status, EvalStatus::NonFinite);
    EXPECT_EQ(want[2].train_steps, 9u);
    EXPECT_GT(want[2].fitness, 0.0);
    EXPECT_EQ(want[4].status, EvalStatus::Ok);
    for (const std::string& target : targets()) {
      ForcedTarget forced(target);
      EXPECT_EQ(compare(cands, items, want, vector()->evaluate(batch, tasks, items, request), target), 0u);
      const std::vector<WorkItem> alone(items.begin(), items.begin() + 5);
      const std::vector<TaskResult> want_alone(want.begin(), want.begin() + 5);
      EXPECT_EQ(compare(cands, alone, want_alone, vector()->evaluate(batch, tasks, alone, request), target), 0u);
    }
  }
}

TEST(VectorParity, ThreadCountDoesNotChangeResults) {
  const TaskSet tasks = mixed_task_set(8, parity_seed());
  const std::vector<Candidate> cands = random_candidates(300, parity_seed() + 13, AddressSpace{8, 10, 3});
  const ProgramBatch batch = batch_of(cands, 5);
  const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
  const auto one = vector(1)->evaluate(batch, tasks, items, {});
  EXPECT_EQ(compare(cands, items, one, vector(4)->evaluate(batch, tasks, items, {}), "4 threads"), 0u);
}

// The seed's hand-written algorithms at benchmark length: thousands of steps per task, all lanes busy.
TEST(VectorParity, HandWrittenAlgorithmsOnLongRuns) {
  for (int F : {4, 8, 16, 32}) {
    std::vector<Candidate> cands;
    for (const Algorithm& a : {linear_algorithm(), neural_net_algorithm(), damaged_neural_net_algorithm()})
      cands.push_back({a, compile(a)});
    const ProgramBatch batch = batch_of(cands, 1000);
    const TaskSet tasks = concat({make_task_set(spec(TaskType::Linear, F, 9, 1000, 1, 100)),
                                  make_task_set(spec(TaskType::NnTeacher, F, 9, 1000, 1, 100))});
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const auto want = reference()->evaluate(batch, tasks, items, {});
    EXPECT_EQ(compare(cands, items, want, vector()->evaluate(batch, tasks, items, {}), "F=" + std::to_string(F)), 0u);
  }
}

// ---- choosing the interpreter ------------------------------------------------------------------------------------

TEST(VectorBackend, BackendNamesChooseTheInterpreter) {
  EXPECT_EQ(resolve_backend("cpu"), Backend::Cpu);
  EXPECT_EQ(resolve_backend("cpu-reference"), Backend::Cpu);
  EXPECT_EQ(cpu_interpreter_for("cpu"), CpuInterpreter::Vector);
  EXPECT_EQ(cpu_interpreter_for("auto"), CpuInterpreter::Vector);
  EXPECT_EQ(cpu_interpreter_for("cpu-reference"), CpuInterpreter::Reference);
  EXPECT_THROW(resolve_backend("cpu-vector"), ConfigError);
  // `--backend cpu` is the vector interpreter and says so, with the SIMD target it dispatched to.
  EvaluatorOptions o;
  o.cpu_threads = 1;
  const auto fast = make_evaluator(Backend::Cpu, o);
  test::expect_contains(fast->describe(), "vector interpreter " + cpu::vector_target());
  o.cpu_interpreter = CpuInterpreter::Reference;
  test::expect_contains(make_evaluator(Backend::Cpu, o)->describe(), "reference interpreter");
  // float64 runs on the reference whatever is asked.
  o.cpu_interpreter = CpuInterpreter::Vector;
  o.cpu_precision = Precision::Float64;
  test::expect_contains(make_evaluator(Backend::Cpu, o)->describe(), "reference interpreter");
}

TEST(VectorBackend, DispatchPicksTheBestTargetAndCanBeRestricted) {
  const std::vector<std::string> all = targets();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(cpu::vector_target(), all.front());
  // The portable fallback is always there, so the binary runs on any x86-64.
  EXPECT_TRUE(all.back() == "EMU128" || all.back() == "SCALAR") << all.back();
  for (const std::string& t : all) {
    ForcedTarget forced(t);
    EXPECT_EQ(cpu::vector_target(), t);
  }
  EXPECT_EQ(cpu::vector_target(), all.front());
  EXPECT_ANY_THROW(cpu::force_vector_target("NO_SUCH_TARGET"));
}

}  // namespace
}  // namespace amlz
