// SPDX-License-Identifier: Apache-2.0
// compile(Algorithm) -> Program: dead code removed, addresses compacted, random ops keyed by source position.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/core/program.h"

namespace amlz {

struct CompileOptions {
  // Drop instructions whose results can never reach the prediction s1 read after Predict (a liveness fixed point
  // over Setup -> (Predict -> Learn)* -> Predict*, because memory persists between steps).
  bool remove_dead_code = true;
  // Renumber the addresses still used to 0..n-1 (s0, s1, v0 and, with vector labels, v1, v2 keep their numbers),
  // so kernels allocate only
  // what a program touches.
  bool compact_addresses = true;
  // Where the executor puts the label and reads the prediction (bytecode.h): the tasks' label_kind(). The program
  // records it (kVectorLabels) and evaluators refuse to run it on tasks of the other kind.
  LabelKind labels = LabelKind::Scalar;
};

// Per component (Setup, Predict, Learn), one mark per instruction: 1 if its result can reach the prediction, 0 if
// it is dead. The liveness compile() removes dead code by; also what `amlz export` and `amlz show --simplify` keep.
using LiveMarks = std::array<std::vector<uint8_t>, kNumComponents>;
// With vector labels the prediction read after Predict is v2 and the executor overwrites v0 and v1 (not s0).
void mark_live(const Algorithm& a, LiveMarks& live, LabelKind labels = LabelKind::Scalar);

// The algorithm must fit the bytecode (addresses < 256, components shorter than kMaxComponentSize): check it
// with check_fits() first; compile() asserts it.
Program compile(const Algorithm& a, const CompileOptions& options = {});
// The same into `out`, reusing its code buffer and the liveness marks in `scratch`: no heap allocation once the
// buffers have grown to the algorithm's size (the search compiles every candidate).
void compile_into(const Algorithm& a, Program& out, LiveMarks& scratch, const CompileOptions& options = {});

}  // namespace amlz
