// SPDX-License-Identifier: Apache-2.0
// Backend parity: every backend other than the CPU (today: the CUDA evaluator) against the CPU reference, work item
// by work item. The device is reached only through make_evaluator(); with no device every test SKIPS (never passes).
//
// Environment:
//   AMLZ_PARITY_QUICK=1  a small subset of every test (a few hundred programs, three lane mappings, two feature
//                        sizes for the per-op test), for compute-sanitizer: bench/gpu_check.sh runs memcheck and
//                        racecheck with it. Without it the whole suite takes a few minutes on an H100.
//   AMLZ_PARITY_SEED=n   the seed of the random programs (default 20261127); failures print it.
//   AMLZ_PARITY_LANES=l,l,...  the lane mappings to sweep instead of the default (0 = automatic).
//   AMLZ_PARITY_VERBOSE=1      the device evaluators print each kernel launch's plan on stderr.
// Each test sweeps the lane mappings through EvaluatorOptions::cuda_lanes_per_task (one evaluator per mapping):
// 0 = automatic, then 1..32 (clamped to what is compiled for each F, cuda/cuda_evaluator.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/features.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/search_rng.h"
#include "amlz/eval/backend.h"
#include "amlz/search/mutator.h"
#include "parity/parity_helpers.h"
#include "test_util.h"

namespace amlz::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool quick() {
  const char* q = std::getenv("AMLZ_PARITY_QUICK");
  return q && *q && std::strcmp(q, "0") != 0;
}

uint64_t parity_seed() {
  const char* s = std::getenv("AMLZ_PARITY_SEED");
  return s && *s ? std::strtoull(s, nullptr, 10) : 20261127u;
}

std::vector<Backend> devices() {
  std::vector<Backend> out;
  for (Backend b : available_backends())
    if (b != Backend::Cpu) out.push_back(b);
  return out;
}

