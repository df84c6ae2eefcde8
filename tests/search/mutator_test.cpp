// SPDX-License-Identifier: Apache-2.0
// The Mutator (spec §7): what each of the eight mutation types may change and what it must leave alone, address
// and parameter ranges after every change, insert/remove size bounds (with the original's max - 1 quirk),
// components without allowed ops, mutate_prob, weighting by duplicates, and determinism for a seed. Most checks
// run many random trials and assert both "never outside the rule" and "eventually every allowed outcome".
#include "amlz/search/mutator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

namespace amlz {
namespace {

// Enough addresses that a re-drawn address usually differs from the old one, and small enough that every address
// of every kind is drawn many times in a few thousand trials.
constexpr AddressSpace kSpace{6, 5, 4};

MutatorOptions make_options(std::vector<MutationType> types, OpLists ops, double mutate_prob = 1.0) {
  MutatorOptions o;
  o.types = std::move(types);
  o.mutate_prob = mutate_prob;
  o.ops = std::move(ops);
  o.space = kSpace;
  return o;
}

// Fields of an instruction, as bits, to describe what a mutation changed.
enum Field : unsigned { kIn1 = 1, kIn2 = 2, kOut = 4, kD0 = 8, kD1 = 16, kD2 = 32 };

unsigned changed_fields(const Instruction& a, const Instruction& b) {
  unsigned m = 0;
  if (a.in1 != b.in1) m |= kIn1;
  if (a.in2 != b.in2) m |= kIn2;
  if (a.out != b.out) m |= kOut;
  // Bitwise, so +0 -> -0 counts as a change.
  for (int k = 0; k < 3; ++k)
    if (std::memcmp(&a.data[k], &b.data[k], sizeof(float)) != 0) m |= kD0 << k;
  return m;
}

bool is_index(float f) { return f >= 0.0f && f < 1.0f; }

// The legal ranges of spec §1 as random instructions must respect them: inputs in [0, count), scalar and vector
// outputs in [1, count) (never the label s0 or the features v0), matrix outputs in [0, count); unused address
// slots and unused parameters 0; element indices in [0, 1).
void expect_legal(const Instruction& in, const AddressSpace& space, const std::string& where) {
  const OpInfo& info = op_info(in.op);
  auto check_in = [&](Kind k, uint8_t addr, const char* slot) {
    if (k == Kind::None) {
      EXPECT_EQ(addr, 0) << where << ": unused " << slot << " of " << op_name(in.op) << " is not 0";
    } else {
      EXPECT_LT(addr, address_count(space, k)) << where << ": " << slot << " of " << op_name(in.op);
    }
  };
  check_in(info.in1, in.in1, "in1");
  check_in(info.in2, in.in2, "in2");
  if (info.out == Kind::None) {
    EXPECT_EQ(in.out, 0) << where << ": unused out of " << op_name(in.op);
  } else {
    EXPECT_LT(in.out, address_count(space, info.out)) << where << ": out of " << op_name(in.op);
    if (info.out != Kind::Matrix) {
      EXPECT_GE(in.out, 1) << where << ": " << op_name(in.op) << " writes s0/v0";
    }
  }
  for (int k = num_data(info.data); k < 3; ++k)
    EXPECT_EQ(in.data[k], 0.0f) << where << ": unused parameter " << k << " of " << op_name(in.op);
  if (info.data == DataKind::VectorConst) {
    EXPECT_TRUE(is_index(in.data[0])) << where << ": index " << in.data[0];
  }
  if (info.data == DataKind::MatrixConst) {
    EXPECT_TRUE(is_index(in.data[0])) << where << ": row index " << in.data[0];
    EXPECT_TRUE(is_index(in.data[1])) << where << ": column index " << in.data[1];
  }
}

void expect_legal(const Algorithm& a, const AddressSpace& space, const std::string& where) {
  for (Component c : kAllComponents)
    for (size_t i = 0; i < a.component(c).size(); ++i)
      expect_legal(a.component(c)[i], space, where + " " + enum_name(c) + "[" + std::to_string(i) + "]");
}

bool in_list(Op op, const std::vector<Op>& ops) { return std::find(ops.begin(), ops.end(), op) != ops.end(); }

// Distinct, recognisable instructions: "s1 = k" for k = 1, 2, ...
std::vector<Instruction> markers(int n) {
  std::vector<Instruction> v;
  for (int k = 1; k <= n; ++k) {
    v.push_back(test::instr(Op::ScalarConstSet, 1, 0, 0, static_cast<float>(k)));
  }
  return v;
}
int marker_number(const Instruction& in) {
  return in.op == Op::ScalarConstSet && in.out == 1 ? static_cast<int>(in.data[0]) : 0;
}

std::vector<Instruction> noops(int n) { return std::vector<Instruction>(static_cast<size_t>(n)); }

// The groups of fields ALTER_PARAM may change together in one mutation, by op class (spec §7). The empty group
// is allowed: a re-drawn address can equal the old one.
std::vector<unsigned> allowed_groups(Op op) {
  const OpInfo& info = op_info(op);
  if (op == Op::NoOp) return {0};
  switch (info.data) {
    case DataKind::ScalarConst: return {0, kOut, kD0};
    case DataKind::VectorConst: return {0, kOut, kD0, kD1};
    case DataKind::MatrixConst: return {0, kOut, kD0, kD1, kD2};
    case DataKind::Gaussian: return {0, kOut, kD0, kD1};
    // One bound changes; re-ordering afterwards may move both.
    case DataKind::Uniform: return {0, kOut, kD0, kD1, kD0 | kD1};
    case DataKind::None: break;
  }
  if (info.in2 == Kind::None) return {0, kIn1, kOut};
  return {0, kIn1, kIn2, kOut};
}

// ---------------------------------------------------------------------------------------------------------------
// ALTER_PARAM

TEST(MutatorAlterParam, ChangesOneParameterGroupOfTheRightFieldsForEveryOpAndNeverTheOp) {
  SearchRng rng(11);
  // Addresses seen after a re-draw, per kind, to check the re-draw covers exactly the legal range.
  std::map<Kind, std::set<int>> inputs_seen, outputs_seen;
  for (const OpInfo& info : kOpTable) {
    const Op op = info.op;
    SCOPED_TRACE(op_name(op));
    // Only Predict may mutate, so every ALTER_PARAM hits our single instruction.
    const Mutator mutator(make_options({MutationType::AlterParam}, {{{}, {op}, {}}}));
    const std::vector<unsigned> groups = allowed_groups(op);
    unsigned seen = 0;
    for (int trial = 0; trial < 400; ++trial) {
      Algorithm a;
      a.predict = {random_instruction(op, kSpace, rng)};
      const Instruction before = a.predict[0];
      mutator.apply(MutationType::AlterParam, a, rng);
      ASSERT_EQ(a.predict.size(), 1u);
      const Instruction& after = a.predict[0];
      ASSERT_EQ(after.op, op) << "ALTER_PARAM changed the op";
      const unsigned changed = changed_fields(before, after);
      ASSERT_TRUE(std::find(groups.begin(), groups.end(), changed) != groups.end())
          << "changed fields mask " << changed << " is not one parameter of this op class: " << to_text(before)
          << " -> " << to_text(after);
      expect_legal(after, kSpace, "after ALTER_PARAM");
      seen |= changed;
      if (changed & kIn1) inputs_seen[info.in1].insert(after.in1);
      if (changed & kIn2) inputs_seen[info.in2].insert(after.in2);
      if (changed & kOut) outputs_seen[info.out].insert(after.out);
    }
    unsigned all_allowed = 0;
    for (unsigned g : groups) all_allowed |= g;
    // 400 trials: each field is picked with probability >= 1/6 and then differs with probability >= 2/3.
    EXPECT_EQ(seen, all_allowed) << "some alterable field of " << op_name(op) << " never changed";
  }
  // Inputs may be any address, including s0, v0 and s1; outputs never s0 or v0 (spec §1).
  for (Kind k : {Kind::Scalar, Kind::Vector, Kind::Matrix}) {
    const int n = address_count(kSpace, k);
    std::set<int> all_inputs, legal_outputs;
    for (int i = 0; i < n; ++i) all_inputs.insert(i);
    for (int i = k == Kind::Matrix ? 0 : 1; i < n; ++i) legal_outputs.insert(i);
    EXPECT_EQ(inputs_seen[k], all_inputs) << "input kind " << kind_letter(k);
    EXPECT_EQ(outputs_seen[k], legal_outputs) << "output kind " << kind_letter(k);
  }
}

TEST(MutatorAlterParam, NoOpIsNeverChanged) {
  SearchRng rng(3);
  const Mutator mutator(make_options({MutationType::AlterParam}, {{{}, {Op::NoOp}, {}}}));
  for (int trial = 0; trial < 200; ++trial) {
    Algorithm a;
    a.predict = noops(1);
    mutator.apply(MutationType::AlterParam, a, rng);
    ASSERT_EQ(a.predict, noops(1));
  }
}

TEST(MutatorAlterParam, EmptyComponentIsLeftAloneWithoutError) {
  SearchRng rng(3);
  const Mutator mutator(make_options({MutationType::AlterParam}, {{{}, {Op::ScalarSum}, {}}}));
  Algorithm a;
  mutator.apply(MutationType::AlterParam, a, rng);
  EXPECT_TRUE(a.predict.empty());
}

// Collects the data changes of ALTER_PARAM on one op: pairs (old value, new value) of parameter k.
struct DataChange {
  float before, after;
};
std::vector<DataChange> data_changes(Op op, int k, int trials, SearchRng& rng,
                                     const std::function<Instruction(SearchRng&)>& make) {
  const Mutator mutator(make_options({MutationType::AlterParam}, {{{}, {op}, {}}}));
  std::vector<DataChange> out;
  for (int t = 0; t < trials; ++t) {
    Algorithm a;
    a.predict = {make(rng)};
    const float before = a.predict[0].data[k];
    mutator.apply(MutationType::AlterParam, a, rng);
    const float after = a.predict[0].data[k];
    if (std::memcmp(&before, &after, sizeof(float)) != 0) out.push_back({before, after});
  }
  return out;
}

TEST(MutatorAlterParam, ScalarConstantIsNegatedOneTimeInTenElseStepsLogNormallyKeepingItsSign) {
  SearchRng rng(21);
  const auto changes = data_changes(Op::ScalarConstSet, 0, 8000, rng,
                                    [](SearchRng& r) { return random_instruction(Op::ScalarConstSet, kSpace, r); });
  // Half the alterations re-draw the output instead: about 4000 data changes.
  ASSERT_GT(changes.size(), 3000u);
  int negated = 0;
  std::vector<double> log_steps;
  for (const DataChange& c : changes) {
    if (c.after == -c.before) {
      ++negated;
      continue;
    }
    ASSERT_EQ(std::signbit(c.after), std::signbit(c.before)) << c.before << " -> " << c.after;
    log_steps.push_back(std::log(std::fabs(static_cast<double>(c.after))) -
                        std::log(std::fabs(static_cast<double>(c.before))));
  }
  // Negation has probability 0.1: with ~4000 samples the standard error is ~0.005, so [0.07, 0.13] is ±6σ.
  const double negated_rate = static_cast<double>(negated) / static_cast<double>(changes.size());
  EXPECT_GT(negated_rate, 0.07);
  EXPECT_LT(negated_rate, 0.13);
  // ln|x| moves by N(0,1): sample mean within ±0.12 (~7σ) and st.dev. within ±0.1 (~8σ) of 0 and 1.
  double sum = 0, sq = 0;
  for (double s : log_steps) sum += s, sq += s * s;
  const double n = static_cast<double>(log_steps.size());
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.12);
  EXPECT_NEAR(sd, 1.0, 0.1);
}

TEST(MutatorAlterParam, ZeroConstantStaysZero) {
  // sign(0) is taken as -1 and exp(log 0 + N) = 0, so a stepped +0 becomes -0 (spec §7: "0 stays 0"); a negated
  // +0 is -0 too. Either way the value is still 0 and never NaN.
  SearchRng rng(5);
  const auto changes = data_changes(Op::ScalarConstSet, 0, 400, rng, [](SearchRng& r) {
    Instruction in = random_instruction(Op::ScalarConstSet, kSpace, r);
    in.data[0] = 0.0f;
    return in;
  });
  ASSERT_GT(changes.size(), 100u);
  for (const DataChange& c : changes) {
    EXPECT_EQ(c.after, 0.0f);
    EXPECT_TRUE(std::signbit(c.after)) << "+0 should become -0";
  }
  // The vector constant's value follows the same rule.
  const auto vchanges = data_changes(Op::VectorConstSet, 1, 800, rng, [](SearchRng& r) {
    Instruction in = random_instruction(Op::VectorConstSet, kSpace, r);
    in.data[1] = 0.0f;
    return in;
  });
  ASSERT_GT(vchanges.size(), 100u);
  for (const DataChange& c : vchanges) EXPECT_EQ(c.after, 0.0f);
}

TEST(MutatorAlterParam, GaussianStDevOnlyStepsLogNormallyAndKeepsItsSignWhileTheMeanMayBeNegated) {
  SearchRng rng(8);
  for (Op op : {Op::ScalarGaussianSet, Op::VectorGaussianSet, Op::MatrixGaussianSet}) {
    SCOPED_TRACE(op_name(op));
    auto make = [op](SearchRng& r) {
      Instruction in = random_instruction(op, kSpace, r);
      in.data[1] = 0.05f + in.data[1];  // st.dev. > 0, so a sign change would be visible
      return in;
    };
    const auto sd = data_changes(op, 1, 3000, rng, make);
    ASSERT_GT(sd.size(), 500u);
    for (const DataChange& c : sd) ASSERT_GT(c.after, 0.0f) << "st.dev. " << c.before << " -> " << c.after;
    // The mean, by contrast, is negated about one time in ten.
    const auto mean = data_changes(op, 0, 3000, rng, make);
    ASSERT_GT(mean.size(), 500u);
    const auto negated =
        std::count_if(mean.begin(), mean.end(), [](const DataChange& c) { return c.after == -c.before; });
    EXPECT_GT(negated, 0) << "the mean was never negated";
  }
}

TEST(MutatorAlterParam, UniformBoundsStayOrderedAndOnlyOneBoundChanges) {
  SearchRng rng(9);
  for (Op op : {Op::ScalarUniformSet, Op::VectorUniformSet, Op::MatrixUniformSet}) {
    SCOPED_TRACE(op_name(op));
    const Mutator mutator(make_options({MutationType::AlterParam}, {{{}, {op}, {}}}));
    int data_changed = 0;
    for (int t = 0; t < 2000; ++t) {
      Algorithm a;
      Instruction in = random_instruction(op, kSpace, rng);
      if (in.data[1] < in.data[0]) std::swap(in.data[0], in.data[1]);
      a.predict = {in};
      mutator.apply(MutationType::AlterParam, a, rng);
      const Instruction& after = a.predict[0];
      if (after.data == in.data) continue;
      ++data_changed;
      ASSERT_LE(after.data[0], after.data[1]) << "low > high after the step";
      // One of the old bounds survives (possibly moved to the other slot by the re-ordering).
      const bool kept = after.data[0] == in.data[0] || after.data[0] == in.data[1] || after.data[1] == in.data[0] ||
                        after.data[1] == in.data[1];
      ASSERT_TRUE(kept) << to_text(in) << " -> " << to_text(after);
    }
    EXPECT_GT(data_changed, 500);
  }
}

TEST(MutatorAlterParam, ConstSetIndicesAreRedrawnInsideZeroToOne) {
  SearchRng rng(10);
  for (Op op : {Op::VectorConstSet, Op::MatrixConstSet}) {
    SCOPED_TRACE(op_name(op));
    const Mutator mutator(make_options({MutationType::AlterParam}, {{{}, {op}, {}}}));
    const int indices = op == Op::VectorConstSet ? 1 : 2;
    std::vector<int> redrawn(indices, 0);
    for (int t = 0; t < 2000; ++t) {
      Algorithm a;
      Instruction in = random_instruction(op, kSpace, rng);
      for (int k = 0; k < indices; ++k) in.data[k] = 0.99999994f;  // the largest float below 1
      a.predict = {in};
      mutator.apply(MutationType::AlterParam, a, rng);
      for (int k = 0; k < indices; ++k) {
        ASSERT_TRUE(is_index(a.predict[0].data[k])) << a.predict[0].data[k];
        if (a.predict[0].data[k] != in.data[k]) ++redrawn[k];
      }
    }
    for (int k = 0; k < indices; ++k) EXPECT_GT(redrawn[k], 100) << "index " << k << " never re-drawn";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RANDOMIZE_INSTRUCTION, RANDOMIZE_COMPONENT, IDENTITY, RANDOMIZE_ALGORITHM

// Three components with different allowed lists that exclude NoOp, so every re-randomised instruction is visible.
OpLists three_lists() {
  return {{{Op::ScalarConstSet, Op::VectorGaussianSet},
           {Op::VectorInnerProduct, Op::ScalarSum, Op::MatrixVectorProduct},
           {Op::ScalarDiff, Op::VectorSum, Op::ScalarVectorProduct, Op::VectorOuterProduct}}};
}
Algorithm noop_algorithm(int setup, int predict, int learn) {
  Algorithm a;
  a.setup = noops(setup);
  a.predict = noops(predict);
  a.learn = noops(learn);
  return a;
}

TEST(MutatorRandomizeInstruction, ReplacesExactlyOneInstructionWithAnAllowedOpAtEveryPosition) {
  SearchRng rng(31);
  const OpLists ops = three_lists();
  const Mutator mutator(make_options({MutationType::RandomizeInstruction}, ops));
  const Algorithm start = noop_algorithm(3, 2, 4);
  std::set<std::pair<int, size_t>> positions;
  std::set<std::pair<int, Op>> ops_seen;
  for (int t = 0; t < 3000; ++t) {
    Algorithm a = start;
    mutator.apply(MutationType::RandomizeInstruction, a, rng);
    int changed = 0;
    for (Component c : kAllComponents) {
      const int ci = static_cast<int>(c);
      ASSERT_EQ(a.component(c).size(), start.component(c).size());
      for (size_t i = 0; i < a.component(c).size(); ++i) {
        if (a.component(c)[i] == start.component(c)[i]) continue;
        ++changed;
        ASSERT_TRUE(in_list(a.component(c)[i].op, ops[ci]))
            << op_name(a.component(c)[i].op) << " is not allowed in " << enum_name(c);
        positions.insert({ci, i});
        ops_seen.insert({ci, a.component(c)[i].op});
      }
    }
    ASSERT_EQ(changed, 1);
    expect_legal(a, kSpace, "after RANDOMIZE_INSTRUCTION");
  }
  EXPECT_EQ(positions.size(), 3u + 2u + 4u) << "not every position was ever replaced";
  EXPECT_EQ(ops_seen.size(), 2u + 3u + 4u) << "not every allowed op was ever drawn";
}

TEST(MutatorRandomizeComponent, RerandomisesOneWholeComponentKeepingItsSize) {
  SearchRng rng(32);
  const OpLists ops = three_lists();
  const Mutator mutator(make_options({MutationType::RandomizeComponent}, ops));
  const Algorithm start = noop_algorithm(3, 2, 4);
  std::set<int> chosen;
  for (int t = 0; t < 300; ++t) {
    Algorithm a = start;
    mutator.apply(MutationType::RandomizeComponent, a, rng);
    int changed_components = 0;
    for (Component c : kAllComponents) {
      const int ci = static_cast<int>(c);
      ASSERT_EQ(a.component(c).size(), start.component(c).size());
      if (a.component(c) == start.component(c)) continue;
      ++changed_components;
      chosen.insert(ci);
      // Every instruction of the chosen component is fresh (NoOp is not in the lists).
      for (const Instruction& in : a.component(c)) ASSERT_TRUE(in_list(in.op, ops[ci])) << op_name(in.op);
    }
    ASSERT_EQ(changed_components, 1);
    expect_legal(a, kSpace, "after RANDOMIZE_COMPONENT");
  }
  EXPECT_EQ(chosen, (std::set<int>{0, 1, 2}));
}

TEST(MutatorIdentity, ChangesNothing) {
  SearchRng rng(33);
  const Mutator mutator(make_options({MutationType::Identity}, test::all_ops()));
  for (int t = 0; t < 200; ++t) {
    Algorithm a = make_algorithm(InitialAlgorithm::Random, {4, 3, 5}, test::all_ops(), kSpace, rng);
    const Algorithm before = a;
    mutator.apply(MutationType::Identity, a, rng);
    ASSERT_EQ(a, before);
    // Through mutate() with probability 1 as well.
    ASSERT_EQ(mutator.mutate(before, 1, rng), before);
  }
}

TEST(MutatorRandomizeAlgorithm, RerandomisesEveryComponentWithAllowedOpsAndOnlyThose) {
  SearchRng rng(34);
  OpLists ops = three_lists();
  ops[0].clear();  // Setup is frozen
  const Mutator mutator(make_options({MutationType::RandomizeAlgorithm}, ops));
  Algorithm start = noop_algorithm(0, 2, 4);
  start.setup = markers(3);
  for (int t = 0; t < 100; ++t) {
    Algorithm a = start;
    mutator.apply(MutationType::RandomizeAlgorithm, a, rng);
    ASSERT_EQ(a.setup, start.setup) << "a component without allowed ops was re-randomised";
    for (Component c : {Component::Predict, Component::Learn}) {
      ASSERT_EQ(a.component(c).size(), start.component(c).size());
      for (const Instruction& in : a.component(c))
        ASSERT_TRUE(in_list(in.op, ops[static_cast<int>(c)])) << enum_name(c) << ": " << op_name(in.op);
    }
    expect_legal(a, kSpace, "after RANDOMIZE_ALGORITHM");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// INSERT, REMOVE, TRADE

// Options where only Predict mutates and its allowed op is ScalarSum, so inserted instructions are recognisable
// among the markers.
MutatorOptions predict_only(MutationType type, int min_size, int max_size) {
  MutatorOptions o = make_options({type}, {{{}, {Op::ScalarSum}, {}}});
  o.min_sizes.predict = min_size;
  o.max_sizes.predict = max_size;
  return o;
}

TEST(MutatorInsert, ReachableMaximumIsMaxMinusOne) {
  // The original refuses to insert once size >= max - 1 (spec §7), so max = 5 lets a component grow to 4.
  SearchRng rng(41);
  const Mutator mutator(predict_only(MutationType::InsertInstruction, 0, 5));
  Algorithm a;
  for (int t = 0; t < 50; ++t) mutator.apply(MutationType::InsertInstruction, a, rng);
  EXPECT_EQ(a.predict.size(), 4u);
  // A component already above the bound is not shrunk, just never grown.
  Algorithm big;
  big.predict = markers(7);
  mutator.apply(MutationType::InsertInstruction, big, rng);
  EXPECT_EQ(big.predict, markers(7));
  // max = 1 means nothing can ever be inserted.
  const Mutator one(predict_only(MutationType::InsertInstruction, 0, 1));
  Algorithm empty;
  for (int t = 0; t < 20; ++t) one.apply(MutationType::InsertInstruction, empty, rng);
  EXPECT_TRUE(empty.predict.empty());
}

TEST(MutatorInsert, MaxZeroMeansUnbounded) {
  // In the original max - 1 underflows for max = 0, so insertion never stops (spec §7, verified there).
  SearchRng rng(42);
  const Mutator mutator(predict_only(MutationType::InsertInstruction, 0, 0));
  Algorithm a;
  for (int t = 0; t < 300; ++t) {
    mutator.apply(MutationType::InsertInstruction, a, rng);
    ASSERT_EQ(a.predict.size(), static_cast<size_t>(t + 1));
  }
  for (const Instruction& in : a.predict) ASSERT_EQ(in.op, Op::ScalarSum);
  expect_legal(a, kSpace, "after INSERT");
}

TEST(MutatorInsert, InsertsAnAllowedFreshInstructionAtEveryPositionKeepingTheOthersInOrder) {
  SearchRng rng(43);
  const Mutator mutator(predict_only(MutationType::InsertInstruction, 0, 0));
  std::set<size_t> positions;
  for (int t = 0; t < 400; ++t) {
    Algorithm a;
    a.predict = markers(3);
    mutator.apply(MutationType::InsertInstruction, a, rng);
    ASSERT_EQ(a.predict.size(), 4u);
    std::vector<Instruction> rest;
    for (size_t i = 0; i < a.predict.size(); ++i) {
      if (a.predict[i].op == Op::ScalarSum) {
        positions.insert(i);
        expect_legal(a.predict[i], kSpace, "inserted");
      } else {
        rest.push_back(a.predict[i]);
      }
    }
    ASSERT_EQ(rest, markers(3)) << "the old instructions were changed or re-ordered";
  }
  // Positions are uniform in [0, size]: all four slots, including before the first and after the last.
  EXPECT_EQ(positions, (std::set<size_t>{0, 1, 2, 3}));
}

TEST(MutatorRemove, RespectsTheMinimumSize) {
  SearchRng rng(44);
  const Mutator mutator(predict_only(MutationType::RemoveInstruction, 2, 0));
  Algorithm a;
  a.predict = markers(6);
  for (int t = 0; t < 50; ++t) mutator.apply(MutationType::RemoveInstruction, a, rng);
  EXPECT_EQ(a.predict.size(), 2u);
  // min 0: down to empty, then removal does nothing.
  const Mutator none(predict_only(MutationType::RemoveInstruction, 0, 0));
  for (int t = 0; t < 10; ++t) none.apply(MutationType::RemoveInstruction, a, rng);
  EXPECT_TRUE(a.predict.empty());
}

TEST(MutatorRemove, RemovesEveryPositionEventuallyKeepingTheOthersInOrder) {
  SearchRng rng(45);
  const Mutator mutator(predict_only(MutationType::RemoveInstruction, 0, 0));
  std::set<int> removed;
  for (int t = 0; t < 400; ++t) {
    Algorithm a;
    a.predict = markers(4);
    mutator.apply(MutationType::RemoveInstruction, a, rng);
    ASSERT_EQ(a.predict.size(), 3u);
    std::vector<int> left;
    for (const Instruction& in : a.predict) left.push_back(marker_number(in));
    ASSERT_TRUE(std::is_sorted(left.begin(), left.end()));
    for (int k = 1; k <= 4; ++k)
      if (std::find(left.begin(), left.end(), k) == left.end()) removed.insert(k);
  }
  EXPECT_EQ(removed, (std::set<int>{1, 2, 3, 4}));
}

TEST(MutatorTrade, KeepsTheSizeIgnoringMinAndMaxAndSwapsOneInstructionForAFreshOne) {
  SearchRng rng(46);
  // Size 3 equals the minimum and is >= max - 1: insert and remove would both refuse, trade does not check.
  const Mutator mutator(predict_only(MutationType::TradeInstruction, 3, 3));
  std::set<int> removed;
  int fresh = 0;
  for (int t = 0; t < 400; ++t) {
    Algorithm a;
    a.predict = markers(3);
    mutator.apply(MutationType::TradeInstruction, a, rng);
    ASSERT_EQ(a.predict.size(), 3u);
    // The result is the markers with one fresh ScalarSum inserted and one instruction removed: at most one fresh
    // instruction, and the surviving markers in their order.
    std::vector<int> left;
    int n_fresh = 0;
    for (const Instruction& in : a.predict) {
      if (in.op == Op::ScalarSum) {
        ++n_fresh;
        expect_legal(in, kSpace, "traded in");
      } else {
        left.push_back(marker_number(in));
      }
    }
    ASSERT_LE(n_fresh, 1);
    ASSERT_TRUE(std::is_sorted(left.begin(), left.end()));
    fresh += n_fresh;
    for (int k = 1; k <= 3; ++k)
      if (std::find(left.begin(), left.end(), k) == left.end()) removed.insert(k);
  }
  // The fresh instruction survives unless it is the one removed (probability 1/4 here).
  EXPECT_GT(fresh, 200);
  EXPECT_EQ(removed, (std::set<int>{1, 2, 3}));
}

// ---------------------------------------------------------------------------------------------------------------
// Components without allowed ops, the type list, mutate_prob, determinism

TEST(Mutator, ComponentsWithEmptyOpListsAreNeverTouchedByAnyType) {
  SearchRng rng(51);
  // Setup and Learn frozen; Predict mutable.
  const OpLists ops = {{{}, {Op::ScalarSum, Op::VectorInnerProduct}, {}}};
  for (int type = 0; type < kNumMutationTypes; ++type) {
    const auto mt = static_cast<MutationType>(type);
    SCOPED_TRACE(enum_name(mt));
    const Mutator mutator(make_options({mt}, ops));
    Algorithm start = noop_algorithm(0, 2, 0);
    start.setup = markers(3);
    start.learn = markers(4);
    for (int t = 0; t < 200; ++t) {
      Algorithm a = start;
      mutator.apply(mt, a, rng);
      ASSERT_EQ(a.setup, start.setup);
      ASSERT_EQ(a.learn, start.learn);
    }
  }
}

TEST(Mutator, MutatesOnlyAmongComponentsWithAllowedOps) {
  // With Setup frozen, RANDOMIZE_COMPONENT picks Predict and Learn, both of them eventually.
  SearchRng rng(52);
  OpLists ops = three_lists();
  ops[0].clear();
  const Mutator mutator(make_options({MutationType::RandomizeComponent}, ops));
  const Algorithm start = noop_algorithm(2, 2, 2);
  int predict = 0, learn = 0;
  for (int t = 0; t < 200; ++t) {
    Algorithm a = start;
    mutator.apply(MutationType::RandomizeComponent, a, rng);
    ASSERT_EQ(a.setup, start.setup);
    predict += a.predict != start.predict;
    learn += a.learn != start.learn;
  }
  EXPECT_EQ(predict + learn, 200);
  EXPECT_GT(predict, 50);
  EXPECT_GT(learn, 50);
}

TEST(Mutator, AllOpListsEmptyIsAnInternalError) {
  SearchRng rng(53);
  const Mutator mutator(make_options({MutationType::AlterParam}, {}));
  Algorithm a = noop_algorithm(1, 1, 1);
  EXPECT_THROW(mutator.apply(MutationType::AlterParam, a, rng), std::logic_error);
}

TEST(Mutator, LongChainsOfEveryTypeKeepEveryAddressLegal) {
  SearchRng rng(54);
  std::vector<MutationType> types;
  for (int i = 0; i < kNumMutationTypes; ++i) types.push_back(static_cast<MutationType>(i));
  MutatorOptions o = make_options(types, test::all_ops());
  o.min_sizes = {1, 1, 1};
  o.max_sizes = {8, 8, 8};
  const Mutator mutator(o);
  for (int chain = 0; chain < 20; ++chain) {
    Algorithm a = make_algorithm(InitialAlgorithm::Random, {3, 3, 3}, test::all_ops(), kSpace, rng);
    for (int step = 0; step < 200; ++step) {
      a = mutator.mutate(a, 1, rng);
      for (Component c : kAllComponents) {
        // Insertion stops at max - 1 = 7 (spec §7); trade and the randomisations keep sizes.
        ASSERT_LE(a.component(c).size(), 7u) << enum_name(c);
        ASSERT_GE(a.component(c).size(), 1u) << enum_name(c);
      }
    }
    expect_legal(a, kSpace, "chain " + std::to_string(chain));
    EXPECT_NO_THROW(check_fits(a, kSpace));
  }
}

// Every component non-empty with NoOps and allowed lists without NoOp: a RANDOMIZE_COMPONENT always shows.
struct VisibleMutation {
  Algorithm parent = noop_algorithm(2, 2, 2);
  OpLists ops = three_lists();
};

double mutated_fraction(const Mutator& mutator, const Algorithm& parent, int trials, SearchRng& rng) {
  int mutated = 0;
  for (int t = 0; t < trials; ++t) mutated += mutator.mutate(parent, 1, rng) != parent;
  return static_cast<double>(mutated) / trials;
}

TEST(MutatorMutate, MutateProbZeroAlwaysCopiesOneAlwaysMutatesHalfMutatesAboutHalf) {
  SearchRng rng(61);
  const VisibleMutation v;
  EXPECT_EQ(mutated_fraction(Mutator(make_options({MutationType::RandomizeComponent}, v.ops, 0.0)), v.parent, 500, rng),
            0.0);
  EXPECT_EQ(mutated_fraction(Mutator(make_options({MutationType::RandomizeComponent}, v.ops, 1.0)), v.parent, 500, rng),
            1.0);
  // 4000 trials at p = 0.5: standard error 0.008, so [0.45, 0.55] is ±6σ.
  const double half =
      mutated_fraction(Mutator(make_options({MutationType::RandomizeComponent}, v.ops, 0.5)), v.parent, 4000, rng);
  EXPECT_GT(half, 0.45);
  EXPECT_LT(half, 0.55);
}

TEST(MutatorMutate, ZeroMutationsStillConsumeTheProbabilityDrawUnlessProbIsOne) {
  // Initial-population creation asks for 0 mutations and, in the original, still draws the probability
  // (spec §7); with mutate_prob >= 1 no draw is made.
  const VisibleMutation v;
  const Mutator half(make_options({MutationType::RandomizeComponent}, v.ops, 0.5));
  const Mutator always(make_options({MutationType::RandomizeComponent}, v.ops, 1.0));
  SearchRng a(7), b(7), c(7);
  EXPECT_EQ(half.mutate(v.parent, 0, a), v.parent);
  EXPECT_EQ(always.mutate(v.parent, 0, b), v.parent);
  const uint32_t untouched = c.next_u32();
  EXPECT_NE(a.next_u32(), untouched) << "mutate(…, 0) with p = 0.5 drew nothing";
  EXPECT_EQ(b.next_u32(), untouched) << "mutate(…, 0) with p = 1 drew something";
}

TEST(MutatorMutate, DuplicatesInTheTypeListWeightTheChoice) {
  SearchRng rng(62);
  const VisibleMutation v;
  // One RANDOMIZE_COMPONENT among three IDENTITYs: a quarter of the children differ; among one IDENTITY, half.
  // 4000 trials: standard errors 0.007 and 0.008, so the bounds below are about ±6σ.
  const double quarter = mutated_fraction(
      Mutator(make_options(
          {MutationType::Identity, MutationType::Identity, MutationType::Identity, MutationType::RandomizeComponent},
          v.ops)),
      v.parent, 4000, rng);
  EXPECT_GT(quarter, 0.20);
  EXPECT_LT(quarter, 0.30);
  const double half = mutated_fraction(
      Mutator(make_options({MutationType::Identity, MutationType::RandomizeComponent}, v.ops)), v.parent, 4000, rng);
  EXPECT_GT(half, 0.45);
  EXPECT_LT(half, 0.55);
}

TEST(MutatorMutate, SameSeedGivesTheSameChildrenAndAnotherSeedDifferent) {
  std::vector<MutationType> types;
  for (int i = 0; i < kNumMutationTypes; ++i) types.push_back(static_cast<MutationType>(i));
  MutatorOptions o = make_options(types, test::all_ops(), 0.9);
  o.max_sizes = {10, 10, 10};
  const Mutator mutator(o);
  auto chain = [&](uint64_t seed) {
    SearchRng rng(seed);
    Algorithm a = make_algorithm(InitialAlgorithm::Random, {3, 3, 3}, test::all_ops(), kSpace, rng);
    std::vector<std::string> texts;
    for (int i = 0; i < 200; ++i) {
      a = mutator.mutate(a, 1, rng);
      texts.push_back(to_text(a));
    }
    return texts;
  };
  EXPECT_EQ(chain(99), chain(99));
  EXPECT_NE(chain(99), chain(100));
}

TEST(MutatorMutate, NamesRoundTripAndAcceptTheOriginalSpelling) {
  for (int i = 0; i < kNumMutationTypes; ++i) {
    const auto m = static_cast<MutationType>(i);
    EXPECT_EQ(mutation_from_name(enum_name(m)), m);
  }
  EXPECT_EQ(mutation_from_name("RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE"), MutationType::RandomizeComponent);
  EXPECT_EQ(mutation_from_name("ALTER_PARAM_MUTATION_TYPE"), MutationType::AlterParam);
  EXPECT_EQ(mutation_from_name("no_such_mutation"), std::nullopt);
}

}  // namespace
}  // namespace amlz
