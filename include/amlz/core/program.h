// SPDX-License-Identifier: Apache-2.0
// Host-side containers of bytecode: one compiled Program, and a ProgramBatch packing many for one evaluator call.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "amlz/core/bytecode.h"

namespace amlz {

struct Program {
  std::vector<Instr> code;  // setup, then predict, then learn
  ProgramDesc desc{};       // desc.code_offset is 0
  uint16_t source_instructions = 0;  // instructions before dead-code removal (for reports)

  const Instr* setup() const { return code.data(); }
  const Instr* predict() const { return code.data() + desc.n_setup; }
  const Instr* learn() const { return code.data() + desc.n_setup + desc.n_predict; }
};

// Many programs in one contiguous code array: one upload per batch on the GPU.
struct ProgramBatch {
  std::vector<Instr> code;
  std::vector<ProgramDesc> programs;

  // Appends a program; its random ops will draw with eval_seed in full evaluations. Returns its index.
  uint32_t add(const Program& p, uint32_t eval_seed);
  size_t size() const { return programs.size(); }
  void clear() {
    code.clear();
    programs.clear();
  }
  const Instr* code_of(uint32_t i) const { return code.data() + programs[i].code_offset; }
};

// Checks everything an interpreter trusts: known opcodes, addresses inside the program's memory, index
// parameters in [0,1), the reserved addresses allocated. Returns the first problem, or nothing.
std::optional<std::string> verify(const Program& p);

// Human-readable listing of the bytecode (compacted addresses), for failing-test traces.
std::string disassemble(const Program& p);

}  // namespace amlz
