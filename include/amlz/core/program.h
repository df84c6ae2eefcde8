// SPDX-License-Identifier: Apache-2.0
// Host-side containers of bytecode: one compiled Program, and a ProgramBatch packing many for one evaluator call.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "amlz/core/bytecode.h"

namespace amlz {

struct Program {
  std::vector<Instr> code;           // setup, then predict, then learn
  ProgramDesc desc{};                // desc.code_offset is 0
  uint16_t source_instructions = 0;  // instructions before dead-code removal (for reports)
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

// The ProgramFlags (bytecode.h) that describe `code` (desc's component sizes give its length), with desc's
// kVectorLabels kept as it is (how the program was compiled).
uint8_t program_flags(const Instr* code, const ProgramDesc& desc);

// The one bytecode verifier, run on the host before any evaluator trusts a program: known opcodes, addresses inside
// the program's memory, index parameters in [0,1), s0, s1 and v0 (for vector labels also v1, v2) allocated, the code
// inside its array, the flags those of the code. Returns the first problem, or nothing.
std::optional<std::string> verify(const Program& p);
std::optional<std::string> verify(const ProgramBatch& batch);  // every program of the batch, in its packed form

// Human-readable listing of the bytecode (compacted addresses), for failing-test traces.
std::string disassemble(const Program& p);

}  // namespace amlz
