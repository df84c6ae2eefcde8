// SPDX-License-Identifier: Apache-2.0
// The Mutator (spec §7): regularized evolution's only way to make a child from a parent.
#pragma once
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/core/enum_names.h"
#include "amlz/core/generator.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/core/search_rng.h"

namespace amlz {

enum class MutationType : uint8_t {
  AlterParam = 0,
  RandomizeInstruction = 1,
  RandomizeComponent = 2,
  Identity = 3,
  InsertInstruction = 4,
  RemoveInstruction = 5,
  TradeInstruction = 6,
  RandomizeAlgorithm = 7,
};
inline constexpr int kNumMutationTypes = 8;  // checked against the name table below
template <>
struct EnumNames<MutationType> {
  static constexpr EnumName<MutationType> table[] = {{MutationType::AlterParam, "alter_param"},
                                                     {MutationType::RandomizeInstruction, "randomize_instruction"},
                                                     {MutationType::RandomizeComponent, "randomize_component"},
                                                     {MutationType::Identity, "identity"},
                                                     {MutationType::InsertInstruction, "insert_instruction"},
                                                     {MutationType::RemoveInstruction, "remove_instruction"},
                                                     {MutationType::TradeInstruction, "trade_instruction"},
                                                     {MutationType::RandomizeAlgorithm, "randomize_algorithm"}};
};
static_assert(std::size(EnumNames<MutationType>::table) == kNumMutationTypes, "every mutation type has a name");
// Accepts our spelling, in any case, and the original's ("ALTER_PARAM_MUTATION_TYPE").
std::optional<MutationType> mutation_from_name(std::string_view name);

struct MutatorOptions {
  std::vector<MutationType> types;  // drawn uniformly; duplicates weight the choice
  double mutate_prob = 0.9;         // otherwise the child is an exact copy
  OpLists ops;                      // allowed ops per component; an empty list freezes that component
  AddressSpace space;
  // Size bounds for insert/remove. As in the original, insertion stops at max - 1 (spec §7); max = 0 means no
  // upper bound.
  ComponentSizes min_sizes, max_sizes;
};

class Mutator {
 public:
  explicit Mutator(MutatorOptions options);

  // With probability mutate_prob applies `num_mutations` mutations; otherwise returns an exact copy.
  Algorithm mutate(const Algorithm& parent, int num_mutations, SearchRng& rng) const;
  // Applies one mutation of the given type in place (for tests and tools).
  void apply(MutationType type, Algorithm& a, SearchRng& rng) const;

  const MutatorOptions& options() const { return options_; }

 private:
  Component random_component(SearchRng& rng) const;
  void alter_param(Instruction& in, SearchRng& rng) const;

  MutatorOptions options_;
  std::vector<Component> mutable_components_;  // those with allowed ops
};

}  // namespace amlz
