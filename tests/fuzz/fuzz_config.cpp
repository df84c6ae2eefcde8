// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a config file through the TOML reader and the config binder, as `amlz search --config` reads it,
// then validation. Bad input must end in amlz::Error or a CLI11 parse error; anything else (a crash, an internal
// error, an uncaught exception) is a bug.
#include <cstdint>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "amlz/error.h"
#include "cli/config_options.h"

namespace {

// One parser per use, built once: building CLI11's ~150 options per input made the target 30 inputs/s. Each input
// starts from a fresh Config and cleared option results, as a new process would.
struct Parser {
  explicit Parser(amlz::ConfigUse use) : options(app, config, use, 1, argv) {}
  const char* argv[1] = {"amlz search"};
  CLI::App app{"fuzz", "amlz search"};
  amlz::Config config;
  amlz::cli::ConfigOptions options;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amlz;
  static Parser parsers[] = {Parser(ConfigUse::Evaluate), Parser(ConfigUse::Search)};
  for (Parser& p : parsers) {
    p.config = Config{};
    p.app.clear();
    std::istringstream input(std::string(reinterpret_cast<const char*>(data), size));
    try {
      p.app.parse_from_stream(input);
      p.options.finish();
    } catch (const Error&) {
    } catch (const CLI::ParseError&) {}
  }
  return 0;
}
