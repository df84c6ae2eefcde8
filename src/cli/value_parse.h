// SPDX-License-Identifier: Apache-2.0
// Reading one config value from its text, the same way for a TOML file and a command-line flag: integers in decimal
// only (a leading zero is an error, never octal), in the field's range; reals finite or +-inf, never NaN; booleans
// true/false. A bad value is a ConfigError that starts with `where` (file:line and key, or the flag).
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace amlz::cli {

int64_t parse_integer(std::string_view text, int64_t lo, int64_t hi, const std::string& where);
double parse_real(std::string_view text, const std::string& where);
bool parse_bool(std::string_view text, const std::string& where);

// The value of a config field of type T (an integer, float, double, bool or std::string) from its text.
template <class T>
T parse_value(std::string_view text, const std::string& where) {
  if constexpr (std::is_same_v<T, bool>) {
    return parse_bool(text, where);
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(sizeof(T) <= sizeof(int64_t) && !(std::is_unsigned_v<T> && sizeof(T) == 8),
                  "64-bit unsigned config fields are not supported");
    return static_cast<T>(parse_integer(text, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), where));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(parse_real(text, where));
  } else {
    return T(text);
  }
}

// How help texts name the type.
template <class T>
const char* value_type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "BOOL";
  else if constexpr (std::is_integral_v<T>)
    return "INT";
  else if constexpr (std::is_floating_point_v<T>)
    return "REAL";
  else
    return "TEXT";
}

}  // namespace amlz::cli
