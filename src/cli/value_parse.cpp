// SPDX-License-Identifier: Apache-2.0
#include "cli/value_parse.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "amlz/error.h"

namespace amlz::cli {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits with optional single underscores between them (TOML's 1_000_000); returns them without underscores, or
// "" when the text is not such a run.
std::string digit_run(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && is_digit(s[i - 1]) && is_digit(s[i + 1])) continue;
    if (!is_digit(s[i])) return "";
    out.push_back(s[i]);
  }
  return out;
}

[[noreturn]] void fail(const std::string& where, std::string_view text, const std::string& why) {
  throw ConfigError(where + ": '" + printable(text) + "' " + why);
}

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace

int64_t parse_integer(std::string_view text, int64_t lo, int64_t hi, const std::string& where) {
  std::string_view body = text;
  const bool negative = !body.empty() && body.front() == '-';
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) body.remove_prefix(1);
  const std::string digits = digit_run(body);
  if (digits.empty()) fail(where, text, "is not an integer (write it in decimal, e.g. 1000)");
  if (digits.size() > 1 && digits.front() == '0')
    fail(where, text,
         "has a leading zero; integers are decimal (TOML forbids leading zeros), e.g. " +
             digits.substr(digits.find_first_not_of('0') == std::string::npos ? digits.size() - 1
                                                                              : digits.find_first_not_of('0')));
  const std::string range = " (allowed: " + std::to_string(lo) + " to " + std::to_string(hi) + ")";
  if (digits.size() > 19) fail(where, text, "is out of range" + range);
  errno = 0;
  const long long magnitude = std::strtoll(digits.c_str(), nullptr, 10);
  if (errno == ERANGE) fail(where, text, "is out of range" + range);
  const long long v = negative ? -magnitude : magnitude;
  if (v < lo || v > hi) fail(where, text, "is out of range" + range);
  return v;
}

double parse_real(std::string_view text, const std::string& where) {
  const std::string l = lower(text);
  std::string_view body = l;
  const bool negative = !body.empty() && body.front() == '-';
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) body.remove_prefix(1);
  if (body == "inf" || body == "infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  if (body == "nan") fail(where, text, "is not a number; give a finite value (or inf where a limit may be infinite)");
  // Decimal only: digits with an optional fraction and exponent (no hex floats, no leading zeros).
  size_t i = 0;
  std::string clean(l.substr(0, l.size() - body.size()));
  auto take_digits = [&](bool required) {
    const size_t start = i;
    while (i < body.size() && (is_digit(body[i]) || (body[i] == '_' && i > start))) ++i;
    std::string run = digit_run(body.substr(start, i - start));
    if (required && run.empty()) fail(where, text, "is not a number");
    clean += run;
    return run;
  };
  const std::string int_part = take_digits(false);
  if (int_part.size() > 1 && int_part.front() == '0') fail(where, text, "has a leading zero");
  if (i < body.size() && body[i] == '.') {
    clean.push_back('.');
    ++i;
    take_digits(int_part.empty());
  } else if (int_part.empty()) {
    fail(where, text, "is not a number");
  }
  if (i < body.size() && body[i] == 'e') {
    clean.push_back('e');
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) clean.push_back(body[i++]);
    take_digits(true);
  }
  if (i != body.size()) fail(where, text, "is not a number");
  errno = 0;
  const double v = std::strtod(clean.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v)) fail(where, text, "is too large for a double");
  return v;
}

bool parse_bool(std::string_view text, const std::string& where) {
  const std::string l = lower(text);
  if (l == "true" || l == "1") return true;
  if (l == "false" || l == "0") return false;
  fail(where, text, "is not a boolean (true or false)");
}

}  // namespace amlz::cli
