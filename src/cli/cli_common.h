// SPDX-License-Identifier: Apache-2.0
// What every `amlz` command shares: error handling and exit codes, loading configs and choosing a backend.
#pragma once
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "amlz/config.h"
#include "amlz/eval/backend.h"

namespace amlz::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;         // a bug or an unexpected system failure
inline constexpr int kExitBadInput = 2;        // bad flags, config, algorithm text or data
inline constexpr int kExitClosedOutput = 141;  // stdout closed by its reader (128 + SIGPIPE, as a shell reports it)

// Parses argv into `app` and runs `body`. Parse errors, amlz::Error (bad input) and CLI11 errors print one clear
// message and return kExitBadInput; --help returns 0; anything else is an internal error (kExitFailure).
int run_app(CLI::App& app, int argc, const char* const* argv, const std::function<int()>& body);

// Writes text and a newline in one piece. Under mpirun every rank's stderr reaches the same stream, and a line
// written in several pieces (std::cerr writes each << at once) interleaves with another rank's lines.
void write_line(std::ostream& out, const std::string& text);
// `name: error: what tail` on stderr, in one piece.
void print_error(const std::string& name, const std::string& what, const std::string& tail = "");

// The evaluator for config.backend; says on stderr which backend `auto` chose.
std::unique_ptr<Evaluator> make_configured_evaluator(const Config& config, Precision precision = Precision::Float32,
                                                     bool announce = true);

// An integer option read the way config values are (decimal only, in [lo, hi], the bound in the message): CLI11's
// own conversion reads 010 as octal 8 and lets 2e9 programs through to an allocation.
CLI::Option* add_integer_option(CLI::App& app, const std::string& name, int& value, int lo, int hi,
                                const std::string& help);

// Human-readable duration / counts for progress lines.
std::string format_si(double x);  // 1.2e+07 -> "12.0M"

}  // namespace amlz::cli