#define AMLZ_REQUIRE_DEVICE() \
  if (devices().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason()

// AMLZ_PARITY_LANES="0,4,8" overrides the sweep (to chase one mapping).
std::vector<int> lane_sweep() {
  if (const char* env = std::getenv("AMLZ_PARITY_LANES"); env && *env) {
    std::vector<int> out;
    std::stringstream ss(env);
    for (std::string item; std::getline(ss, item, ',');)
      if (!item.empty()) out.push_back(std::stoi(item));
    return out;
  }
  if (quick()) return {0, 1, 32};
  return {0, 1, 2, 4, 8, 16, 32};
}

// AMLZ_PARITY_VERBOSE=1 makes the device evaluators print each launch's plan (bench/gpu_check.sh collects them).
bool verbose_device() {
  const char* v = std::getenv("AMLZ_PARITY_VERBOSE");
  return v && *v && std::strcmp(v, "0") != 0;
}

// A device evaluator with a fixed lane mapping (0 = automatic).
std::unique_ptr<Evaluator> device_evaluator(Backend b, int lanes) {
  EvaluatorOptions options;
  options.cuda_lanes_per_task = lanes;
  options.cuda_verbose = verbose_device();
  return make_evaluator(b, options);
}

std::unique_ptr<Evaluator> cpu_evaluator(Precision p = Precision::Float32) { return make_cpu_evaluator({0, p}); }

// Task sets assembled by hand get ids far from make_task_set's counter, so the device re-uploads each one.
uint64_t next_test_task_set_id() {
  static uint64_t id = uint64_t{1} << 48;
  return ++id;
}

// Concatenates task sets (different types, sizes, epochs and eval types in one set); task i gets index i.
TaskSet concat(std::vector<TaskSet> parts) {
  TaskSet out;
  for (TaskSet& part : parts)
    for (Task& t : part.tasks) {
      t.index = static_cast<uint32_t>(out.tasks.size());
      out.tasks.push_back(std::move(t));
    }
  out.id = next_test_task_set_id();
  return out;
}

// Regression and classification tasks of several sizes and epoch counts in ONE set, so that the tasks sharing a
// warp follow different schedules (the general case of the device's masking).
TaskSet mixed_task_set(int features, uint64_t seed) {
  std::vector<TaskSet> parts;
  parts.push_back(make_task_set(spec(TaskType::Linear, features, 2, 40, 2, 12)));
  parts.push_back(make_task_set(spec(TaskType::Affine, features, 1, 25, 1, 10)));
  if (features >= 4) parts.push_back(make_task_set(spec(TaskType::NnTeacher, features, 2, 30, 3, 8)));
  parts.push_back(make_task_set(accuracy_spec(features, 2, 36, 2, 16, seed)));
  return concat(std::move(parts));
}

// ---- programs ------------------------------------------------------------------------------------------------------

// Compiled for scalar labels, or for vector labels (multiclass tasks).
Candidate make_candidate(Algorithm a, LabelKind labels = LabelKind::Scalar) {
  Candidate c{std::move(a), {}};
  CompileOptions options;
  options.labels = labels;
  c.program = compile(c.algorithm, options);
  if (auto problem = verify(c.program)) ADD_FAILURE() << "program fails verification: " << *problem;
  return c;
}

// Random programs the way a search meets them: fresh random algorithms, mutants of the hand-written linear and
// neural-net algorithms (which train for many steps without diverging), and lineages of mutants of mutants. With
// only_ops_given, the hand-written algorithms (which use dot products) are left out.
// Multiclass tasks (space.labels = Vector): the hand-written ones are softmax regression and the multiclass network.
Algorithm softmax_regression() {
  return parse_algorithm(
      "def Setup():\n  s3 = 0.05\ndef Predict():\n  v2 = dot(m0, v0)\n  v2 = v2 + v3\ndef Learn():\n"
      "  v4 = v1 - v2\n  v4 = s3 * v4\n  v3 = v3 + v4\n  m1 = outer(v4, v0)\n  m0 = m0 + m1\n",
      "softmax regression");
}

std::vector<Candidate> random_candidates(size_t n, uint64_t seed, const OpLists& ops, const AddressSpace& space,
                                         bool only_ops_given = false) {
  SearchRng rng(seed);
  const Mutator mutator(mutator_options(ops, space));
  const bool vector_labels = space.labels == LabelKind::Vector;
  const Algorithm base0 = vector_labels ? softmax_regression() : linear_algorithm();
  const Algorithm base1 = vector_labels ? neural_net_multiclass_algorithm() : neural_net_algorithm();
  std::vector<Algorithm> lineage;
  if (!only_ops_given) lineage = {base0, base1};
  std::vector<Candidate> out;
  out.reserve(n);
  while (out.size() < n) {
    Algorithm a;
    switch (only_ops_given && lineage.empty() ? 0 : out.size() % 4) {
      case 0: {
        const ComponentSizes sizes{rng.uniform_int(1, 6), rng.uniform_int(1, 9), rng.uniform_int(1, 11)};
        a = make_algorithm(InitialAlgorithm::Random, sizes, ops, space, rng);
        break;
      }
      case 1:
        if (only_ops_given)
          a = mutator.mutate(lineage[rng.uniform_below(static_cast<uint32_t>(lineage.size()))], 2, rng);
        else
          a = mutator.mutate(rng.bernoulli(0.5) ? base0 : base1, 1, rng);
        break;
      default: {
        a = mutator.mutate(lineage[rng.uniform_below(static_cast<uint32_t>(lineage.size()))], 1, rng);
        if (lineage.size() < 64)
          lineage.push_back(a);
        else
          lineage[rng.uniform_below(64)] = a;
        break;
      }
    }
    check_fits(a, space);
    if (only_ops_given && out.size() % 4 == 0 && lineage.size() < 64) lineage.push_back(a);
    out.push_back(make_candidate(std::move(a), space.labels));
  }
  return out;
}

// Ops whose results are exactly rounded single operations on both backends (no sums, no transcendentals, no
// Gaussian draws): programs built only from them give bit-identical errors, hence identical fingerprints.
OpLists exact_ops() {
  const std::vector<Op> ops = {Op::ScalarSum,           Op::ScalarDiff,
                               Op::ScalarProduct,       Op::ScalarDivision,
                               Op::ScalarAbs,           Op::ScalarReciprocal,
                               Op::ScalarHeaviside,     Op::ScalarMin,
                               Op::ScalarMax,           Op::ScalarConstSet,
                               Op::ScalarUniformSet,    Op::VectorHeaviside,
                               Op::ScalarVectorProduct, Op::ScalarBroadcast,
                               Op::VectorReciprocal,    Op::VectorAbs,
                               Op::VectorSum,           Op::VectorDiff,
                               Op::VectorProduct,       Op::VectorDivision,
                               Op::VectorMin,           Op::VectorMax,
                               Op::VectorOuterProduct,  Op::ScalarMatrixProduct,
                               Op::MatrixReciprocal,    Op::VectorColumnBroadcast,
                               Op::VectorRowBroadcast,  Op::MatrixTranspose,
                               Op::MatrixAbs,           Op::MatrixSum,
                               Op::MatrixDiff,          Op::MatrixProduct,
                               Op::MatrixDivision,      Op::MatrixMin,
                               Op::MatrixMax,           Op::MatrixHeaviside,
                               Op::VectorConstSet,      Op::MatrixConstSet,
                               Op::VectorUniformSet,    Op::MatrixUniformSet};
  return {ops, ops, ops};
}

// ---- comparing results ---------------------------------------------------------------------------------------------
//
// Every lane mapping is compared with the CPU reference ON ITS OWN: agreement of another mapping excuses nothing.
// Tolerances, and why:
//  * status and train_steps must match EXACTLY: they are decisions (NaN? |error| > max_abs_error?), and a decision
//    can only differ when a value sits within rounding distance of the threshold, which rule (a) below recognises.
//  * fitness within kFitnessTol = 1e-5 absolute. Fitness is 1 - (2/pi) atan(rmse) (or 1 - error rate) of a loss
//    summed in double from float errors. The backends' float errors differ by a few ulp per op: FMA contraction on
//    the GPU (dot products, norms, M*v, matmul), another summation order in the matrix norm and mean (row sums,
//    then a balanced tree; the CPU sums in index order), CUDA's <= 2 ulp transcendentals against glibc's <= 1 ulp,
//    CUDA's double atan in the squash. For a well-conditioned program that is a relative 1e-6 on the rmse, which
//    moves the fitness by less than 1e-6; 1e-5 leaves a tenfold margin. Every lane mapping gives the same bits
//    (LaneMappingsGiveIdenticalResults), so the tolerance covers the device against the CPU, never one mapping
//    against another.
//  * rule (a), the only excuse: some programs amplify rounding (chaotic recurrences, errors hovering at the
//    max_abs_error threshold, accuracy logits at 0, cos of 1e11 feeding an arccos chain), so two correct float32
//    evaluations of them may differ by more than any fixed tolerance. An item is excused only when float32 itself
//    is shown to be the cause on the CPU: the CPU's float32 result already takes another decision (status or
//    steps) than its float64 one, or the device's fitness is no further from float32 than twice float32's
//    distance from float64 (+ tol). Without a float64 run (cpu64 null) nothing is excused.
//  * kMaxExplainedShare = 2%: per lane mapping, at most that share of items may be excused, so that rule (a)
//    cannot quietly absorb a systematic difference. Single ops on fixed inputs (EveryOpAlone) are not chaotic
//    and get no excuse at all.
constexpr double kFitnessTol = 1e-5;
constexpr double kMaxExplainedShare = 0.02;

bool same(const TaskResult& a, const TaskResult& b, double tol) {
  return a.status == b.status && a.train_steps == b.train_steps &&
         (std::fabs(a.fitness - b.fitness) <= tol || (std::isnan(a.fitness) && std::isnan(b.fitness)));
}

bool bit_identical(const TaskResult& a, const TaskResult& b) {
  return std::memcmp(&a.fitness, &b.fitness, sizeof(double)) == 0 && a.fingerprint == b.fingerprint &&
         a.train_steps == b.train_steps && a.status == b.status;
}

// Rule (a): the item's result is sensitive to float32 rounding as such, so two correct float32 evaluations may
// differ: the CPU's own float32 and float64 runs already take different decisions (status or steps), or the
// device's fitness is no further from the CPU's float32 one than twice float32's distance from float64 (+ tol).
bool float32_sensitive(const TaskResult& d, const TaskResult& f32, const TaskResult& f64, double tol) {
  const bool fragile_decision = f32.status != f64.status || f32.train_steps != f64.train_steps;
  const bool close_enough = d.status == f32.status && d.train_steps == f32.train_steps &&
                            std::fabs(d.fitness - f32.fitness) <= 2.0 * std::fabs(f32.fitness - f64.fitness) + tol;
  return fragile_decision || close_enough;
}

class Checker {
 public:
  explicit Checker(std::string what) : what_(std::move(what)) {}

  // dev holds one result vector per lane mapping (lanes[l], 0 = automatic), each checked against the CPU ON ITS
  // OWN: a mapping that differs is not excused by another one that agrees. cpu64 may be null: then nothing is
  // explained.
  void check(const std::vector<Candidate>& cands, const std::vector<WorkItem>& items,
             const std::vector<TaskResult>& cpu32, const std::vector<TaskResult>* cpu64,
             const std::vector<std::vector<TaskResult>>& dev, const std::vector<int>& lanes,
             const std::vector<std::string>& where, double tol = kFitnessTol) {
    ASSERT_EQ(dev.size(), lanes.size());
    ASSERT_EQ(dev.size(), where.size());
    for (const auto& d : dev) ASSERT_EQ(d.size(), items.size());
    for (size_t l = 0; l < dev.size(); ++l) {
      Counts& c = by_lanes_[lanes[l]];
      for (size_t k = 0; k < items.size(); ++k) {
        const TaskResult& d = dev[l][k];
        ++c.compared;
        if (same(d, cpu32[k], tol)) continue;
        if (cpu64 && float32_sensitive(d, cpu32[k], (*cpu64)[k], tol)) {
          ++c.explained;
          continue;
        }
        ++c.failed;
        if (++failed_ <= 8) report(cands, items, k, cpu32[k], cpu64 ? &(*cpu64)[k] : nullptr, d, where[l]);
      }
    }
  }

  void finish() const {
    Counts total;
    for (const auto& [lanes, c] : by_lanes_) {
      total.compared += c.compared;
      total.explained += c.explained;
      total.failed += c.failed;
    }
    std::cout << "[parity] " << what_ << ": " << total.compared << " items compared, " << total.explained
              << " explained by float32 sensitivity, " << total.failed << " unexplained\n";
    for (const auto& [lanes, c] : by_lanes_)
      std::cout << "[parity]   lanes=" << lanes << (lanes == 0 ? " (automatic)" : "") << ": " << c.compared
                << " compared, " << c.explained << " explained, " << c.failed << " unexplained\n";
    EXPECT_EQ(total.failed, 0u) << what_ << ": " << total.failed << " unexplained differences (first 8 printed above)";
    for (const auto& [lanes, c] : by_lanes_)
      if (c.compared > 0) {
        EXPECT_LE(static_cast<double>(c.explained) / static_cast<double>(c.compared), kMaxExplainedShare)
            << what_ << ", lanes=" << lanes << ": too many results differ 'explainably'; the check has lost its teeth";
      }
  }

 private:
  struct Counts {
    size_t compared = 0, explained = 0, failed = 0;
  };

  void report(const std::vector<Candidate>& cands, const std::vector<WorkItem>& items, size_t k,
              const TaskResult& cpu32, const TaskResult* cpu64, const TaskResult& dev, const std::string& where) {
    const WorkItem& w = items[k];
    const Candidate& c = cands[w.program];
    std::ostringstream trace;
    trace << what_ << " [" << where << "] seed " << parity_seed() << ", candidate " << w.program << ", task " << w.task
          << " (train_steps " << w.train_steps << ", valid_steps " << w.valid_steps << ")\n"
          << "algorithm:\n"
          << to_text(c.algorithm) << "bytecode:\n"
          << disassemble(c.program);
    SCOPED_TRACE(trace.str());
    ADD_FAILURE() << "device " << describe(dev) << "\n   cpu32 " << describe(cpu32)
                  << (cpu64 ? "\n   cpu64 " + describe(*cpu64) : std::string());
  }

  std::string what_;
  std::map<int, Counts> by_lanes_;  // per lane mapping of the sweep
  size_t failed_ = 0;               // all mappings: only the first 8 are printed
};

// Runs `items` on every device with every lane mapping and checks each against the CPU.
void check_all_lanes(Checker& checker, const std::vector<Candidate>& cands, const ProgramBatch& batch,
                     const TaskSet& tasks, const std::vector<WorkItem>& items, const EvalRequest& request,
                     const std::vector<TaskResult>& cpu32, const std::vector<TaskResult>* cpu64,
                     const std::string& where) {
  for (Backend b : devices()) {
    std::vector<std::vector<TaskResult>> dev;
    std::vector<std::string> names;
    const std::vector<int> lanes = lane_sweep();
    for (int l : lanes) {
      const auto ev = device_evaluator(b, l);
      dev.push_back(ev->evaluate(batch, tasks, items, request));
      names.push_back(where + ", " + ev->describe() + ", lanes=" + std::to_string(l));
    }
    checker.check(cands, items, cpu32, cpu64, dev, lanes, names);
  }
}

TEST(BackendParity, ReportsDevice) {
  AMLZ_REQUIRE_DEVICE();
  for (Backend b : devices()) {
    const auto ev = make_evaluator(b);
    std::cout << "[parity] device backend: " << ev->describe() << "\n";
    EXPECT_EQ(ev->backend(), b);
  }
}

// ---- every op alone ------------------------------------------------------------------------------------------------
//
// One tiny program per (op, inputs, aliasing, observed element): Setup writes the inputs with const-set ops, Predict
// runs the op and copies one element of its result into s1 (s1 = dot(out, e_k), or dot(out * e_j, e_i) for
// matrices). Two tasks with one training and one validation example each, labels 0 and 1: the fitness
// 1 - (2/pi) atan|y - s1| then pins s1 and its sign, and a NaN s1 stops training (status NonFinite). max_abs_error
// is +inf so that infinities are observed rather than stopped on. Aliased variants (out == in1, out == in2) run the
// in-place paths (M*v into its own vector, matmul into either operand, transpose in place); their second Predict
// (validation) sees the first one's output, the same on both backends.

// Edge values, each with why it is here.
struct Edge {
  float value;
  const char* why;
};
const Edge kEdges[] = {
    {0.0f, "division by zero, log(0) = -inf, heaviside: scalar >= 0 gives 1, vector/matrix > 0 gives 0"},
    {-0.0f, "signed zero: 1/-0 = -inf, heaviside(-0), sqrt(-0), abs(-0)"},
    {kInf, "inf - inf = NaN, 0 * inf = NaN, exp(-inf) = 0, atan(inf) = pi/2, sin(inf) = NaN"},
    {-kInf, "the other infinity: log(-inf), exp(-inf), min/max with -inf"},
    {kNaN, "propagation, and the min/max NaN order (scalar/vector keep the first operand, matrix the second)"},
    {1e-38f, "division by ~0: 1/x near FLT_MAX, x*x underflows"},
    {1e-40f, "a denormal: the GPU must not flush it to zero (no fast-math, -ftz=false)"},
    {1e30f, "squares and products overflow to inf in norms, dot, st.dev., matmul"},
    {-1e30f, "overflow with the other sign; exp(-1e30) = 0"},
    {1.0f, "asin/acos domain edge (exact pi/2 and 0); uniform range low == high"},
    {-1.0f, "asin/acos domain edge (-pi/2, pi)"},
    {1.0000001f, "just outside the asin/acos domain: NaN"},
    {88.72f, "expf next to its overflow threshold: finite vs inf must agree"},
    {-103.9f, "expf into the denormals"},
};

struct OpCase {
  Algorithm algorithm;
  std::string label;
};

// Operand addresses of the per-op programs.
constexpr uint8_t kScalarIn[2] = {2, 3};
constexpr uint8_t kVectorIn[2] = {1, 2};
constexpr uint8_t kMatrixIn[2] = {0, 1};
constexpr uint8_t kVectorOut = 3, kMatrixOut = 2;
constexpr uint8_t kProbeRow = 4, kProbeMid = 5, kProbeCol = 6;  // vectors: e_i, M*e_j, e_j

uint8_t input_address(Kind k, int slot) {
  return k == Kind::Scalar ? kScalarIn[slot] : k == Kind::Vector ? kVectorIn[slot] : kMatrixIn[slot];
}

// Writes operand `slot` of kind k: random values in [-2, 2), except `edge` at position `pos` when given.
void set_operand(Algorithm& a, Kind k, int slot, int F, SearchRng& rng, const float* edge, int pos) {
  const uint8_t addr = input_address(k, slot);
  auto value = [&](int p) { return edge && p == pos ? *edge : rng.uniform_float(-2.0f, 2.0f); };
  if (k == Kind::Scalar) a.setup.push_back(instr(Op::ScalarConstSet, addr, 0, 0, value(0)));
  if (k == Kind::Vector)
    for (int e = 0; e < F; ++e) a.setup.push_back(instr(Op::VectorConstSet, addr, 0, 0, encode_index(e, F), value(e)));
  if (k == Kind::Matrix)
    for (int e = 0; e < F * F; ++e)
      a.setup.push_back(
          instr(Op::MatrixConstSet, addr, 0, 0, encode_index(e / F, F), encode_index(e % F, F), value(e)));
}

std::vector<OpCase> op_cases(Op op, int F, SearchRng& rng) {
  const OpInfo& info = op_info(op);
  std::vector<OpCase> out;
  const Kind kinds[2] = {info.in1, info.in2};
  const int n_inputs = (info.in1 != Kind::None) + (info.in2 != Kind::None);
  const int n_elems = info.out == Kind::Vector ? F : info.out == Kind::Matrix ? F * F : 1;
  const size_t edges = quick() ? 7 : std::size(kEdges);

  // Cases: all random, then each edge value in each input (or each data parameter for data ops).
  struct Input {
    int slot;  // -1: none
    const Edge* edge;
  };
  std::vector<Input> inputs = {{-1, nullptr}};
  const int edge_slots = n_inputs > 0 ? n_inputs : num_data(info.data) > 0 ? 1 : 0;
  for (size_t e = 0; e < edges; ++e)
    for (int s = 0; s < edge_slots; ++s) inputs.push_back({s, &kEdges[e]});

  for (const Input& input : inputs) {
    // Where the edge goes: an element of the input it is in, or (const-set and random ops) of the output.
    const Kind edge_kind = input.slot >= 0 && kinds[input.slot] != Kind::None ? kinds[input.slot] : info.out;
    const int elems_in = edge_kind == Kind::Matrix ? F * F : edge_kind == Kind::Vector ? F : 1;
    const int pos = rng.uniform_int(0, elems_in);
    // Aliasing: out may be either input's address when the kinds agree (scalar outputs go to s1 directly).
    std::vector<int> aliases = {-1};
    if (info.out == Kind::Vector || info.out == Kind::Matrix)
      for (int s = 0; s < 2; ++s)
        if (kinds[s] == info.out) aliases.push_back(s);
    for (int alias : aliases) {
      // Observed elements: the corners, the edge's position and its transpose.
      const int candidates[4] = {0, n_elems - 1, pos % n_elems,
                                 info.out == Kind::Matrix ? (pos % F) * F + (pos / F) % F : (pos + 1) % n_elems};
      std::vector<int> probes(std::begin(candidates), std::end(candidates));
      std::sort(probes.begin(), probes.end());
      probes.erase(std::unique(probes.begin(), probes.end()), probes.end());
      SearchRng values = rng;  // the same input values for every probe of this case
      for (int probe : probes) {
        SearchRng local = values;
        Algorithm a;
        for (int s = 0; s < 2; ++s)
          if (kinds[s] != Kind::None)
            set_operand(a, kinds[s], s, F, local, input.slot == s ? &input.edge->value : nullptr, pos);
        // The op itself.
        Instruction in = instr(op, 0);
        if (info.in1 != Kind::None) in.in1 = input_address(info.in1, 0);
        if (info.in2 != Kind::None) in.in2 = input_address(info.in2, 1);
        switch (info.out) {
          case Kind::Scalar: in.out = kPredictionScalar; break;
          case Kind::Vector: in.out = alias >= 0 ? input_address(Kind::Vector, alias) : kVectorOut; break;
          case Kind::Matrix: in.out = alias >= 0 ? input_address(Kind::Matrix, alias) : kMatrixOut; break;
          case Kind::None: break;
        }
        const float edge_value = input.edge ? input.edge->value : 0.0f;
        switch (info.data) {
          case DataKind::None: break;
          case DataKind::ScalarConst: in.data[0] = input.edge ? edge_value : local.uniform_float(-1, 1); break;
          case DataKind::VectorConst:
            in.data = {encode_index(pos % F, F), input.edge ? edge_value : local.uniform_float(-1, 1), 0.0f};
            break;
          case DataKind::MatrixConst:
            in.data = {encode_index(pos / F % F, F), encode_index(pos % F, F),
                       input.edge ? edge_value : local.uniform_float(-1, 1)};
            break;
          case DataKind::Uniform:
          case DataKind::Gaussian:
            // low/high or mean/st.dev.: random, or the edge in the first parameter (inverted and empty ranges,
            // NaN/inf parameters, st.dev. 0 and negative arise among the values).
            in.data = {input.edge ? edge_value : local.uniform_float(-1, 1), local.uniform_float(-1, 1), 0.0f};
            break;
        }
        a.predict.push_back(in);
        // Copy the probed element into s1.
        if (info.out == Kind::Vector) {
          a.setup.push_back(instr(Op::VectorConstSet, kProbeRow, 0, 0, encode_index(probe, F), 1.0f));
          a.predict.push_back(instr(Op::VectorInnerProduct, kPredictionScalar, in.out, kProbeRow));
        } else if (info.out == Kind::Matrix) {
          a.setup.push_back(instr(Op::VectorConstSet, kProbeRow, 0, 0, encode_index(probe / F, F), 1.0f));
          a.setup.push_back(instr(Op::VectorConstSet, kProbeCol, 0, 0, encode_index(probe % F, F), 1.0f));
          a.predict.push_back(instr(Op::MatrixVectorProduct, kProbeMid, in.out, kProbeCol));
          a.predict.push_back(instr(Op::VectorInnerProduct, kPredictionScalar, kProbeMid, kProbeRow));
        }
        std::ostringstream label;
        label << op_name(op) << " F=" << F;
        if (input.edge)
          label << ", edge " << input.edge->value << " in " << (n_inputs ? "input " : "parameter ") << input.slot + 1
                << " (" << input.edge->why << ")";
        else
          label << ", random inputs";
        if (alias >= 0) label << ", out aliases input " << alias + 1;
        label << ", element " << probe;
        out.push_back({std::move(a), label.str()});
      }
    }
  }
  return out;
}

// Two tasks: label 0 and label 1, one training and one validation example of zeros each.
TaskSet probe_tasks(int F) {
  std::vector<TaskSet> parts;
  for (float label : {0.0f, 1.0f}) {
    const std::vector<float> x(static_cast<size_t>(F), 0.0f);
    parts.push_back(make_task_set(fixed_spec(F, x, {label}, x, {label})));
  }
  return concat(std::move(parts));
}

TEST(BackendParity, EveryOpAlone) {
  AMLZ_REQUIRE_DEVICE();
  size_t compared = 0, failed = 0;
  std::map<std::string, size_t> failed_by_op;  // summary: a known issue in one op cannot hide another op's
  const std::vector<int> sizes = quick() ? std::vector<int>{4, 32} : std::vector<int>{2, 4, 8, 16, 32};
  EvalRequest request;
  request.max_abs_error = kInf;
  for (int F : sizes) {
    SearchRng rng(parity_seed() + static_cast<uint64_t>(F));
    std::vector<Candidate> cands;
    std::vector<std::string> labels;
    for (const OpInfo& info : kOpTable)
      for (OpCase& c : op_cases(info.op, F, rng)) {
        labels.push_back(c.label);
        cands.push_back(make_candidate(std::move(c.algorithm)));
      }
    const ProgramBatch batch = batch_of(cands, 7);
    const TaskSet tasks = probe_tasks(F);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const std::vector<TaskResult> cpu = cpu_evaluator()->evaluate(batch, tasks, items, request);
    // Single ops on fixed inputs are not chaotic: no float64 excuse here, every difference fails. The label of
    // the first differing item says which op, edge value and element.
    for (Backend b : devices())
      for (int lanes : lane_sweep()) {
        const auto ev = device_evaluator(b, lanes);
        const std::vector<TaskResult> dev = ev->evaluate(batch, tasks, items, request);
        for (size_t k = 0; k < items.size(); ++k) {
          ++compared;
          if (same(dev[k], cpu[k], kFitnessTol)) continue;
          ++failed_by_op[labels[items[k].program].substr(0, labels[items[k].program].find(','))];
          if (++failed > 8) continue;
          SCOPED_TRACE(labels[items[k].program] + "\n" + disassemble(cands[items[k].program].program));
          ADD_FAILURE() << ev->describe() << " lanes=" << lanes << " task " << items[k].task << " (label "
                        << tasks.tasks[items[k].task].valid_y[0] << "): device " << describe(dev[k]) << ", cpu "
                        << describe(cpu[k]);
        }
      }
  }
  std::cout << "[parity] every op alone: " << compared << " items compared, " << failed << " differ\n";
  for (const auto& [op, n] : failed_by_op) std::cout << "[parity]   " << op << ": " << n << " differ\n";
  EXPECT_EQ(failed, 0u) << "first 8 printed above";
}

// St.dev. of equal elements, the case that decides NaN vs 0 (hence the status) and that single ops on random inputs
// do not reach: the device must give the CPU's exact 0 (src/eval/cpu_numerics.h) under every mapping, for values
// whose float sums round.
TEST(BackendParity, StDevOfEqualElementsIsExactlyZero) {
  AMLZ_REQUIRE_DEVICE();
  const float values[] = {0.1f, 1.0f / 3.0f, -2.7f, 1e-3f, 7.77f, 3e5f, -1e-30f};
  size_t compared = 0;
  for (int F : kFeatureSizes) {
    std::vector<Candidate> cands;
    for (float c : values)
      for (Op op : {Op::VectorStDev, Op::MatrixStDev, Op::MatrixRowStDev}) {
        Algorithm a;
        a.setup = {instr(Op::ScalarConstSet, 2, 0, 0, c), instr(Op::ScalarBroadcast, 1, 2),
                   instr(Op::VectorRowBroadcast, 0, 1)};  // v1 = (c, ..., c), m0 = every row v1
        if (op == Op::VectorStDev) a.predict = {instr(op, kPredictionScalar, 1)};
        if (op == Op::MatrixStDev) a.predict = {instr(op, kPredictionScalar, 0)};
        if (op == Op::MatrixRowStDev) a.predict = {instr(op, 3, 0), instr(Op::VectorMean, kPredictionScalar, 3)};
        cands.push_back(make_candidate(std::move(a)));
      }
    const ProgramBatch batch = batch_of(cands, 3);
    const TaskSet tasks = probe_tasks(F);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const std::vector<TaskResult> cpu = cpu_evaluator()->evaluate(batch, tasks, items, {});
    for (Backend b : devices())
      for (int lanes : lane_sweep()) {
        const auto ev = device_evaluator(b, lanes);
        const std::vector<TaskResult> dev = ev->evaluate(batch, tasks, items, {});
        for (size_t k = 0; k < items.size(); ++k) {
          ++compared;
          EXPECT_EQ(cpu[k].status, EvalStatus::Ok) << describe(cpu[k]);
          // Status and steps exactly; the fitness up to the last bit of the squash's double atan (CUDA's and
          // glibc's may differ there), far below what any non-zero st.dev. would move it.
          EXPECT_TRUE(dev[k].status == cpu[k].status && dev[k].train_steps == cpu[k].train_steps &&
                      std::fabs(dev[k].fitness - cpu[k].fitness) <= 1e-12)
              << ev->describe() << " lanes=" << lanes << " F=" << F << " candidate " << items[k].program << ":\n"
              << disassemble(cands[items[k].program].program) << "device " << describe(dev[k]) << ", cpu "
              << describe(cpu[k]);
        }
      }
  }
  std::cout << "[parity] st.dev. of equal elements: " << compared << " items compared\n";
}

// ---- random programs ----------------------------------------------------------------------------------------------

TEST(BackendParity, RandomProgramsMatchCpu) {
  AMLZ_REQUIRE_DEVICE();
  const size_t per_f = quick() ? 120 : 2000;  // x 5 feature sizes: 10,000 programs
  const AddressSpace space{8, 10, 3};
  Checker checker("random programs (generator + mutator)");
  for (int F : kFeatureSizes) {
    const uint64_t seed = parity_seed() * 31 + static_cast<uint64_t>(F);
    const std::vector<Candidate> cands = random_candidates(per_f, seed, all_ops(), space);
    const ProgramBatch batch = batch_of(cands, static_cast<uint32_t>(seed));
    const TaskSet tasks = mixed_task_set(F, seed);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const EvalRequest request;
    const auto cpu32 = cpu_evaluator(Precision::Float32)->evaluate(batch, tasks, items, request);
    const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
    check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, "F=" + std::to_string(F));
  }
  checker.finish();
}

