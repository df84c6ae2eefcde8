// SPDX-License-Identifier: Apache-2.0
#include "cli/toml_reader.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "amlz/error.h"

namespace amlz::cli {
namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool is_bare_key(const std::string& k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// Removes a # comment that is not inside a string.
std::string strip_comment(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

// Net count of '[' minus ']' outside strings: an array value continues on the next line while positive.
int bracket_depth(const std::string& s) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    }
  }
  return depth;
}

class ValueParser {
 public:
  ValueParser(const std::string& text, std::string where) : s_(text), where_(std::move(where)) {}

  std::vector<std::string> parse() {
    skip_space();
    std::vector<std::string> out;
    if (peek() == '[') {
      ++i_;
      skip_space();
      while (peek() != ']') {
        if (peek() == '[') fail("nested arrays are not supported");
        out.push_back(scalar());
        skip_space();
        if (peek() == ',') {
          ++i_;
          skip_space();
        } else if (peek() != ']') {
          fail("expected ',' or ']' in the array");
        }
      }
      ++i_;
    } else {
      out.push_back(scalar());
    }
    skip_space();
    if (i_ != s_.size()) fail("unexpected text after the value: '" + printable(s_.substr(i_)) + "'");
    return out;
  }

 private:
  char peek() const {
    if (i_ >= s_.size()) fail("the value ends too early");
    return s_[i_];
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  [[noreturn]] void fail(const std::string& what) const { throw ConfigError(where_ + ": " + what); }

  std::string scalar() {
    const char c = peek();
    if (c == '"' || c == '\'') return quoted(c);
    const size_t b = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ']' && !std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == b) fail("missing value");
    std::string v = s_.substr(b, i_ - b);
    v.erase(std::remove(v.begin(), v.end(), '_'), v.end());  // TOML digit separators: 1_000_000
    return v;
  }

  std::string quoted(char q) {
    ++i_;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == q) break;
      if (c == '\\' && q == '"') {
        if (i_ >= s_.size()) fail("unterminated string");
        escape(out);
      } else {
        out.push_back(c);
      }
    }
    return out;
  }

  // One escape of a TOML basic string, the backslash already read (what the config writer produces reads back).
  void escape(std::string& out) {
    const char e = s_[i_++];
    switch (e) {
      case 'n': out.push_back('\n'); return;
      case 't': out.push_back('\t'); return;
      case 'r': out.push_back('\r'); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case '"':
      case '\\': out.push_back(e); return;
      case 'u':
      case 'U': {
        const size_t n = e == 'u' ? 4 : 8;
        if (i_ + n > s_.size()) fail("truncated \\" + std::string(1, e) + " escape");
        uint32_t cp = 0;
        for (size_t k = 0; k < n; ++k) {
          const char h = s_[i_++];
          if (!std::isxdigit(static_cast<unsigned char>(h)))
            fail("bad hex digit in a \\" + std::string(1, e) + " escape");
          cp = cp * 16 + static_cast<uint32_t>(
                             std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : std::tolower(h) - 'a' + 10);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) fail("\\u escape is not a Unicode scalar value");
        append_utf8(out, cp);
        return;
      }
      default: fail(std::string("unknown escape \\") + printable(std::string(1, e)) + " in a string");
    }
  }
  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  const std::string& s_;
  std::string where_;
  size_t i_ = 0;
};

// Known option names closest to `name`, for "did you mean" hints.
std::string suggestion(const CLI::App* app, const std::string& name) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  };
  std::string best;
  size_t best_d = 4;
  for (const CLI::Option* opt : app->get_options()) {
    const std::string n = opt->get_single_name();
    if (opt->get_configurable() && !n.empty()) {
      const size_t d = distance(n, name);
      if (d < best_d) {
        best_d = d;
        best = n;
      }
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace

std::vector<CLI::ConfigItem> TomlReader::from_config(std::istream& input) const {
  std::vector<CLI::ConfigItem> result;
  std::set<std::string> seen;
  lines_.clear();
  std::string section, line;
  int line_no = 0;
  while (std::getline(input, line)) {
    const int start_line = ++line_no;
    if (start_line == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte-order mark
    std::string text = strip_comment(line);
    // An array value may continue over several lines. Strings never span lines, so the depth adds up line by line
    // (re-scanning the whole value each time made long arrays quadratic).
    for (int depth = bracket_depth(text); depth > 0 && std::getline(input, line);) {
      ++line_no;
      const std::string more = strip_comment(line);
      depth += bracket_depth(more);
      text += ' ';
      text += more;
    }
    text = trim(text);
    const std::string where = printable(source_) + ":" + std::to_string(start_line);
    if (text.empty()) continue;
    if (text.front() == '[') {
      if (text.size() > 1 && text[1] == '[')
        throw ConfigError(where + ": arrays of tables ([[...]]) are not supported");
      if (text.back() != ']') throw ConfigError(where + ": a section header must look like [name]");
      section = trim(text.substr(1, text.size() - 2));
      if (!is_bare_key(section)) throw ConfigError(where + ": bad section name '" + printable(section) + "'");
      continue;
    }
    const size_t eq = text.find('=');
    if (eq == std::string::npos) throw ConfigError(where + ": expected 'key = value', found '" + printable(text) + "'");
    const std::string key = trim(text.substr(0, eq));
    if (!is_bare_key(key)) throw ConfigError(where + ": bad key '" + printable(key) + "'");
    const std::string name = section.empty() ? key : section + "." + key;
    const CLI::Option* opt = app_->get_option_no_throw("--" + name);
    if (opt == nullptr || !opt->get_configurable())
      throw ConfigError(where + ": unknown key '" + printable(name) + "'" + suggestion(app_, name));
    if (!seen.insert(name).second) throw ConfigError(where + ": key '" + name + "' is given twice");
    lines_[name] = start_line;
    CLI::ConfigItem item;
    item.name = name;
    item.inputs = ValueParser(text.substr(eq + 1), where + ": " + name).parse();
    if (item.inputs.empty()) item.inputs.emplace_back(kEmptyListMarker);
    result.push_back(std::move(item));
  }
  return result;
}

int TomlReader::line_of(const std::string& key) const {
  const auto it = lines_.find(key);
  return it == lines_.end() ? 0 : it->second;
}

}  // namespace amlz::cli
