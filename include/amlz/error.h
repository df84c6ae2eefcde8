// SPDX-License-Identifier: Apache-2.0
// Exceptions for things a user can get wrong (bad config, algorithm text, data files), and the always-on check.
// A candidate algorithm that misbehaves (NaN, divergence) is never an exception: see EvalStatus.
#pragma once
#include <stdexcept>
#include <string>

namespace amlz {

// Invalid user input. The CLI prints what() and exits with code 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ConfigError : public Error {
 public:
  using Error::Error;
};
class ParseError : public Error {
 public:
  using Error::Error;
};

[[noreturn]] void throw_internal_error(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace amlz

// Internal invariant that must hold in every build; a failure is a bug in amlz, not bad input.
#define AMLZ_CHECK(cond, msg)                                                    \
  do {                                                                           \
    if (!(cond)) ::amlz::throw_internal_error(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
