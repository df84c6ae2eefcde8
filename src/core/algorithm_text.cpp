// SPDX-License-Identifier: Apache-2.0
// Printer and parser, both driven by the print templates of the op table.
#include "amlz/core/algorithm_text.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "amlz/error.h"

namespace amlz {

std::string format_float(float f) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::general);
  return std::string(buf, res.ptr);
}

namespace {

std::string render(const char* tmpl, const Instruction& in, bool placeholders) {
  std::string out;
  for (const char* p = tmpl; *p; ++p) {
    if (*p != '%') {
      out.push_back(*p);
      continue;
    }
    const char c = *++p;
    switch (c) {
      case 'o': out += placeholders ? "O" : std::to_string(in.out); break;
      case 'a': out += placeholders ? "A" : std::to_string(in.in1); break;
      case 'b': out += placeholders ? "B" : std::to_string(in.in2); break;
      default: {
        const int k = c - '0';
        out += placeholders ? std::string(1, "xyz"[k]) : format_float(in.data[static_cast<size_t>(k)]);
      }
    }
  }
  return out;
}

std::string strip_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t') out.push_back(c);
  return out;
}

// Matches a whitespace-free line against a whitespace-free template; fills `in` on success. A number that fits the
// form but not its type (s999, 1e39) still matches, and `range_problem` says what is wrong with it.
bool match(const std::string& tmpl, const std::string& line, Instruction& in, std::string& range_problem) {
  size_t t = 0, l = 0;
  while (t < tmpl.size()) {
    if (tmpl[t] != '%') {
      if (l >= line.size() || line[l] != tmpl[t]) return false;
      ++t;
      ++l;
      continue;
    }
    const char c = tmpl[t + 1];
    t += 2;
    if (c == 'o' || c == 'a' || c == 'b') {
      unsigned long value = 0;
      const auto res = std::from_chars(line.data() + l, line.data() + line.size(), value);
      if (res.ec == std::errc::invalid_argument) return false;
      if ((res.ec == std::errc::result_out_of_range || value > 255) && range_problem.empty())
        range_problem = "address " + std::string(1, tmpl[t - 3]) + std::string(line.data() + l, res.ptr) +
                        " is out of range: addresses are 0..255";
      l = static_cast<size_t>(res.ptr - line.data());
      (c == 'o' ? in.out : c == 'a' ? in.in1 : in.in2) = static_cast<uint8_t>(value);
    } else {
      float value = 0;
      const auto res = std::from_chars(line.data() + l, line.data() + line.size(), value);
      if (res.ec == std::errc::invalid_argument) return false;
      if (res.ec == std::errc::result_out_of_range && range_problem.empty())
        range_problem = std::string(line.data() + l, res.ptr) + " is out of the float range (about +-3.4e38)";
      l = static_cast<size_t>(res.ptr - line.data());
      in.data[static_cast<size_t>(c - '0')] = value;
    }
  }
  return l == line.size();
}

const std::array<std::string, kNumOps>& compact_templates() {
  static const std::array<std::string, kNumOps> templates = [] {
    std::array<std::string, kNumOps> t;
    for (int i = 0; i < kNumOps; ++i) t[static_cast<size_t>(i)] = strip_spaces(kOpTable[i].print_template);
    return t;
  }();
  return templates;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A hint naming the forms that share the line's function name ("dot(" -> both dot forms).
std::string hint_for(const std::string& compact_line) {
  const size_t eq = compact_line.find('=');
  const size_t paren = compact_line.find('(', eq == std::string::npos ? 0 : eq);
  std::vector<std::string> forms;
  if (paren != std::string::npos) {
    size_t start = paren;
    while (start > 0 && std::isalpha(static_cast<unsigned char>(compact_line[start - 1]))) --start;
    const std::string fn = compact_line.substr(start, paren - start + 1);
    for (int i = 0; i < kNumOps && !fn.empty(); ++i)
      if (compact_templates()[static_cast<size_t>(i)].find(fn) != std::string::npos)
        forms.push_back(op_form(static_cast<Op>(i)));
  }
  std::string hint;
  if (!forms.empty()) {
    hint = "; forms with that function: ";
    for (size_t i = 0; i < forms.size(); ++i) hint += (i ? ", '" : "'") + forms[i] + "'";
  } else {
    hint =
        "; expected an instruction such as 's3 = s0 - s1', 'v2 = s3 * v0', 's1 = dot(v1, v0)' or 'NoOp()' "
        "(`amlz ops` lists every form)";
  }
  return hint;
}

}  // namespace

