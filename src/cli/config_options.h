// SPDX-License-Identifier: Apache-2.0
// Binds every Config key to a command-line option "--section.key", so a TOML file (read by TomlReader) and flags
// fill the same struct, flags winning. The same key list writes the effective config back as TOML.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "amlz/config.h"

namespace amlz::cli {

class TomlReader;

class ConfigOptions {
 public:
  // Adds --config (read by TomlReader) and every config key to `app`; values land in `config`. `argv` (the
  // command's arguments) tells which keys are given as flags, so messages can say where a value came from. Keys
  // `use` does not need (a search's, for `eval` and `show`) stay readable from a file but are hidden from --help,
  // and are an error as flags.
  ConfigOptions(CLI::App& app, Config& config, ConfigUse use, int argc, const char* const* argv);

  // After app.parse(): fills select/final task keys not given from search/select, then validates for the use. A bad
  // value's message starts with where it came from.
  void finish();

  // "file.toml:12: evolution.population_size" for a value read from the config file, "--seed" for a flag, the
  // bare key for a default.
  std::string where(const std::string& key) const;
  bool uses(const std::string& key) const;

 private:
  struct TaskKey {
    CLI::Option* option;
    void (*copy)(const TaskSpec& from, TaskSpec& to);
  };
  friend struct Binder;

  CLI::App& app_;
  Config& config_;
  ConfigUse use_;
  std::shared_ptr<TomlReader> reader_;
  std::set<std::string> flags_given_;
  std::map<std::string, std::vector<TaskKey>> task_keys_;  // per task section
};

// Loads a config the way the commands do, from arguments such as {"--config", "configs/x.toml", "--seed", "3"}
// (for tests and the search benchmark); throws ConfigError on a bad one.
Config load_config(const std::vector<std::string>& args, ConfigUse use);

// The effective configuration as a TOML file that --config reads back.
std::string to_toml(const Config& config);

}  // namespace amlz::cli
