// SPDX-License-Identifier: Apache-2.0
// Fuzz target: algorithm text through the parser. Text that parses must also print and parse back to the same
// algorithm, and, when it fits the largest address space, compile to bytecode the verifier accepts.
#include <cstdint>
#include <string_view>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amlz;
  Algorithm a;
  try {
    a = parse_algorithm(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.txt");
  } catch (const ParseError&) {
    return 0;
  }
  if (parse_algorithm(to_text(a), "printed") != a) __builtin_trap();
  try {
    check_fits(a, AddressSpace{kMaxAddresses, kMaxAddresses, kMaxAddresses});
  } catch (const Error&) {
    return 0;  // an index parameter outside [0,1): reported, never compiled
  }
  if (verify(compile(a)).has_value()) __builtin_trap();
  if (verify(compile(a, CompileOptions{false, false})).has_value()) __builtin_trap();
  return 0;
}