// Multiclass tasks (vector labels): label v1, softmax of v2 written back before Learn, argmax accuracy, on every
// lane mapping (a tile's lanes each own part of v2 and all read all of it).
TEST(BackendParity, MulticlassRandomProgramsMatchCpu) {
  AMLZ_REQUIRE_DEVICE();
  const size_t per_f = quick() ? 80 : 1000;
  AddressSpace space{8, 12, 4};
  space.labels = LabelKind::Vector;
  Checker checker("multiclass random programs (generator + mutator)");
  for (int F : kFeatureSizes) {
    const uint64_t seed = parity_seed() * 43 + static_cast<uint64_t>(F);
    const std::vector<Candidate> cands = random_candidates(per_f, seed, all_ops(), space);
    const ProgramBatch batch = batch_of(cands, static_cast<uint32_t>(seed));
    const int k = std::min(F, 10);
    const TaskSet tasks = concat({test::multiclass_task_set(F, k, 3, 30, 2, 12, seed),
                                  test::multiclass_task_set(F, std::max(2, k - 1), 2, 20, 1, 9, seed + 1)});
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
      if (mode == EvalMode::Fingerprint)
        for (WorkItem& w : items) {
          w.train_steps = std::min<uint32_t>(w.train_steps, 10);
          w.valid_steps = std::min<uint32_t>(w.valid_steps, 10);
        }
      const auto cpu32 = cpu_evaluator(Precision::Float32)->evaluate(batch, tasks, items, request);
      const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
      check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, mode == EvalMode::Full ? &cpu64 : nullptr,
                      "F=" + std::to_string(F) + (mode == EvalMode::Full ? " full" : " fingerprint"));
    }
  }
  checker.finish();
}

