// SPDX-License-Identifier: Apache-2.0
// The readable text form of an algorithm (spec §3), both ways. Printing follows the original's forms
// (`def Setup():`, two-space indent, `s1 = dot(v1, v0)`); numbers are the shortest text that reads back to the
// same float, so print -> parse is exact. The parser also reads the original's printout after
// "Algorithm found:", ignores `#` comments, and reports bad text with its line number and the expected form.
#pragma once
#include <string>
#include <string_view>

#include "amlz/core/algorithm.h"

namespace amlz {

std::string to_text(const Algorithm& a);
std::string to_text(const Instruction& in);  // one line, no indent
std::string format_float(float f);           // shortest round-trip, %g style ("0.01", "4.75049e-05")

// Throws amlz::ParseError("<source>:<line>: ..."). `source` names the text in messages (usually a file path).
Algorithm parse_algorithm(std::string_view text, const std::string& source = "<text>");
Instruction parse_instruction(std::string_view line);  // throws ParseError without a line number

// Reads and parses a file; a missing or unreadable file is an amlz::Error naming it.
Algorithm read_algorithm_file(const std::string& path);

// The printed form of an op with placeholders O, A, B, x, y, z (for `amlz ops` and error hints).
std::string op_form(Op op);

}  // namespace amlz
