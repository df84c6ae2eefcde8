// SPDX-License-Identifier: Apache-2.0
// Reads config files for CLI11: the subset of TOML our configs use (sections, key = value, strings, numbers,
// booleans, arrays that may span lines, # comments). Keys become "section.key" and must name a known option:
// an unknown or repeated key, or malformed text, is a ConfigError with the file and line.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace amlz::cli {

// What an empty TOML array (`key = []`) is handed to CLI11 as: list options treat it as "given, empty".
inline constexpr const char* kEmptyListMarker = "(empty list)";

class TomlReader : public CLI::Config {
 public:
  // `app` is asked which keys exist; `source` names the file in messages.
  TomlReader(const CLI::App* app, std::string source) : app_(app), source_(std::move(source)) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return {}; }

 private:
  const CLI::App* app_;
  std::string source_;
};

// The value of --config in argv (either "--config F" or "--config=F"), or "".
std::string find_config_path(int argc, const char* const* argv);

}  // namespace amlz::cli