TEST(BackendParity, MulticlassHandWrittenAlgorithms) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("multiclass hand-written algorithms");
  const int steps = quick() ? 200 : 1000;
  for (int F : {4, 8, 16, 32}) {
    std::vector<Candidate> cands = {make_candidate(softmax_regression(), LabelKind::Vector),
                                    make_candidate(neural_net_multiclass_algorithm(), LabelKind::Vector)};
    const ProgramBatch batch = batch_of(cands, 1000);
    const TaskSet tasks = test::multiclass_task_set(F, std::min(F, 10), 4, steps, 1, 100, 99);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const EvalRequest request;
    const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
    const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
    check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, "F=" + std::to_string(F));
  }
  checker.finish();
}

// The multiclass readout (softmax, largest error, argmax) is computed whole by every lane of a tile from all of v2,
// so no result may depend on the lane mapping: bit-identical results, fingerprints included, across the sweep.
TEST(BackendParity, MulticlassLaneMappingsGiveIdenticalResults) {
  AMLZ_REQUIRE_DEVICE();
  AddressSpace space{8, 12, 4};
  space.labels = LabelKind::Vector;
  for (int F : {8, 32}) {
    const std::vector<Candidate> cands = random_candidates(quick() ? 60 : 400, parity_seed() + 97, all_ops(), space);
    const ProgramBatch batch = batch_of(cands, 5);
    const TaskSet tasks = test::multiclass_task_set(F, std::min(F, 10), 3, 24, 2, 10, parity_seed() + 3);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      for (Backend b : devices()) {
        std::vector<TaskResult> first;
        for (int lanes : lane_sweep()) {
          const auto got = device_evaluator(b, lanes)->evaluate(batch, tasks, items, request);
          if (first.empty()) {
            first = got;
            continue;
          }
          size_t differ = 0;
          for (size_t k = 0; k < items.size(); ++k)
            if (!bit_identical(first[k], got[k]) && ++differ <= 3)
              ADD_FAILURE() << "F=" << F << " lanes=" << lanes << " item " << k << ": " << describe(got[k]) << " vs "
                            << describe(first[k]) << "\n"
                            << to_text(cands[items[k].program].algorithm);
          EXPECT_EQ(differ, 0u) << "F=" << F << " lanes=" << lanes;
        }
      }
    }
  }
}

