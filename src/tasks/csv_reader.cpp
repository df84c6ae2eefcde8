// SPDX-License-Identifier: Apache-2.0
#include "amlz/tasks/csv_reader.h"

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "amlz/error.h"
#include "amlz/tasks/data_file.h"

namespace amlz {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

// The whole field as a number (strtod syntax, so "nan" and "inf" parse: the callers reject them with a reason).
bool parse_number(std::string_view s, double* out) {
  if (s.empty()) return false;
  const std::string copy(s);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

bool is_index(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

Split read_csv(const std::string& path, const std::string& label_column, int* dim) {
  const std::vector<uint8_t> bytes = read_data_file(path);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte-order mark (spreadsheet exports)

  Split s;
  std::vector<std::string> header;
  size_t columns = 0, label = 0;
  bool first = true;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t nl = text.find('\n', pos);
    const std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> fields = fields_of(line);
    const std::string where = path + ":" + std::to_string(line_no);
    if (first) {
      first = false;
      columns = fields.size();
      if (columns < 2) throw Error(where + ": " + std::to_string(columns) + " column; need features and a label");
      bool numeric = true;
      double v;
      for (std::string_view f : fields) numeric = numeric && parse_number(f, &v);
      if (!numeric)
        for (std::string_view f : fields) header.emplace_back(f);
      if (label_column.empty()) {
        label = columns - 1;
      } else if (is_index(label_column)) {
        label = std::stoul(label_column);
        if (label >= columns)
          throw Error(where + ": label_column " + label_column + " is out of range (the file has " +
                      std::to_string(columns) + " columns, numbered from 0)");
      } else {
        if (header.empty())
          throw Error(where + ": label_column \"" + printable(label_column) +
                      "\" names a column, but the file has no header line (give the column's 0-based index instead)");
        size_t k = 0;
        while (k < header.size() && header[k] != label_column) ++k;
        if (k == header.size()) {
          std::string names;
          for (const std::string& h : header) names += (names.empty() ? "" : ", ") + h;
          throw Error(where + ": no column named \"" + printable(label_column) + "\" in the header (" +
                      printable(names) + ")");
        }
        label = k;
      }
      if (!header.empty()) continue;
    }
    if (fields.size() != columns)
      throw Error(where + ": " + std::to_string(fields.size()) + " columns, but the first line has " +
                  std::to_string(columns));
    for (size_t c = 0; c < columns; ++c) {
      double v = 0;
      const std::string col =
          "column " + std::to_string(c) + (header.empty() ? "" : " (" + printable(header[c], 40) + ")");
      if (!parse_number(fields[c], &v))
        throw Error(where + ": " + col + ": '" + printable(fields[c]) + "' is not a number");
      if (!std::isfinite(v)) throw Error(where + ": " + col + ": " + printable(fields[c]) + " is not finite");
      if (c == label) {
        if (v < 0 || v != std::floor(v) || v >= (1 << 20))
          throw Error(where + ": label " + printable(fields[c]) + " is not a class id (0, 1, 2, ...)");
        s.y.push_back(static_cast<int>(v));
      } else {
        const float f = static_cast<float>(v);
        if (!std::isfinite(f)) throw Error(where + ": " + col + ": " + printable(fields[c]) + " overflows a float");
        s.x_f32.push_back(f);
      }
    }
    ++s.n;
  }
  if (s.n == 0) throw Error(path + ": no examples");
  *dim = static_cast<int>(columns - 1);
  return s;
}

Dataset load_csv_dataset(const std::string& dir, const std::string& label_column) {
  Dataset d;
  d.name = "csv (" + dir + ")";
  int dims[2] = {0, 0};
  const char* names[2] = {"train.csv", "test.csv"};
  Split* splits[2] = {&d.train, &d.test};
  std::string paths[2];
  for (int i = 0; i < 2; ++i) {
    paths[i] = find_plain_or_gz(dir + "/" + names[i]);
    if (paths[i].empty()) throw Error("csv: missing " + dir + "/" + names[i]);
    *splits[i] = read_csv(paths[i], label_column, &dims[i]);
  }
  if (dims[0] != dims[1])
    throw Error(paths[1] + ": " + std::to_string(dims[1]) + " features per example, but " + paths[0] + " has " +
                std::to_string(dims[0]));
  d.dim = dims[0];
  finish_dataset(d, d.name);
  return d;
}

}  // namespace amlz
