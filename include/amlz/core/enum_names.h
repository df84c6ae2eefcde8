// SPDX-License-Identifier: Apache-2.0
// Enum <-> name, from ONE table per enum: the spelling a config file uses, messages print and summaries write.
// An enum opts in by specialising EnumNames<E> with a `table` of {value, name} rows listing every enumerator.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace amlz {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

template <class E>
struct EnumNames;  // specialised next to each enum: static constexpr EnumName<E> table[] = {...};

template <class E>
const char* enum_name(E value) {
  for (const EnumName<E>& row : EnumNames<E>::table)
    if (row.value == value) return row.name;
  return "?";  // only for a value outside the enum's enumerators
}

template <class E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const EnumName<E>& row : EnumNames<E>::table)
    if (name == row.name) return row.value;
  return std::nullopt;
}

// "a, b, c": the allowed spellings, for messages and help texts.
template <class E>
std::string enum_choices() {
  std::string out;
  for (const EnumName<E>& row : EnumNames<E>::table) out += (out.empty() ? "" : ", ") + std::string(row.name);
  return out;
}

}  // namespace amlz