// The seed's algorithms at the benchmark's scale: long training, both learn; agreement must be tight.
TEST(BackendParity, HandWrittenAlgorithms) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("hand-written algorithms");
  const int steps = quick() ? 200 : 1000;
  for (int F : {4, 8, 16, 32}) {
    std::vector<Candidate> cands = {make_candidate(linear_algorithm()), make_candidate(neural_net_algorithm()),
                                    make_candidate(damaged_neural_net_algorithm())};
    const ProgramBatch batch = batch_of(cands, 1000);
    const TaskSet tasks = concat({make_task_set(spec(TaskType::Linear, F, 4, steps, 1, 100)),
                                  make_task_set(spec(TaskType::NnTeacher, F, 4, steps, 1, 100))});
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const EvalRequest request;
    const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
    const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
    check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, "F=" + std::to_string(F));
  }
  checker.finish();
}

// ---- batch shapes
// ----------------------------------------------------------------------------------------------------

TEST(BackendParity, CandidateCountsNotMultipleOfBlock) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("candidate counts 1, 31, 33, 1000");
  const AddressSpace space{8, 10, 3};
  for (size_t n : {size_t{1}, size_t{31}, size_t{33}, quick() ? size_t{200} : size_t{1000}}) {
    const int F = n % 2 ? 8 : 4;
    const std::vector<Candidate> cands = random_candidates(n, parity_seed() + n, all_ops(), space);
    const ProgramBatch batch = batch_of(cands, 5);
    const TaskSet tasks = make_task_set(spec(TaskType::Linear, F, 3, 30, 1, 10));
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const EvalRequest request;
    const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
    const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
    check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, std::to_string(n) + " programs");
  }
  checker.finish();
}

