// SPDX-License-Identifier: Apache-2.0
// `amlz plot RUN_DIR`: (re)draws a run directory's progress.svg from its files — the same figure a running search
// keeps up to date — for a finished run, a run still going, or one from an older amlz.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "amlz/error.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress_plot.h"

namespace amlz::cli {

int cmd_plot(int argc, const char* const* argv) {
  CLI::App app{"Draw a run directory's progress (fitness against individuals and time) as progress.svg.", "amlz plot"};
  std::string dir, out;
  app.add_option("run_dir", dir, "run directory written by `amlz search`")->required();
  app.add_option("--out", out, "SVG file to write (default: RUN_DIR/progress.svg; - for standard output)");
  return run_app(app, argc, argv, [&] {
    const RunData data = read_run_data(dir);
    if (!data.warnings.empty()) std::cerr << "amlz plot: " << data.warnings;
    const std::string svg = render_progress_svg(data);
    if (out == "-") {
      std::cout << svg << std::flush;
      return kExitOk;
    }
    const std::string path = out.empty() ? (std::filesystem::path(dir) / "progress.svg").string() : out;
    const std::string tmp = path + ".tmp";
    {
      std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
      os << svg;
      os.flush();
      if (!os) throw Error("cannot write '" + printable(tmp) + "': " + std::strerror(errno));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Error("cannot replace '" + printable(path) + "': " + ec.message());
    std::cerr << "wrote " << printable(path) << " (" << data.progress.size() << " progress rows, "
              << data.best_changes.size() << " improvements of the best)\n";
    return kExitOk;
  });
}

}  // namespace amlz::cli
