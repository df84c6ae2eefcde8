// SPDX-License-Identifier: Apache-2.0
// The host representation of an AutoML-Zero algorithm: Setup/Predict/Learn as lists of instructions over scalar,
// vector and matrix memory (spec §1-2). Evaluators never see it: compile() turns it into a Program.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "amlz/core/bytecode.h"
#include "amlz/core/enum_names.h"
#include "amlz/core/ops.h"

namespace amlz {

// How many addresses of each kind an algorithm may use. Set at run time (the original fixed them at compile
// time). Random instructions read every address and never write what the executor writes before Predict and Learn:
// with scalar labels they write scalars in [1,S), vectors in [1,V), matrices in [0,M); with vector labels
// (multiclass tasks: features v0, label v1) scalars in [0,S), vectors in [2,V), matrices in [0,M).
struct AddressSpace {
  int scalars = 20;
  int vectors = 20;
  int matrices = 20;
  LabelKind labels = LabelKind::Scalar;  // from the tasks' type, not a config key
  bool operator==(const AddressSpace& o) const {
    return scalars == o.scalars && vectors == o.vectors && matrices == o.matrices && labels == o.labels;
  }
};
inline constexpr int kMaxAddresses = 255;  // addresses are bytes in the bytecode

int address_count(const AddressSpace& a, Kind k);

// The operand rule every instruction obeys, in a source algorithm and in compiled bytecode alike: each address
// inside its memory (`space` holds the counts), element-index parameters in [0,1) (1.0 would index element F).
// Slots the op does not use are not looked at (random ops keep their source key there). Returns the problem.
std::optional<std::string> operand_problem(Op op, uint8_t out, uint8_t in1, uint8_t in2, float d0, float d1,
                                           const AddressSpace& space);
// The same rule as a plain yes/no, inline and without building a message: the verifier runs on every candidate.
inline bool operands_fit(Op op, uint8_t out, uint8_t in1, uint8_t in2, float d0, float d1, const AddressSpace& space) {
  const OpInfo& info = op_info(op);
  auto fits = [&space](Kind k, uint8_t a) {
    switch (k) {
      case Kind::None: return true;
      case Kind::Scalar: return a < space.scalars;
      case Kind::Vector: return a < space.vectors;
      case Kind::Matrix: return a < space.matrices;
    }
    return false;
  };
  auto is_index = [](float f) { return f >= 0.0f && f < 1.0f; };
  return fits(info.in1, in1) && fits(info.in2, in2) && fits(info.out, out) &&
         (info.data != DataKind::VectorConst || is_index(d0)) &&
         (info.data != DataKind::MatrixConst || (is_index(d0) && is_index(d1)));
}

struct Instruction {
  Op op = Op::NoOp;
  uint8_t in1 = 0, in2 = 0, out = 0;  // unused slots are 0
  std::array<float, 3> data{};        // unused parameters are 0

  // Exact equality, floats compared bit for bit (so a printed-and-parsed algorithm equals the original).
  bool operator==(const Instruction& o) const;
  bool operator!=(const Instruction& o) const { return !(*this == o); }
};

struct Algorithm {
  std::vector<Instruction> setup, predict, learn;

  std::vector<Instruction>& component(Component c);
  const std::vector<Instruction>& component(Component c) const;
  size_t size() const { return setup.size() + predict.size() + learn.size(); }
  bool operator==(const Algorithm& o) const { return setup == o.setup && predict == o.predict && learn == o.learn; }
  bool operator!=(const Algorithm& o) const { return !(*this == o); }
};

inline constexpr Component kAllComponents[kNumComponents] = {Component::Setup, Component::Predict, Component::Learn};
template <>
struct EnumNames<Component> {
  static constexpr EnumName<Component> table[] = {
      {Component::Setup, "Setup"}, {Component::Predict, "Predict"}, {Component::Learn, "Learn"}};
};

// Every address the algorithm uses fits in `space`, index parameters lie in [0,1), component sizes fit the
// bytecode. Throws amlz::Error naming the component, position and problem.
void check_fits(const Algorithm& a, const AddressSpace& space);

}  // namespace amlz
