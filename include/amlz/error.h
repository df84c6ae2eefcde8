// SPDX-License-Identifier: Apache-2.0
// Exceptions for things a user can get wrong (bad config, algorithm text, data files), the always-on check, and how
// messages quote what the user gave. A candidate algorithm that misbehaves (NaN, divergence) is never an exception:
// see EvalStatus.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace amlz {

// Invalid user input. The CLI prints what() and exits with code 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A bad config value. `key` ("evolution.population_size"), when known, lets the config loader point at the file
// and line the value came from.
class ConfigError : public Error {
 public:
  using Error::Error;
  ConfigError(std::string key, std::string detail)
      : Error(key + ": " + detail), key_(std::move(key)), detail_(std::move(detail)) {}
  const std::string& key() const { return key_; }        // "" when the message names no single key
  const std::string& detail() const { return detail_; }  // the message without the key

 private:
  std::string key_, detail_;
};
class ParseError : public Error {
 public:
  using Error::Error;
};

// Work abandoned because a stop was requested (a signal): not an error of anyone's, so not an amlz::Error. The code
// that asked for the stop catches it and wraps up.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// User text as a message may echo it: control characters and bytes that are not UTF-8 escaped (\n, \x07), cut
// to about `max_bytes` with the original length said, so binary input or a 20 KB name never floods a terminal.
std::string printable(std::string_view text, size_t max_bytes = 120);

// Numbers in messages: integers without a fraction ("2", not "2.000000"), others in the shortest form that reads
// back ("0.25", "1e+39").
std::string format_number(double x);

[[noreturn]] void throw_internal_error(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace amlz

// Internal invariant that must hold in every build; a failure is a bug in amlz, not bad input.
#define AMLZ_CHECK(cond, msg)                                                    \
  do {                                                                           \
    if (!(cond)) ::amlz::throw_internal_error(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
