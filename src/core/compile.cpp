// SPDX-License-Identifier: Apache-2.0
// Liveness over the evaluation loop, dead-code removal and address compaction.
#include "amlz/core/compile.h"

#include <algorithm>
#include <array>
#include <bitset>

#include "amlz/error.h"

namespace amlz {
namespace {

// Set of live addresses per memory kind. (Addresses are uint8_t, always inside the bitsets: the unchecked
// operator[] spares the range checks of test/set/reset, and compile() runs for every candidate.)
struct LiveSet {
  std::array<std::bitset<256>, 4> by_kind;  // indexed by Kind
  bool test(Kind k, uint8_t a) const { return by_kind[static_cast<int>(k)][a]; }
  void set(Kind k, uint8_t a) {
    if (k != Kind::None) by_kind[static_cast<int>(k)][a] = true;
  }
  void reset(Kind k, uint8_t a) {
    if (k != Kind::None) by_kind[static_cast<int>(k)][a] = false;
  }
  LiveSet& operator|=(const LiveSet& o) {
    for (size_t i = 0; i < by_kind.size(); ++i) by_kind[i] |= o.by_kind[i];
    return *this;
  }
  bool operator==(const LiveSet& o) const { return by_kind == o.by_kind; }
};

// Setting one element of a vector/matrix leaves the others: the old value flows through.
bool is_partial_write(Op op) { return op == Op::VectorConstSet || op == Op::MatrixConstSet; }

// Backward pass: returns the live-in set and marks live instructions.
LiveSet live_in(const std::vector<Instruction>& code, LiveSet live, std::vector<uint8_t>* marks) {
  if (marks) marks->assign(code.size(), false);
  for (size_t i = code.size(); i-- > 0;) {
    const Instruction& in = code[i];
    const OpInfo& info = op_info(in.op);
    if (info.out == Kind::None || !live.test(info.out, in.out)) continue;
    if (marks) (*marks)[i] = true;
    if (!is_partial_write(in.op)) live.reset(info.out, in.out);
    live.set(info.in1, in.in1);
    live.set(info.in2, in.in2);
  }
  return live;
}

// The executor overwrites the features and the label (s0 and v0; with vector labels v0 and v1) before every Predict
// and Learn, so they are never live across a boundary.
struct Boundary {
  LabelKind labels;
  LiveSet operator()(LiveSet s) const {
    if (labels == LabelKind::Vector)
      s.reset(Kind::Vector, kLabelVector);
    else
      s.reset(Kind::Scalar, kLabelScalar);
    s.reset(Kind::Vector, kFeaturesVector);
    return s;
  }
};

}  // namespace

void mark_live(const Algorithm& a, LiveMarks& live, LabelKind labels) {
  const Boundary across_boundary{labels};
  LiveSet read_after_predict;  // the executor reads the prediction (s1, or v2 with vector labels) after every Predict
  if (labels == LabelKind::Vector)
    read_after_predict.set(Kind::Vector, kPredictionVector);
  else
    read_after_predict.set(Kind::Scalar, kPredictionScalar);
  LiveSet in_predict, in_learn;
  for (;;) {
    LiveSet out_predict = read_after_predict;
    out_predict |= across_boundary(in_learn);    // Predict -> Learn (training)
    out_predict |= across_boundary(in_predict);  // Predict -> Predict (validation)
    const LiveSet next_in_predict = live_in(a.predict, out_predict, nullptr);
    const LiveSet next_in_learn = live_in(a.learn, across_boundary(next_in_predict), nullptr);  // Learn -> Predict
    if (next_in_predict == in_predict && next_in_learn == in_learn) break;
    in_predict = next_in_predict;
    in_learn = next_in_learn;
  }
  LiveSet out_predict = read_after_predict;
  out_predict |= across_boundary(in_learn);
  out_predict |= across_boundary(in_predict);
  live_in(a.setup, across_boundary(in_predict), &live[0]);
  live_in(a.predict, out_predict, &live[1]);
  live_in(a.learn, across_boundary(in_predict), &live[2]);
}

Program compile(const Algorithm& a, const CompileOptions& options) {
  Program p;
  LiveMarks keep;
  compile_into(a, p, keep, options);
  return p;
}

void compile_into(const Algorithm& a, Program& p, LiveMarks& keep, const CompileOptions& options) {
  const std::vector<Instruction>* comps[kNumComponents] = {&a.setup, &a.predict, &a.learn};
  for (int c = 0; c < kNumComponents; ++c)
    AMLZ_CHECK(comps[c]->size() < kMaxComponentSize, "component too long for the bytecode");
  if (options.remove_dead_code) {
    mark_live(a, keep, options.labels);
  } else {
    for (int c = 0; c < kNumComponents; ++c) keep[c].assign(comps[c]->size(), true);
  }

  // Address maps: s0, s1 and v0 (with vector labels also v1 and v2) are fixed; everything else used by a kept
  // instruction is numbered in order. A slot holds the new address + 1 (0: not used yet), so the map starts as zeros:
  // compile() runs for every candidate.
  std::array<std::array<uint16_t, 256>, 4> map{};
  std::array<int, 4> count{0, 0, 0, 0};
  auto use = [&](Kind k, uint8_t addr) {
    if (k == Kind::None) return;
    uint16_t& slot = map[static_cast<int>(k)][addr];
    if (slot == 0) slot = static_cast<uint16_t>((options.compact_addresses ? count[static_cast<int>(k)]++ : addr) + 1);
    if (!options.compact_addresses) count[static_cast<int>(k)] = std::max(count[static_cast<int>(k)], addr + 1);
  };
  use(Kind::Scalar, kLabelScalar);
  use(Kind::Scalar, kPredictionScalar);
  use(Kind::Vector, kFeaturesVector);
  if (options.labels == LabelKind::Vector) {
    use(Kind::Vector, kLabelVector);
    use(Kind::Vector, kPredictionVector);
  }
  for (int c = 0; c < kNumComponents; ++c)
    for (size_t i = 0; i < comps[c]->size(); ++i) {
      if (!keep[c][i]) continue;
      const Instruction& in = (*comps[c])[i];
      const OpInfo& info = op_info(in.op);
      use(info.in1, in.in1);
      use(info.in2, in.in2);
      use(info.out, in.out);
    }

  p.desc = ProgramDesc{};
  p.source_instructions = static_cast<uint16_t>(a.size());
  p.code.clear();
  p.code.reserve(a.size());
  uint16_t sizes[kNumComponents] = {0, 0, 0};
  for (int c = 0; c < kNumComponents; ++c)
    for (size_t i = 0; i < comps[c]->size(); ++i) {
      if (!keep[c][i]) continue;
      const Instruction& in = (*comps[c])[i];
      if (in.op == Op::NoOp && options.remove_dead_code) continue;
      const OpInfo& info = op_info(in.op);
      auto mapped = [&](Kind k, uint8_t addr) -> uint8_t {
        return k == Kind::None ? 0 : static_cast<uint8_t>(map[static_cast<int>(k)][addr] - 1);
      };
      Instr out{in.op,
                mapped(info.out, in.out),
                mapped(info.in1, in.in1),
                mapped(info.in2, in.in2),
                in.data[0],
                in.data[1],
                in.data[2]};
      if (is_random_op(in.op)) {
        const uint32_t key = make_random_key(static_cast<Component>(c), static_cast<uint32_t>(i));
        out.in1 = static_cast<uint8_t>(key & 0xFFu);
        out.in2 = static_cast<uint8_t>(key >> 8);
      }
      p.code.push_back(out);
      ++sizes[c];
    }
  p.desc.n_setup = sizes[0];
  p.desc.n_predict = sizes[1];
  p.desc.n_learn = sizes[2];
  AMLZ_CHECK(count[1] <= 255 && count[2] <= 255 && count[3] <= 255, "address count overflow");
  p.desc.n_scalars = static_cast<uint8_t>(count[static_cast<int>(Kind::Scalar)]);
  p.desc.n_vectors = static_cast<uint8_t>(count[static_cast<int>(Kind::Vector)]);
  p.desc.n_matrices = static_cast<uint8_t>(count[static_cast<int>(Kind::Matrix)]);
  p.desc.flags = options.labels == LabelKind::Vector ? kVectorLabels : 0;
  p.desc.flags = program_flags(p.code.data(), p.desc);
}

}  // namespace amlz