// Items as a search sends them after FEC hits and budget decisions: any subset, any order, duplicates, fewer
// training steps than the task has (budget), 0 steps (OverBudget), fewer or no validation examples.
TEST(BackendParity, WorkItemSubsetsAndBudgets) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("work-item subsets, budgets, OverBudget");
  const AddressSpace space{8, 10, 3};
  for (int F : {4, 16}) {
    const std::vector<Candidate> cands = random_candidates(quick() ? 60 : 400, parity_seed() + 77, all_ops(), space);
    const ProgramBatch batch = batch_of(cands, 11);
    const TaskSet tasks = mixed_task_set(F, parity_seed());
    SearchRng rng(parity_seed() + 5);
    std::vector<WorkItem> items;
    for (uint32_t p = 0; p < batch.size(); ++p)
      for (uint32_t t = 0; t < tasks.size(); ++t) {
        if (rng.bernoulli(0.4)) continue;  // an FEC hit: not evaluated
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
    // Any order.
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[rng.uniform_below(static_cast<uint32_t>(i))]);
    const EvalRequest request;
    const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
    const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
    for (size_t k = 0; k < items.size(); ++k)
      if (items[k].train_steps == 0) {
        ASSERT_EQ(cpu32[k].status, EvalStatus::OverBudget);
      }
    check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, "F=" + std::to_string(F));
    // OverBudget results are exactly the CPU's default result.
    const auto dev = device_evaluator(devices().front(), 0)->evaluate(batch, tasks, items, request);
    for (size_t k = 0; k < items.size(); ++k)
      if (items[k].train_steps == 0) {
        EXPECT_TRUE(bit_identical(dev[k], cpu32[k])) << describe(dev[k]) << " vs " << describe(cpu32[k]);
      }
  }
  checker.finish();
}

