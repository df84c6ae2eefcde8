// SPDX-License-Identifier: Apache-2.0
// `amlz`: dispatches to the subcommands. Each command is its own CLI11 app, so each reads its own config file.
#include <cstring>
#include <iostream>
#include <string>

#include "amlz/buildinfo.h"
#include "amlz/eval/backend.h"
#include "cli/commands.h"

namespace {

void usage(std::ostream& os) {
  os << "amlz " AMLZ_VERSION_STRING
        " - AutoML-Zero: evolve machine-learning algorithms from basic maths\n\n"
        "usage: amlz <command> [options]     (amlz <command> --help for its options)\n\n"
        "commands:\n"
        "  search   evolve algorithms on a config's tasks (configs/*.toml)\n"
        "  eval     evaluate an algorithm file on a config's search/select/final tasks\n"
        "  show     validate and pretty-print an algorithm file (--simplify: dead code out, names by role)\n"
        "  export   write an algorithm as standalone C++ or NumPy code\n"
        "  plot     draw a run directory's progress.svg\n"
        "  ops      list the 65 instructions\n"
        "  bench    measure evaluator throughput on every available backend\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace amlz::cli;
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(std::cout);
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "amlz " AMLZ_VERSION_STRING " (" AMLZ_BUILD_TYPE ", " AMLZ_CXX_COMPILER
                 ", CUDA evaluator built: " AMLZ_BUILT_WITH_CUDA ")\n";
    const std::string why = amlz::cuda_unavailable_reason();
    std::cout << "CUDA backend: " << (why.empty() ? "available" : "unavailable (" + why + ")") << "\n";
    std::cout << "CPU backend: " << amlz::cpu_backend_summary() << "\n";
    std::cout << "islands across processes (MPI, mpirun): " AMLZ_BUILT_WITH_MPI "\n";
    return 0;
  }
  // The command's own argv: argv[0] becomes "amlz <command>" for its help and messages.
  const std::string name = "amlz " + cmd;
  argv[1] = const_cast<char*>(name.c_str());
  const char* const* sub = argv + 1;
  const int sub_argc = argc - 1;
  if (cmd == "search") return cmd_search(sub_argc, sub);
  if (cmd == "eval") return cmd_eval(sub_argc, sub);
  if (cmd == "show") return cmd_show(sub_argc, sub);
  if (cmd == "ops") return cmd_ops(sub_argc, sub);
  if (cmd == "bench") return cmd_bench(sub_argc, sub);
  if (cmd == "export") return cmd_export(sub_argc, sub);
  if (cmd == "plot") return cmd_plot(sub_argc, sub);
  std::cerr << "amlz: unknown command '" << cmd << "'\n\n";
  usage(std::cerr);
  return 2;
}
