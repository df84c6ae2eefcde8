// SPDX-License-Identifier: Apache-2.0
// `amlz show FILE`: validate an algorithm file and print it in canonical form, with what the compiler keeps.
#include <iostream>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/simplify.h"
#include "amlz/error.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config_options.h"
#include "cli/toml_reader.h"

namespace amlz::cli {

int cmd_show(int argc, const char* const* argv) {
  CLI::App app{"Validate an algorithm file and pretty-print it.", "amlz show"};
  std::string file;
  bool bytecode = false;
  app.add_option("file", file, "algorithm text file (our format, or a log of the original ending in its algorithm)")
      ->required();
  app.add_flag("--bytecode", bytecode, "also print the compiled bytecode (dead code removed, addresses compacted)");
  bool simplified = false;
  app.add_flag(
      "--simplify", simplified,
      "print it cleaned for reading: dead code removed, variables named by role (x, y, pred, err, lr, w, ...)");
  Config config;
  ConfigOptions options(app, config, ConfigUse::Evaluate, argc, argv);
  return run_app(app, argc, argv, [&] {
    const bool with_config = app.get_config_ptr()->count() > 0;
    if (with_config) options.finish();
    const Algorithm a = read_algorithm_file(file);
    if (with_config) check_fits(a, config.memory);
    if (simplified && config.memory.labels == LabelKind::Vector)
      throw ConfigError(
          "--simplify names variables by the roles of scalar labels (s0, s1); it does not support "
          "projected_multiclass tasks (vector labels)");
    CompileOptions compile_options;
    compile_options.labels = config.memory.labels;  // scalar labels without --config
    const Program p = compile(a, compile_options);
    std::cout << (simplified ? to_text(simplify(a)) : to_text(a));
    std::cout << "# " << a.setup.size() << " setup, " << a.predict.size() << " predict, " << a.learn.size()
              << " learn instructions; " << (p.code.size()) << " live after dead-code removal\n";
    if (with_config)
      std::cout << "# fits the config's memory (" << config.memory.scalars << " scalars, " << config.memory.vectors
                << " vectors, " << config.memory.matrices << " matrices)\n";
    if (bytecode) std::cout << disassemble(p);
    return kExitOk;
  });
}

}  // namespace amlz::cli
