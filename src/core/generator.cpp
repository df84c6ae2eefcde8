// SPDX-License-Identifier: Apache-2.0
#include "amlz/core/generator.h"

#include "amlz/error.h"

namespace amlz {

uint8_t random_input_address(Kind k, const AddressSpace& space, SearchRng& rng) {
  return static_cast<uint8_t>(rng.uniform_below(static_cast<uint32_t>(address_count(space, k))));
}

int lowest_output_address(Kind k, LabelKind labels) {
  const bool vector_labels = labels == LabelKind::Vector;
  switch (k) {
    case Kind::Scalar: return vector_labels ? 0 : 1;  // never the label s0
    case Kind::Vector: return vector_labels ? 2 : 1;  // never the features v0 (nor the label v1)
    case Kind::None:
    case Kind::Matrix: break;
  }
  return 0;
}

uint8_t random_output_address(Kind k, const AddressSpace& space, SearchRng& rng) {
  return static_cast<uint8_t>(rng.uniform_int(lowest_output_address(k, space.labels), address_count(space, k)));
}

bool op_fits(Op op, const AddressSpace& space) {
  const OpInfo& info = op_info(op);
  auto has_input = [&](Kind k) { return k == Kind::None || address_count(space, k) >= 1; };
  const int need_out = lowest_output_address(info.out, space.labels) + 1;
  return has_input(info.in1) && has_input(info.in2) &&
         (info.out == Kind::None || address_count(space, info.out) >= need_out);
}

void randomize_data(Instruction& in, SearchRng& rng) {
  in.data = {0.0f, 0.0f, 0.0f};
  switch (op_info(in.op).data) {
    case DataKind::None: break;
    case DataKind::ScalarConst: in.data[0] = static_cast<float>(rng.uniform_open(-1.0, 1.0)); break;
    case DataKind::VectorConst:
      in.data[0] = rng.uniform_float();
      in.data[1] = rng.uniform_float(-1.0f, 1.0f);
      break;
    case DataKind::MatrixConst:
      in.data[0] = rng.uniform_float();
      in.data[1] = rng.uniform_float();
      in.data[2] = rng.uniform_float(-1.0f, 1.0f);
      break;
    case DataKind::Uniform:
      in.data[0] = rng.uniform_float(-1.0f, 1.0f);
      in.data[1] = rng.uniform_float(-1.0f, 1.0f);
      break;
    case DataKind::Gaussian:
      in.data[0] = rng.uniform_float(-1.0f, 1.0f);
      in.data[1] = rng.uniform_float();
      break;
  }
}

Instruction random_instruction(Op op, const AddressSpace& space, SearchRng& rng) {
  AMLZ_CHECK(op_fits(op, space), std::string("op ") + op_name(op) + " does not fit the address space");
  const OpInfo& info = op_info(op);
  Instruction in;
  in.op = op;
  if (info.in1 != Kind::None) in.in1 = random_input_address(info.in1, space, rng);
  if (info.in2 != Kind::None) in.in2 = random_input_address(info.in2, space, rng);
  if (info.out != Kind::None) in.out = random_output_address(info.out, space, rng);
  randomize_data(in, rng);
  return in;
}

Instruction random_instruction(const std::vector<Op>& ops, const AddressSpace& space, SearchRng& rng) {
  AMLZ_CHECK(!ops.empty(), "no allowed ops to draw from");
  return random_instruction(ops[rng.uniform_below(static_cast<uint32_t>(ops.size()))], space, rng);
}

void randomize_component(std::vector<Instruction>& component, const std::vector<Op>& ops, const AddressSpace& space,
                         SearchRng& rng) {
  if (ops.empty()) return;
  for (Instruction& in : component) in = random_instruction(ops, space, rng);
}

}  // namespace amlz
