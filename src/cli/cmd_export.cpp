// SPDX-License-Identifier: Apache-2.0
// `amlz export`: an algorithm file as standalone C++ or NumPy source (core/code_export.h).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/code_export.h"
#include "amlz/error.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config_options.h"

namespace amlz::cli {

int cmd_export(int argc, const char* const* argv) {
  CLI::App app{"Write an algorithm as standalone, readable C++ or NumPy code that reproduces `amlz eval`.",
               "amlz export"};
  std::string file, format = "cpp", out, name_space = "amlz_export";
  // --out is also a config key (a search's run directory), so CLI11 cannot take it twice: it is read here.
  std::vector<const char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a.rfind("--out=", 0) == 0) {
      out = a.substr(6);
    } else if (a == "--out") {
      std::cerr << "amlz export: --out needs a file name\n";
      return kExitBadInput;
    } else {
      args.push_back(argv[i]);
    }
  }
  app.add_option("--algorithm", file, "algorithm text file")->required();
  app.add_option("--format", format, "cpp (one C++17 header) or numpy (a Python module)")
      ->check(CLI::IsMember({"cpp", "numpy"}));
  app.add_option("--namespace", name_space, "C++ namespace of the generated code");
  app.footer(
      "  --out FILE                  the file to write (default: standard output)\n"
      "With --config, the arrays are sized by the config's [memory] and the algorithm must fit it.");
  Config config;
  const int n = static_cast<int>(args.size());
  ConfigOptions options(app, config, ConfigUse::Evaluate, n, args.data());
  return run_app(app, n, args.data(), [&] {
    ExportOptions o;
    if (app.get_config_ptr()->count() > 0) {
      options.finish();
      if (config.memory.labels == LabelKind::Vector)
        throw ConfigError(
            "amlz export writes the executor of scalar labels (s0, s1); projected_multiclass tasks "
            "(vector labels) are not supported by export");
      o.memory = config.memory;  // arrays sized as amlz sizes them; the algorithm must fit
    }
    o.format = *enum_from_name<ExportFormat>(format);
    o.source = file;
    o.cpp_namespace = name_space;
    const std::string code = export_algorithm(read_algorithm_file(file), o);
    if (out.empty()) {
      std::cout << code << std::flush;
      return kExitOk;
    }
    std::ofstream os(out, std::ios::binary | std::ios::trunc);
    os << code;
    os.flush();
    if (!os) throw Error("cannot write '" + printable(out) + "': " + std::strerror(errno));
    return kExitOk;
  });
}

}  // namespace amlz::cli
