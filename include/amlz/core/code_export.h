// SPDX-License-Identifier: Apache-2.0
// An algorithm as standalone source code a person can read and run: C++17 (one header) or Python with NumPy. Setup,
// Predict and Learn become functions over named arrays s (scalars), v (vectors), m (matrices) at the algorithm's own
// addresses; dead instructions are left out (compile()'s liveness); each statement carries the instruction text it
// came from as a comment. The code reproduces the reference interpreter's float32 arithmetic (edge rules, summation
// order, st.dev. in double, Philox random ops keyed as amlz keys them) and includes a driver that runs a task the
// way the executor of spec §4 does.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "amlz/core/algorithm.h"

namespace amlz {

enum class ExportFormat : uint8_t { Cpp, Numpy };
template <>
struct EnumNames<ExportFormat> {
  static constexpr EnumName<ExportFormat> table[] = {{ExportFormat::Cpp, "cpp"}, {ExportFormat::Numpy, "numpy"}};
};

struct ExportOptions {
  ExportFormat format = ExportFormat::Cpp;
  std::string source;                         // where the algorithm came from (a file name), for the header comment
  std::optional<AddressSpace> memory;         // array sizes (a config's [memory]); none: the addresses the code uses
  std::string cpp_namespace = "amlz_export";  // C++ only: the namespace everything is generated in
};

// The generated source text. Throws amlz::Error if `memory` is given and the algorithm does not fit it, or if the
// namespace is not a C++ identifier.
std::string export_algorithm(const Algorithm& a, const ExportOptions& options);

}  // namespace amlz