TEST(BackendParity, MixedFeatureSizesInOneTaskSet) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("feature sizes 2..32 in one task set");
  std::vector<TaskSet> parts;
  for (int F : kFeatureSizes) parts.push_back(make_task_set(spec(TaskType::Affine, F, 2, 20, 2, 6)));
  const TaskSet tasks = concat(std::move(parts));
  const std::vector<Candidate> cands =
      random_candidates(quick() ? 50 : 300, parity_seed() + 3, all_ops(), AddressSpace{8, 10, 3});
  const ProgramBatch batch = batch_of(cands, 3);
  const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
  const EvalRequest request;
  const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
  const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
  check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, "mixed F");
  checker.finish();
}

// A program with 200 matrices needs 800 KB per task at F = 32: far beyond shared memory, so the device must take its
// global-memory path, and still agree.
TEST(BackendParity, ProgramTooLargeForSharedMemory) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("program memory beyond shared memory");
  Algorithm a;
  const int n_matrices = 200;
  for (int m = 0; m < n_matrices; ++m)
    a.setup.push_back(instr(Op::MatrixGaussianSet, static_cast<uint8_t>(m), 0, 0, 0.0f, 0.05f));
  a.setup.push_back(instr(Op::ScalarConstSet, 2, 0, 0, 0.01f));  // learning rate
  // Predict: v1 = (m0 + ... + m199) * v0 accumulated as a chain of matrix sums; s1 = mean(v1).
  a.predict.push_back(instr(Op::MatrixVectorProduct, 1, 0, 0));
  for (int m = 1; m < n_matrices; ++m) {
    a.predict.push_back(instr(Op::MatrixVectorProduct, 2, static_cast<uint8_t>(m), 0));
    a.predict.push_back(instr(Op::VectorSum, 1, 1, 2));
  }
  a.predict.push_back(instr(Op::VectorMean, kPredictionScalar, 1));
  // Learn: nudge every matrix by lr * error * outer(1, v0).
  a.learn.push_back(instr(Op::ScalarDiff, 3, kLabelScalar, kPredictionScalar));
  a.learn.push_back(instr(Op::ScalarProduct, 3, 3, 2));
  a.learn.push_back(instr(Op::ScalarVectorProduct, 3, 3, 0));
  a.learn.push_back(instr(Op::ScalarBroadcast, 4, 3));
  a.learn.push_back(instr(Op::VectorOuterProduct, 0, 4, 3));
  for (int m = 1; m < n_matrices; ++m)
    a.learn.push_back(instr(Op::MatrixSum, static_cast<uint8_t>(m), static_cast<uint8_t>(m), 0));
  const std::vector<Candidate> cands = {make_candidate(a), make_candidate(linear_algorithm())};
  ASSERT_EQ(cands[0].program.desc.n_matrices, n_matrices);
  for (int F : {16, 32}) {
    const ProgramBatch batch = batch_of(cands, 9);
    const TaskSet tasks = make_task_set(spec(TaskType::Linear, F, 3, 20, 1, 5));
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    const EvalRequest request;
    const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
    const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
    check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64, "F=" + std::to_string(F));
  }
  checker.finish();
}

// ---- randomness, fingerprints, determinism --------------------------------------------------------------------------

// Programs made mostly of uniform/Gaussian ops in all three components: the draws are keyed by (seed, task, phase,
// step, instruction, element) on both backends, so full runs and FEC pre-runs (one fixed seed) must agree.
TEST(BackendParity, RandomOpsMatchCpu) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("random ops");
  std::vector<Op> ops = {Op::ScalarUniformSet,    Op::VectorUniformSet,  Op::MatrixUniformSet,   Op::ScalarGaussianSet,
                         Op::VectorGaussianSet,   Op::MatrixGaussianSet, Op::VectorInnerProduct, Op::ScalarSum,
                         Op::MatrixVectorProduct, Op::VectorMean,        Op::ScalarProduct,      Op::MatrixMean};
  const OpLists lists = {ops, ops, ops};
  for (int F : {2, 8, 32}) {
    const std::vector<Candidate> cands =
        random_candidates(quick() ? 60 : 400, parity_seed() + 99, lists, AddressSpace{5, 5, 2}, true);
    const ProgramBatch batch = batch_of(cands, 12345);
    const TaskSet tasks = mixed_task_set(F, parity_seed() + 1);
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
      if (mode == EvalMode::Fingerprint)
        for (WorkItem& w : items) {
          w.train_steps = std::min<uint32_t>(w.train_steps, 10);
          w.valid_steps = std::min<uint32_t>(w.valid_steps, 10);
        }
      const auto cpu32 = cpu_evaluator()->evaluate(batch, tasks, items, request);
      const auto cpu64 = cpu_evaluator(Precision::Float64)->evaluate(batch, tasks, items, request);
      check_all_lanes(checker, cands, batch, tasks, items, request, cpu32, &cpu64,
                      std::string(mode == EvalMode::Full ? "full" : "fingerprint") + " F=" + std::to_string(F));
    }
  }
  checker.finish();
}

