// SPDX-License-Identifier: Apache-2.0
// Reads config files for CLI11: the subset of TOML our configs use (sections, key = value, strings, numbers,
// booleans, arrays that may span lines, # comments; a UTF-8 byte-order mark is skipped). Keys become "section.key"
// and must name a known option: an unknown or repeated key, or malformed text, is a ConfigError with the file and
// line. Values are handed to CLI11 as text; the binder (config_options.cpp) converts them and asks line_of() where
// each came from.
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

  const std::string& source() const { return source_; }
  // The line a key ("section.key") was read from, or 0.
  int line_of(const std::string& key) const;

 private:
  const CLI::App* app_;
  std::string source_;
  mutable std::map<std::string, int> lines_;  // filled by from_config, which CLI11 calls through a const reference
};

}  // namespace amlz::cli
