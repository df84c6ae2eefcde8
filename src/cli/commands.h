// SPDX-License-Identifier: Apache-2.0
// The `amlz` subcommands. Each parses its own argv (argv[0] is "amlz <command>") and returns the exit code.
#pragma once

namespace amlz::cli {

int cmd_ops(int argc, const char* const* argv);
int cmd_show(int argc, const char* const* argv);
int cmd_eval(int argc, const char* const* argv);
int cmd_search(int argc, const char* const* argv);
int cmd_bench(int argc, const char* const* argv);
int cmd_export(int argc, const char* const* argv);
int cmd_plot(int argc, const char* const* argv);

}  // namespace amlz::cli
