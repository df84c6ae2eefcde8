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
    if (i_ != s_.size()) fail("unexpected text after the value: '" + s_.substr(i_) + "'");
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
        const char e = s_[i_++];
        out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        out.push_back(c);
      }
    }
    return out;
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
  std::string section, line;
  int line_no = 0;
  while (std::getline(input, line)) {
    const int start_line = ++line_no;
    std::string text = strip_comment(line);
    // An array value may continue over several lines.
    while (bracket_depth(text) > 0 && std::getline(input, line)) {
      ++line_no;
      text += " " + strip_comment(line);
    }
    text = trim(text);
    const std::string where = source_ + ":" + std::to_string(start_line);
    if (text.empty()) continue;
    if (text.front() == '[') {
      if (text.size() > 1 && text[1] == '[')
        throw ConfigError(where + ": arrays of tables ([[...]]) are not supported");
      if (text.back() != ']') throw ConfigError(where + ": a section header must look like [name]");
      section = trim(text.substr(1, text.size() - 2));
      if (!is_bare_key(section)) throw ConfigError(where + ": bad section name '" + section + "'");
      continue;
    }
    const size_t eq = text.find('=');
    if (eq == std::string::npos) throw ConfigError(where + ": expected 'key = value', found '" + text + "'");
    const std::string key = trim(text.substr(0, eq));
    if (!is_bare_key(key)) throw ConfigError(where + ": bad key '" + key + "'");
    const std::string name = section.empty() ? key : section + "." + key;
    const CLI::Option* opt = app_->get_option_no_throw("--" + name);
    if (opt == nullptr || !opt->get_configurable())
      throw ConfigError(where + ": unknown key '" + name + "'" + suggestion(app_, name));
    if (!seen.insert(name).second) throw ConfigError(where + ": key '" + name + "' is given twice");
    CLI::ConfigItem item;
    item.name = name;
    item.inputs = ValueParser(text.substr(eq + 1), where + ": " + name).parse();
    if (item.inputs.empty()) item.inputs.emplace_back(kEmptyListMarker);
    result.push_back(std::move(item));
  }
  return result;
}

std::string find_config_path(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
  }
  return "";
}

}  // namespace amlz::cli
