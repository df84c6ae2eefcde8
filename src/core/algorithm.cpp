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
  // Parameters compare bit for bit on purpose (-0 is not +0), so a printed-and-parsed algorithm equals the original.
  // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
  const bool same_data = std::memcmp(data.data(), o.data.data(), sizeof(data)) == 0;
  return op == o.op && in1 == o.in1 && in2 == o.in2 && out == o.out && same_data;
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

namespace {

bool is_index(float f) { return f >= 0.0f && f < 1.0f; }

}  // namespace

std::optional<std::string> operand_problem(Op op, uint8_t out, uint8_t in1, uint8_t in2, float d0, float d1,
                                           const AddressSpace& space) {
  if (operands_fit(op, out, in1, in2, d0, d1, space)) return std::nullopt;
  const OpInfo& info = op_info(op);
  const Kind kinds[3] = {info.in1, info.in2, info.out};
  const uint8_t addrs[3] = {in1, in2, out};
  const char* slots[3] = {"input", "input", "output"};
  for (int k = 0; k < 3; ++k) {
    if (kinds[k] == Kind::None) continue;
    const int n = address_count(space, kinds[k]);
    if (addrs[k] < n) continue;
    const char l = kind_letter(kinds[k]);
    return std::string(slots[k]) + " " + l + std::to_string(addrs[k]) + " is out of range: the memory has " +
           std::to_string(n) + " " + l + "-addresses" +
           (n > 0 ? std::string(" (") + l + "0.." + l + std::to_string(n - 1) + ")" : std::string());
  }
  if (info.data == DataKind::VectorConst && !is_index(d0))
    return "element index " + std::to_string(d0) + " must lie in [0,1)";
  if (info.data == DataKind::MatrixConst && !(is_index(d0) && is_index(d1)))
    return "element indices " + std::to_string(d0) + ", " + std::to_string(d1) + " must lie in [0,1)";
  return std::nullopt;
}

void check_fits(const Algorithm& a, const AddressSpace& space) {
  for (Component c : kAllComponents) {
    const auto& instrs = a.component(c);
    if (instrs.size() >= kMaxComponentSize)
      throw Error(std::string(enum_name(c)) + " has " + std::to_string(instrs.size()) + " instructions; at most " +
                  std::to_string(kMaxComponentSize - 1) + " are supported");
    for (size_t i = 0; i < instrs.size(); ++i) {
      const Instruction& in = instrs[i];
      if (auto problem = operand_problem(in.op, in.out, in.in1, in.in2, in.data[0], in.data[1], space))
        throw Error(std::string(enum_name(c)) + " instruction " + std::to_string(i + 1) + " (" + op_name(in.op) +
                    "): " + *problem);
    }
  }
}

}  // namespace amlz
