// SPDX-License-Identifier: Apache-2.0
#include "amlz/error.h"

namespace amlz {

void throw_internal_error(const char* expr, const char* file, int line, const std::string& msg) {
  throw std::logic_error(std::string("amlz internal error: ") + msg + " (" + expr + " failed at " + file + ":" +
                         std::to_string(line) + ")");
}

}  // namespace amlz
