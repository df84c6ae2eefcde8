// SPDX-License-Identifier: Apache-2.0
// Name lookups over the op table.
#include "amlz/core/ops.h"

#include <cctype>
#include <string>

namespace amlz {

const char* op_name(Op op) { return op_info(op).enum_name; }

char kind_letter(Kind k) {
  switch (k) {
    case Kind::Scalar: return 's';
    case Kind::Vector: return 'v';
    case Kind::Matrix: return 'm';
    case Kind::None: break;
  }
  return '?';
}

std::optional<Op> op_from_name(std::string_view name) {
  std::string upper;
  for (char c : name) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  for (const OpInfo& info : kOpTable) {
    const std::string_view full = info.enum_name;
    if (upper == full) return info.op;
    if (full.size() > 3 && upper == full.substr(0, full.size() - 3)) return info.op;  // without "_OP"
  }
  return std::nullopt;
}

}  // namespace amlz
