// SPDX-License-Identifier: Apache-2.0
// Random instructions and algorithms (spec §2-3, §8.1): ops drawn from a component's allowed list, addresses
// from the legal ranges (outputs never the label or the features), parameters from each op's initial distribution.
#pragma once
#include <array>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/core/search_rng.h"

namespace amlz {

// Allowed ops per component (Setup, Predict, Learn). An empty list means the component is never randomised.
using OpLists = std::array<std::vector<Op>, kNumComponents>;

// Draws the address of one operand slot of kind k: outputs from [lowest_output_address, count) (scalar labels:
// [1,S) / [1,V) / [0,M); vector labels: [0,S) / [2,V) / [0,M)), inputs from [0, count).
int lowest_output_address(Kind k, LabelKind labels);
uint8_t random_input_address(Kind k, const AddressSpace& space, SearchRng& rng);
uint8_t random_output_address(Kind k, const AddressSpace& space, SearchRng& rng);
// Fills the float parameters of `in` from the initial distribution of its DataKind.
void randomize_data(Instruction& in, SearchRng& rng);

// A fresh instruction of the given op with every field randomised (inputs, then output, then data).
Instruction random_instruction(Op op, const AddressSpace& space, SearchRng& rng);
// A fresh instruction with its op drawn uniformly from `ops` (which must be non-empty).
Instruction random_instruction(const std::vector<Op>& ops, const AddressSpace& space, SearchRng& rng);

// Re-randomises every instruction of a component (size kept); a component with no allowed ops is left alone.
void randomize_component(std::vector<Instruction>& component, const std::vector<Op>& ops, const AddressSpace& space,
                         SearchRng& rng);

// Whether every op can place its output: one address at or above lowest_output_address (scalar labels: S >= 2,
// V >= 2, M >= 1; vector labels: S >= 1, V >= 3, M >= 1).
bool op_fits(Op op, const AddressSpace& space);

}  // namespace amlz
