// SPDX-License-Identifier: Apache-2.0
// The eight mutation types of spec §7 and the per-op ALTER_PARAM rules.
#include "amlz/search/mutator.h"

#include <cctype>
#include <cmath>
#include <string>

#include "amlz/error.h"

namespace amlz {

std::optional<MutationType> mutation_from_name(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const std::string suffix = "_mutation_type";
  if (lower.size() > suffix.size() && lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0)
    lower.resize(lower.size() - suffix.size());
  if (lower == "randomize_component_function") lower = "randomize_component";  // the original's spelling
  return enum_from_name<MutationType>(lower);
}

Mutator::Mutator(MutatorOptions options) : options_(std::move(options)) {
  for (Component c : kAllComponents)
    if (!options_.ops[static_cast<int>(c)].empty()) mutable_components_.push_back(c);
}

Component Mutator::random_component(SearchRng& rng) const {
  AMLZ_CHECK(!mutable_components_.empty(), "no component has allowed ops, so none can be mutated");
  return mutable_components_[rng.uniform_below(static_cast<uint32_t>(mutable_components_.size()))];
}

namespace {

// Multiplicative log-normal step, keeping the sign: 0 becomes -0 and stays 0 (as the original).
float log_normal_step(float x, SearchRng& rng) {
  const float sign = x > 0.0f ? 1.0f : -1.0f;
  return sign * std::exp(std::log(std::fabs(x)) + static_cast<float>(rng.gaussian()));
}
float negate_or_step(float x, SearchRng& rng) { return rng.bernoulli(0.1) ? -x : log_normal_step(x, rng); }

int size_bound(const ComponentSizes& s, Component c) {
  return c == Component::Setup ? s.setup : c == Component::Predict ? s.predict : s.learn;
}

}  // namespace

void Mutator::alter_param(Instruction& in, SearchRng& rng) const {
  const OpInfo& info = op_info(in.op);
  const AddressSpace& space = options_.space;
  if (in.op == Op::NoOp) return;
  if (info.data != DataKind::None) {
    if (rng.bernoulli(0.5)) {
      in.out = random_output_address(info.out, space, rng);
      return;
    }
    switch (info.data) {
      case DataKind::ScalarConst: in.data[0] = negate_or_step(in.data[0], rng); break;
      case DataKind::VectorConst:
        if (rng.bernoulli(0.5))
          in.data[0] = rng.uniform_float();
        else
          in.data[1] = negate_or_step(in.data[1], rng);
        break;
      case DataKind::MatrixConst:
        switch (rng.uniform_below(3)) {
          case 0: in.data[0] = rng.uniform_float(); break;
          case 1: in.data[1] = rng.uniform_float(); break;
          default: in.data[2] = negate_or_step(in.data[2], rng); break;
        }
        break;
      case DataKind::Gaussian:
        if (rng.bernoulli(0.5))
          in.data[0] = negate_or_step(in.data[0], rng);
        else
          in.data[1] = log_normal_step(in.data[1], rng);
        break;
      case DataKind::Uniform: {
        const size_t k = rng.bernoulli(0.5) ? 0 : 1;
        in.data[k] = negate_or_step(in.data[k], rng);
        if (in.data[1] < in.data[0]) std::swap(in.data[0], in.data[1]);
        break;
      }
      case DataKind::None: break;
    }
    return;
  }
  const bool two_inputs = info.in2 != Kind::None;
  switch (rng.uniform_below(two_inputs ? 3 : 2)) {
    case 0: in.in1 = random_input_address(info.in1, space, rng); break;
    case 1:
      if (two_inputs) {
        in.in2 = random_input_address(info.in2, space, rng);
        break;
      }
      [[fallthrough]];
    default: in.out = random_output_address(info.out, space, rng); break;
  }
}

void Mutator::apply(MutationType type, Algorithm& a, SearchRng& rng) const {
  const AddressSpace& space = options_.space;
  if (type == MutationType::Identity) return;
  if (type == MutationType::RandomizeAlgorithm) {
    for (Component c : mutable_components_)
      randomize_component(a.component(c), options_.ops[static_cast<int>(c)], space, rng);
    return;
  }
  const Component c = random_component(rng);
  std::vector<Instruction>& instrs = a.component(c);
  const std::vector<Op>& ops = options_.ops[static_cast<int>(c)];
  const int size = static_cast<int>(instrs.size());
  switch (type) {
    case MutationType::AlterParam:
      if (size > 0) alter_param(instrs[rng.uniform_below(static_cast<uint32_t>(size))], rng);
      break;
    case MutationType::RandomizeInstruction:
      if (size > 0) {
        const uint32_t pos = rng.uniform_below(static_cast<uint32_t>(size));
        instrs[pos] = random_instruction(ops, space, rng);
      }
      break;
    case MutationType::RandomizeComponent: randomize_component(instrs, ops, space, rng); break;
    case MutationType::InsertInstruction: {
      const int max = size_bound(options_.max_sizes, c);
      if ((max > 0 && size >= max - 1) || size + 1 >= static_cast<int>(kMaxComponentSize)) break;
      Instruction fresh = random_instruction(ops, space, rng);
      const uint32_t pos = rng.uniform_below(static_cast<uint32_t>(size + 1));
      instrs.insert(instrs.begin() + pos, fresh);
      break;
    }
    case MutationType::RemoveInstruction:
      if (size > size_bound(options_.min_sizes, c) && size > 0)
        instrs.erase(instrs.begin() + rng.uniform_below(static_cast<uint32_t>(size)));
      break;
    case MutationType::TradeInstruction: {
      if (size + 1 >= static_cast<int>(kMaxComponentSize)) break;
      Instruction fresh = random_instruction(ops, space, rng);
      instrs.insert(instrs.begin() + rng.uniform_below(static_cast<uint32_t>(size + 1)), fresh);
      instrs.erase(instrs.begin() + rng.uniform_below(static_cast<uint32_t>(size + 1)));
      break;
    }
    case MutationType::Identity:
    case MutationType::RandomizeAlgorithm: break;
  }
}

Algorithm Mutator::mutate(const Algorithm& parent, int num_mutations, SearchRng& rng) const {
  Algorithm child = parent;
  if (options_.mutate_prob >= 1.0 || rng.uniform_double() < options_.mutate_prob) {
    for (int i = 0; i < num_mutations; ++i)
      apply(options_.types[rng.uniform_below(static_cast<uint32_t>(options_.types.size()))], child, rng);
  }
  return child;
}

}  // namespace amlz