std::string op_form(Op op) { return render(op_info(op).print_template, Instruction{}, true); }

std::string to_text(const Instruction& in) { return render(op_info(in.op).print_template, in, false); }

std::string to_text(const Algorithm& a) {
  std::ostringstream os;
  for (Component c : kAllComponents) {
    os << "def " << enum_name(c) << "():\n";
    for (const Instruction& in : a.component(c)) os << "  " << to_text(in) << "\n";
  }
  return os.str();
}

Instruction parse_instruction(std::string_view line) {
  const std::string compact = strip_spaces(line);
  for (int i = 0; i < kNumOps; ++i) {
    Instruction in;
    in.op = static_cast<Op>(i);
    std::string range_problem;
    if (!match(compact_templates()[static_cast<size_t>(i)], compact, in, range_problem)) continue;
    if (!range_problem.empty()) throw ParseError("'" + printable(trim(line)) + "': " + printable(range_problem));
    return in;
  }
  throw ParseError("cannot read '" + printable(trim(line)) + "' as an instruction" + hint_for(compact));
}

Algorithm parse_algorithm(std::string_view text, const std::string& source_name) {
  const std::string source = printable(source_name);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte-order mark
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  // A log of the original program: the algorithm follows its "Algorithm found:" line.
  size_t first = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find("Algorithm found:") != std::string_view::npos) first = i + 1;

  auto fail = [&](size_t line_index, const std::string& what) -> ParseError {
    return ParseError(source + ":" + std::to_string(line_index + 1) + ": " + what);
  };

  Algorithm a;
  int next_component = 0;  // index into kAllComponents of the header we expect next
  std::vector<Instruction>* current = nullptr;
  for (size_t i = first; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    if (line.substr(0, 4) == "def ") {
      if (next_component == kNumComponents)
        throw fail(i, "unexpected '" + printable(line) + "': Setup, Predict and Learn are already defined");
      const Component want = kAllComponents[next_component];
      const std::string expected = std::string("def ") + enum_name(want) + "():";
      if (strip_spaces(line) != strip_spaces(expected))
        throw fail(i, "expected '" + expected + "', found '" + printable(line) +
                          "' (components come in the order Setup, Predict, Learn)");
      current = &a.component(want);
      ++next_component;
      continue;
    }
    if (current == nullptr)
      throw fail(i, "expected 'def Setup():' before the first instruction, found '" + printable(line) + "'");
    if (current->size() + 1 >= kMaxComponentSize)
      throw fail(i, std::string(enum_name(kAllComponents[next_component - 1])) + " has more than " +
                        std::to_string(kMaxComponentSize - 1) + " instructions, the most a component may have");
    try {
      current->push_back(parse_instruction(line));
    } catch (const ParseError& e) {
      throw fail(i, e.what());
    }
  }
  if (next_component < kNumComponents)
    throw ParseError(source + ": missing 'def " + enum_name(kAllComponents[next_component]) +
                     "():' (an algorithm has Setup, Predict and Learn, in that order)");
  return a;
}

Algorithm read_algorithm_file(const std::string& path) {
  // Algorithms are a few KB; a bigger file is a mistake (a dataset, a log), not something to load into memory.
  constexpr std::uintmax_t kMaxBytes = 64u << 20;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("'" + printable(path) + "' is a directory, not an algorithm file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open algorithm file '" + printable(path) + "': " + std::strerror(errno));
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxBytes)
    throw Error("'" + printable(path) + "' holds " + std::to_string(size) + " bytes; an algorithm file is at most " +
                std::to_string(kMaxBytes) + " (is it the right file?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("cannot read algorithm file '" + printable(path) + "': " + std::strerror(errno));
  return parse_algorithm(ss.str(), path);
}

}  // namespace amlz
