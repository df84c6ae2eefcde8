// SPDX-License-Identifier: Apache-2.0
// Binds every Config key to a command-line option "--section.key", so a TOML file (read by TomlReader) and flags
// fill the same struct, flags winning. The same key list writes the effective config back as TOML.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "amlz/config.h"

namespace amlz::cli {

class ConfigOptions {
 public:
  // Adds --config (read by TomlReader; `config_path` is its value, found in argv beforehand so that messages can
  // name the file) and every key to `app`; values land in `config`.
  ConfigOptions(CLI::App& app, Config& config, const std::string& config_path);

  // After app.parse(): fills select/final task keys not given from search/select, then validates for `use`.
  void finish(ConfigUse use);

 private:
  struct TaskKey {
    CLI::Option* option;
    void (*copy)(const TaskSpec& from, TaskSpec& to);
  };
  friend struct Binder;

  CLI::App& app_;
  Config& config_;
  std::map<std::string, std::vector<TaskKey>> task_keys_;  // per task section
};

// The effective configuration as a TOML file that --config reads back.
std::string to_toml(const Config& config);

}  // namespace amlz::cli
