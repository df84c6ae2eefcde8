// SPDX-License-Identifier: Apache-2.0
#include "amlz/core/algorithm.h"

#include <cstring>
#include <string>

#include "amlz/error.h"

namespace amlz {

int address_count(const AddressSpace& a, Kind k) {
  switch (k) {
    case Kind::Scalar: return a.scalars;
    case Kind::Vector: return a.vectors;
    case Kind::Matrix: return a.matrices;
    case Kind::None: break;
  }
  return 0;
}

bool Instruction::operator==(const Instruction& o) const {
  return op == o.op && in1 == o.in1 && in2 == o.in2 && out == o.out &&
         std::memcmp(data.data(), o.data.data(), sizeof(data)) == 0;
}

std::vector<Instruction>& Algorithm::component(Component c) {
  switch (c) {
    case Component::Setup: return setup;
    case Component::Predict: return predict;
    case Component::Learn: break;
  }
  return learn;
}
const std::vector<Instruction>& Algorithm::component(Component c) const {
  return const_cast<Algorithm*>(this)->component(c);
}

const char* component_name(Component c) {
  switch (c) {
    case Component::Setup: return "Setup";
    case Component::Predict: return "Predict";
    case Component::Learn: break;
  }
  return "Learn";
}

namespace {

bool is_index(float f) { return f >= 0.0f && f < 1.0f; }

void check_instruction(const Instruction& in, const AddressSpace& space, Component c, size_t pos) {
  const OpInfo& info = op_info(in.op);
  auto fail = [&](const std::string& what) {
    throw Error(std::string(component_name(c)) + " instruction " + std::to_string(pos + 1) + " (" +
                op_name(in.op) + "): " + what);
  };
  auto check_addr = [&](Kind k, int addr, const char* slot) {
    if (k == Kind::None) return;
    const int n = address_count(space, k);
    if (addr >= n)
      fail(std::string(slot) + " " + kind_letter(k) + std::to_string(addr) + " is out of range: the address space has " +
           std::to_string(n) + " " + kind_letter(k) + "-addresses (" + kind_letter(k) + "0.." + kind_letter(k) +
           std::to_string(n - 1) + ")");
  };
  check_addr(info.in1, in.in1, "input");
  check_addr(info.in2, in.in2, "input");
  check_addr(info.out, in.out, "output");
  if (info.data == DataKind::VectorConst && !is_index(in.data[0]))
    fail("element index " + std::to_string(in.data[0]) + " must lie in [0, 1)");
  if (info.data == DataKind::MatrixConst && !(is_index(in.data[0]) && is_index(in.data[1])))
    fail("element indices must lie in [0, 1)");
}

}  // namespace

void check_fits(const Algorithm& a, const AddressSpace& space) {
  for (Component c : kAllComponents) {
    const auto& instrs = a.component(c);
    if (instrs.size() >= kMaxComponentSize)
      throw Error(std::string(component_name(c)) + " has " + std::to_string(instrs.size()) +
                  " instructions; at most " + std::to_string(kMaxComponentSize - 1) + " are supported");
    for (size_t i = 0; i < instrs.size(); ++i) check_instruction(instrs[i], space, c, i);
  }
}

}  // namespace amlz