// FEC fingerprints hash the exact float bits of every error, so they can only agree across backends when every
// error is bit-identical: programs built from exactly rounded ops (exact_ops()) on regression tasks. NaN errors are
// left out: their payload bits differ by platform (x86 gives 0xFFC00000, CUDA 0x7FFFFFFF) and the hash keeps them.
TEST(BackendParity, FingerprintsOfExactPrograms) {
  AMLZ_REQUIRE_DEVICE();
  size_t compared = 0;
  for (int F : {2, 4, 16}) {
    const std::vector<Candidate> cands =
        random_candidates(quick() ? 100 : 800, parity_seed() + 555, exact_ops(), AddressSpace{6, 6, 2}, true);
    const ProgramBatch batch = batch_of(cands, 21);
    const TaskSet tasks = concat({make_task_set(spec(TaskType::Linear, F, 2, 30, 2, 10)),
                                  make_task_set(spec(TaskType::UnitIncrement, F, 1, 12, 1, 6))});
    std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    for (size_t k = 0; k < items.size(); k += 3) items[k].train_steps = std::min<uint32_t>(items[k].train_steps, 10);
    EvalRequest request;
    request.mode = EvalMode::Fingerprint;
    const auto cpu = cpu_evaluator()->evaluate(batch, tasks, items, request);
    for (Backend b : devices())
      for (int lanes : lane_sweep()) {
        const auto ev = device_evaluator(b, lanes);
        const auto dev = ev->evaluate(batch, tasks, items, request);
        size_t shown = 0;
        for (size_t k = 0; k < items.size(); ++k) {
          if (cpu[k].status == EvalStatus::NonFinite || dev[k].status == EvalStatus::NonFinite) continue;
          ++compared;
          // Fingerprint, status and steps bit for bit; the fitness through the squash's double atan (CUDA's and
          // glibc's may differ in the last bit).
          const bool agree = dev[k].fingerprint == cpu[k].fingerprint && dev[k].status == cpu[k].status &&
                             dev[k].train_steps == cpu[k].train_steps &&
                             std::fabs(dev[k].fitness - cpu[k].fitness) <= 1e-12;
          if (agree || ++shown > 8) continue;
          const Candidate& c = cands[items[k].program];
          SCOPED_TRACE("seed " + std::to_string(parity_seed()) + ", F=" + std::to_string(F) + ", candidate " +
                       std::to_string(items[k].program) + ", task " + std::to_string(items[k].task) + "\n" +
                       to_text(c.algorithm) + disassemble(c.program));
          ADD_FAILURE() << ev->describe() << " lanes=" << lanes << ": device " << describe(dev[k]) << ", cpu "
                        << describe(cpu[k]);
        }
      }
  }
  std::cout << "[parity] fingerprints compared bit for bit: " << compared << "\n";
  EXPECT_GT(compared, 0u);
}

// The same batch twice, and on a fresh evaluator: bit-identical results in both modes (no atomics in the
// arithmetic, fixed reduction trees, results independent of which warp takes which job).
TEST(BackendParity, DeterministicRunToRun) {
  AMLZ_REQUIRE_DEVICE();
  // Quick mode (sanitizers, the host emulator) keeps F = 4; F = 32's tiles are covered by the other tests.
  for (int F : quick() ? std::vector<int>{4} : std::vector<int>{4, 32}) {
    const std::vector<Candidate> cands =
        random_candidates(quick() ? 100 : 1000, parity_seed() + 4242, all_ops(), AddressSpace{8, 10, 3});
    const ProgramBatch batch = batch_of(cands, 77);
    const TaskSet tasks = mixed_task_set(F, parity_seed() + 2);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      for (Backend b : devices())
        for (int lanes : lane_sweep()) {
          const auto ev = device_evaluator(b, lanes);
          const auto first = ev->evaluate(batch, tasks, items, request);
          const auto second = ev->evaluate(batch, tasks, items, request);
          const auto third = device_evaluator(b, lanes)->evaluate(batch, tasks, items, request);
          size_t differ = 0;
          for (size_t k = 0; k < items.size(); ++k)
            if (!bit_identical(first[k], second[k]) || !bit_identical(first[k], third[k])) {
              if (++differ <= 5)
                ADD_FAILURE() << ev->describe() << " lanes " << lanes << " F=" << F << " item " << k << ": "
                              << describe(first[k]) << " / " << describe(second[k]) << " / " << describe(third[k]);
            }
          EXPECT_EQ(differ, 0u);
        }
    }
  }
}

// The lane mapping is chosen per batch (it depends on how many items each program has), and a program's fitness must
// not depend on its batch (DESIGN.md, GPU evaluator): every mapping gives the same bits, in both modes. Reductions
// run in an order that does not depend on L (cuda/warp/interpreter.cuh).
TEST(BackendParity, LaneMappingsGiveIdenticalResults) {
  AMLZ_REQUIRE_DEVICE();
  size_t compared = 0;
  for (int F : kFeatureSizes) {
    const uint64_t seed = parity_seed() * 7 + static_cast<uint64_t>(F);
    const std::vector<Candidate> cands = random_candidates(quick() ? 60 : 500, seed, all_ops(), AddressSpace{8, 10, 3});
    const ProgramBatch batch = batch_of(cands, static_cast<uint32_t>(seed));
    const TaskSet tasks = mixed_task_set(F, seed);
    const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
    for (EvalMode mode : {EvalMode::Full, EvalMode::Fingerprint}) {
      EvalRequest request;
      request.mode = mode;
      for (Backend b : devices()) {
        const std::vector<TaskResult> reference = device_evaluator(b, 0)->evaluate(batch, tasks, items, request);
        for (int lanes : {1, 2, 4, 8, 16, 32}) {
          const auto ev = device_evaluator(b, lanes);
          const std::vector<TaskResult> dev = ev->evaluate(batch, tasks, items, request);
          size_t differ = 0;
          for (size_t k = 0; k < items.size(); ++k) {
            ++compared;
            if (bit_identical(dev[k], reference[k]) || ++differ > 5) continue;
            const Candidate& c = cands[items[k].program];
            SCOPED_TRACE("seed " + std::to_string(parity_seed()) + ", F=" + std::to_string(F) + ", candidate " +
                         std::to_string(items[k].program) + ", task " + std::to_string(items[k].task) + "\n" +
                         to_text(c.algorithm) + disassemble(c.program));
            ADD_FAILURE() << ev->describe() << " lanes=" << lanes << ": " << describe(dev[k])
                          << "; automatic mapping: " << describe(reference[k]);
          }
          EXPECT_EQ(differ, 0u) << "F=" << F << " lanes=" << lanes;
        }
      }
    }
  }
  std::cout << "[parity] lane mappings bit-identical: " << compared << " items compared\n";
}

// A new task set (new id) with the same shapes but other data must be uploaded again, not reused.
TEST(BackendParity, TaskSetChangesAreUploaded) {
  AMLZ_REQUIRE_DEVICE();
  Checker checker("task set re-upload");
  const std::vector<Candidate> cands = {make_candidate(linear_algorithm()), make_candidate(neural_net_algorithm())};
  const ProgramBatch batch = batch_of(cands, 1);
  for (Backend b : devices()) {
    const auto ev = make_evaluator(b);
    for (uint32_t seed : {11u, 22u, 33u}) {
      TaskSpec s = spec(TaskType::Linear, 8, 2, 50, 1, 20);
      s.param_seeds = {seed, seed + 1};
      s.data_seeds = {seed + 100, seed + 101};
      const TaskSet tasks = make_task_set(s);
      const std::vector<WorkItem> items = full_work_items(batch.size(), tasks);
      const auto cpu = cpu_evaluator()->evaluate(batch, tasks, items, {});
      const auto dev = ev->evaluate(batch, tasks, items, {});
      checker.check(cands, items, cpu, nullptr, {dev}, {0}, {"data seed " + std::to_string(seed)});
    }
  }
  checker.finish();
}

}  // namespace
}  // namespace amlz::test
