// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_common.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "amlz/error.h"
#include "cli/output.h"
#include "cli/value_parse.h"

namespace amlz::cli {

int run_app(CLI::App& app, int argc, const char* const* argv, const std::function<int()>& body) {
  const std::string name = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(name, e.what(), "\nRun '" + name + " --help' for the options.");
    return kExitBadInput;
  } catch (const Error& e) {
    print_error(name, e.what());
    return kExitBadInput;
  }
  try {
    const int code = body();
    // A result nobody could read is not a success: > /dev/full used to exit 0.
    if (const int error = flush_stdout(); error != 0) {
      if (error == EPIPE) return code != kExitOk ? code : kExitClosedOutput;  // the reader left, as `| head` does
      print_error(name, std::string("cannot write standard output: ") + std::strerror(error));
      return kExitFailure;
    }
    return code;
  } catch (const Error& e) {
    print_error(name, e.what());
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    // Configs are sized before anything is allocated (estimate_memory); this is what is left: the machine ran
    // out while running.
    print_error(name, "out of memory (the machine refused an allocation); use a smaller config or free memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    write_line(std::cerr, name + ": internal error: " + e.what());
    return kExitFailure;
  }
}

void write_line(std::ostream& out, const std::string& text) {
  const std::string line = text + "\n";
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  out.flush();
}

void print_error(const std::string& name, const std::string& what, const std::string& tail) {
  write_line(std::cerr, name + ": error: " + what + tail);
}

std::unique_ptr<Evaluator> make_configured_evaluator(const Config& config, Precision precision, bool announce) {
  const Backend b = resolve_backend(config.backend);
  EvaluatorOptions o;
  o.cpu_threads = config.threads;
  o.cpu_precision = precision;
  o.cpu_interpreter = cpu_interpreter_for(config.backend);
  o.cuda_device = -1;  // device 0, or one GPU per rank under mpirun
  auto ev = make_evaluator(b, o);
  if (announce) {
    std::string line = "backend: " + ev->describe();
    if (config.backend == "auto")
      line += b == Backend::Cuda ? " (auto: a CUDA device is present)" : " (auto: " + cuda_unavailable_reason() + ")";
    write_line(std::cerr, line);
  }
  return ev;
}

CLI::Option* add_integer_option(CLI::App& app, const std::string& name, int& value, int lo, int hi,
                                const std::string& help) {
  return app
      .add_option_function<std::string>(
          name,
          [&value, name, lo, hi](const std::string& s) { value = static_cast<int>(parse_integer(s, lo, hi, name)); },
          help)
      ->type_name("INT")
      ->default_str(std::to_string(value));
}

std::string format_si(double x) {
  const char* suffix[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (x >= 1000.0 && i < 5) {
    x /= 1000.0;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f%s" : "%.2f%s", x, suffix[i]);
  return buf;
}

}  // namespace amlz::cli
