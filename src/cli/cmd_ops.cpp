// SPDX-License-Identifier: Apache-2.0
// `amlz ops`: the op table, as configs name the ops and as algorithms print them.
#include <cstdio>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/ops.h"
#include "cli/cli_common.h"
#include "cli/commands.h"

namespace amlz::cli {

int cmd_ops(int argc, const char* const* argv) {
  CLI::App app{"List the 65 instructions: code, config name, printed form and operand kinds.", "amlz ops"};
  return run_app(app, argc, argv, [] {
    std::printf("%-4s %-28s %-48s %s\n", "code", "name", "printed form", "in1 in2 -> out");
    for (const OpInfo& info : kOpTable) {
      auto k = [](Kind kind) { return kind == Kind::None ? '-' : kind_letter(kind); };
      std::printf("%-4d %-28s %-48s %c   %c   -> %c\n", static_cast<int>(info.op), info.enum_name,
                  op_form(info.op).c_str(), k(info.in1), k(info.in2), k(info.out));
    }
    return kExitOk;
  });
}

}  // namespace amlz::cli
