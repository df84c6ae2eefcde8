// SPDX-License-Identifier: Apache-2.0
// ProgramBatch packing, the bytecode verifier and the disassembler.
#include <sstream>

#include "amlz/core/algorithm.h"
#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"
#include "amlz/core/program.h"

namespace amlz {

uint32_t ProgramBatch::add(const Program& p, uint32_t eval_seed) {
  ProgramDesc d = p.desc;
  d.code_offset = static_cast<uint32_t>(code.size());
  d.eval_seed = eval_seed;
  code.insert(code.end(), p.code.begin(), p.code.end());
  programs.push_back(d);
  return static_cast<uint32_t>(programs.size() - 1);
}

std::optional<std::string> verify(const Program& p) {
  const ProgramDesc& d = p.desc;
  const size_t n = static_cast<size_t>(d.n_setup) + d.n_predict + d.n_learn;
  if (p.code.size() != n)
    return "code holds " + std::to_string(p.code.size()) + " instructions but the components add up to " +
           std::to_string(n);
  if (d.n_scalars < 2 || d.n_vectors < 1)
    return std::string("s0, s1 and v0 must be allocated");
  for (size_t i = 0; i < n; ++i) {
    const Instr& in = p.code[i];
    const std::string where = "instruction " + std::to_string(i) + ": ";
    if (!is_valid_op(static_cast<uint8_t>(in.op))) return where + "unknown opcode " + std::to_string(int(in.op));
    const OpInfo& info = op_info(in.op);
    auto bad = [&](Kind k, uint8_t addr) {
      switch (k) {
        case Kind::Scalar: return addr >= d.n_scalars;
        case Kind::Vector: return addr >= d.n_vectors;
        case Kind::Matrix: return addr >= d.n_matrices;
        case Kind::None: return false;
      }
      return true;
    };
    if (!is_random_op(in.op) && (bad(info.in1, in.in1) || bad(info.in2, in.in2)))
      return where + "input address out of range";
    if (bad(info.out, in.out)) return where + "output address out of range";
    auto index_ok = [](float f) { return f >= 0.0f && f < 1.0f; };
    if (info.data == DataKind::VectorConst && !index_ok(in.d0)) return where + "vector index outside [0,1)";
    if (info.data == DataKind::MatrixConst && !(index_ok(in.d0) && index_ok(in.d1)))
      return where + "matrix index outside [0,1)";
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
    os << "def " << component_name(c) << "():\n";
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
