// SPDX-License-Identifier: Apache-2.0
// ProgramBatch packing, the bytecode verifier and the disassembler.
#include "amlz/core/program.h"

#include <sstream>

#include "amlz/core/algorithm.h"
#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"

namespace amlz {

uint32_t ProgramBatch::add(const Program& p, uint32_t eval_seed) {
  ProgramDesc d = p.desc;
  d.code_offset = static_cast<uint32_t>(code.size());
  d.eval_seed = eval_seed;
  code.insert(code.end(), p.code.begin(), p.code.end());
  programs.push_back(d);
  return static_cast<uint32_t>(programs.size() - 1);
}

uint8_t program_flags(const Instr* code, const ProgramDesc& d) {
  uint8_t flags = d.flags & kVectorLabels;  // how it was compiled, not a fact of the code
  const size_t n = static_cast<size_t>(d.n_setup) + d.n_predict + d.n_learn;
  for (size_t k = 0; k < n; ++k) {
    const Instr& in = code[k];
    const bool in_predict = k >= d.n_setup && k < static_cast<size_t>(d.n_setup) + d.n_predict;
    if (in_predict && op_info(in.op).out == Kind::Vector && in.out == kFeaturesVector) flags |= kPredictWritesV0;
    if (in.op == Op::MatrixMatrixProduct && in.out == in.in2) flags |= kMatmulIntoRightOperand;
  }
  return flags;
}

namespace {

// `available`: instructions from `code` to the end of its array.
std::optional<std::string> verify_program(const ProgramDesc& d, const Instr* code, size_t available) {
  const size_t n = static_cast<size_t>(d.n_setup) + d.n_predict + d.n_learn;
  if (n > available)
    return "the components add up to " + std::to_string(n) + " instructions but the code holds " +
           std::to_string(available);
  if (d.n_scalars < 2 || d.n_vectors < 1) return std::string("s0, s1 and v0 must be allocated");
  if ((d.flags & kVectorLabels) && d.n_vectors < 3)
    return std::string("a program for vector labels must allocate v1 and v2");
  const AddressSpace memory{d.n_scalars, d.n_vectors, d.n_matrices};
  for (size_t i = 0; i < n; ++i) {
    const Instr& in = code[i];
    // Every candidate is verified: the message is built only for a failure.
    auto where = [i] { return "instruction " + std::to_string(i) + ": "; };
    if (!is_valid_op(static_cast<uint8_t>(in.op))) return where() + "unknown opcode " + std::to_string(int(in.op));
    if (!operands_fit(in.op, in.out, in.in1, in.in2, in.d0, in.d1, memory))
      return where() + operand_problem(in.op, in.out, in.in1, in.in2, in.d0, in.d1, memory).value_or("bad operand");
  }
  if (d.flags != program_flags(code, d))
    return "flags " + std::to_string(d.flags) + " do not describe the code (expected " +
           std::to_string(program_flags(code, d)) + ")";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> verify(const Program& p) {
  const size_t n = static_cast<size_t>(p.desc.n_setup) + p.desc.n_predict + p.desc.n_learn;
  if (p.code.size() != n)
    return "code holds " + std::to_string(p.code.size()) + " instructions but the components add up to " +
           std::to_string(n);
  return verify_program(p.desc, p.code.data(), p.code.size());
}

std::optional<std::string> verify(const ProgramBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const ProgramDesc& d = batch.programs[i];
    const size_t offset = d.code_offset;
    if (offset > batch.code.size()) return "program " + std::to_string(i) + ": code offset past the batch's code";
    if (auto problem = verify_program(d, batch.code.data() + offset, batch.code.size() - offset))
      return "program " + std::to_string(i) + ": " + *problem;
  }
  return std::nullopt;
}

std::string disassemble(const Program& p) {
  std::ostringstream os;
  const ProgramDesc& d = p.desc;
  os << "; program: " << d.n_setup << "/" << d.n_predict << "/" << d.n_learn << " instructions (from "
     << p.source_instructions << "), memory " << int(d.n_scalars) << "s " << int(d.n_vectors) << "v "
     << int(d.n_matrices) << "m\n";
  const uint16_t sizes[kNumComponents] = {d.n_setup, d.n_predict, d.n_learn};
  size_t i = 0;
  for (Component c : kAllComponents) {
    os << "def " << enum_name(c) << "():\n";
    for (uint16_t k = 0; k < sizes[static_cast<int>(c)]; ++k, ++i) {
      const Instr& in = p.code[i];
      Instruction view;
      view.op = in.op;
      view.out = in.out;
      if (!is_random_op(in.op)) {
        view.in1 = in.in1;
        view.in2 = in.in2;
      }
      view.data = {in.d0, in.d1, in.d2};
      os << "  " << to_text(view);
      if (is_random_op(in.op)) os << "  ; key " << random_key(in);
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace amlz
