// SPDX-License-Identifier: Apache-2.0
// The .npy header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (100, 784), }
// padded with spaces and ended by a newline; it is parsed as such, not searched for substrings.
#include "amlz/tasks/npy_reader.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "amlz/error.h"
#include "amlz/tasks/data_file.h"

namespace amlz {
namespace {

// A header longer than this is not a .npy header (numpy's own are under 200 bytes; the format allows 4 GiB).
constexpr uint32_t kMaxHeader = 1u << 20;

// A cursor over the header text; each method throws, naming the file, on text that is not the dict numpy writes.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  NpyArray parse() {
    NpyArray a;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!accept('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == '[')
          fail("descr is a list: structured arrays are not supported (save a plain numeric array)");
        a.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        a.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        a.shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + printable(key) + "' in the header");
      }
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != s_.size()) fail("text after the header dictionary");
    if (!have_descr || !have_order || !have_shape) fail("the header lacks descr, fortran_order or shape");
    return a;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ": malformed .npy header: " + what + " (header: " + printable(s_) + ")");
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a quoted string");
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    for (const char* word : {"True", "False"}) {
      const size_t n = std::strlen(word);
      if (s_.compare(pos_, n, word) == 0) {
        pos_ += n;
        return word[0] == 'T';
      }
    }
    fail("fortran_order must be True or False");
  }
  std::vector<uint64_t> tuple() {
    std::vector<uint64_t> out;
    expect('(');
    while (!accept(')')) {
      skip_space();
      uint64_t v = 0;
      const size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (v > (std::numeric_limits<uint64_t>::max() - 9) / 10) fail("a dimension is too large");
        v = v * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
      }
      if (pos_ == start) fail("shape must be a tuple of non-negative integers");
      out.push_back(v);
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return out;
  }

  const std::string& path_;
  const std::string& s_;
  size_t pos_ = 0;
};

// Element size of a supported descr, 0 if unsupported.
size_t item_size(const std::string& descr) {
  if (descr == "|u1" || descr == "<u1") return 1;
  if (descr == "<f4" || descr == "<i4") return 4;
  if (descr == "<f8" || descr == "<i8") return 8;
  return 0;
}

// Element i (in file order) as a double.
double element(const NpyArray& a, size_t i) {
  const uint8_t* p = a.data.data() + i * item_size(a.descr);
  const char kind = a.descr[1];
  const size_t size = item_size(a.descr);
  if (size == 1) return *p;
  if (kind == 'f' && size == 4) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  if (kind == 'f') {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  if (size == 4) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  int64_t v;
  std::memcpy(&v, p, 8);
  return static_cast<double>(v);
}

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

const std::vector<std::string>& npy_file_names() {
  static const std::vector<std::string> names = {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"};
  return names;
}

NpyArray read_npy(const std::string& path) {
  DataFile f(path);
  uint8_t pre[10];
  const size_t got = f.read(pre, 8);
  if (got < 8 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
    throw Error(path + ": not a .npy file (it does not start with \\x93NUMPY)");
  const int major = pre[6];
  uint32_t header_len = 0;
  if (major == 1) {
    if (f.read(pre + 8, 2) < 2) throw Error(path + ": truncated inside the .npy preamble");
    header_len = uint32_t{pre[8]} | uint32_t{pre[9]} << 8;
  } else if (major == 2 || major == 3) {
    uint8_t b[4];
    if (f.read(b, 4) < 4) throw Error(path + ": truncated inside the .npy preamble");
    header_len = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
  } else {
    throw Error(path + ": .npy format version " + std::to_string(major) + " is not supported (1, 2 or 3)");
  }
  if (header_len > kMaxHeader)
    throw Error(path + ": the .npy header claims " + std::to_string(header_len) + " bytes: not a .npy file");
  const std::vector<uint8_t> raw = f.read_exactly(header_len, "the .npy header");
  const std::string header(raw.begin(), raw.end());
  NpyArray a = HeaderParser(path, header).parse();

  if (a.descr.size() == 3 && a.descr[0] == '>' && item_size("<" + a.descr.substr(1)) > 0)
    throw Error(path + ": dtype " + a.descr + " is big-endian; save it little-endian (arr.astype('<" +
                a.descr.substr(1) + "'))");
  const size_t size = item_size(a.descr);
  if (size == 0)
    throw Error(path + ": dtype '" + printable(a.descr) +
                "' is not supported (float32 '<f4', float64 '<f8', uint8 '|u1', int32 '<i4', int64 '<i8')");
  uint64_t count = 1;
  for (uint64_t d : a.shape) {
    if (d != 0 && count > (uint64_t{1} << 48) / d) throw Error(path + ": shape " + shape_text(a.shape) + " is absurd");
    count *= d;
  }
  a.data = f.read_exactly(count * size, "shape " + shape_text(a.shape) + " of " + a.descr);
  f.expect_end("the .npy header's shape");
  return a;
}

Split read_npy_split(const std::string& x_path, const std::string& y_path, int* dim) {
  const NpyArray x = read_npy(x_path);
  const NpyArray y = read_npy(y_path);
  if (x.shape.size() != 2)
    throw Error(x_path + ": features must be a 2-D array (examples, features); its shape is " + shape_text(x.shape));
  if (y.shape.size() != 1)
    throw Error(y_path + ": labels must be a 1-D array (examples,); its shape is " + shape_text(y.shape) +
                (y.shape.size() == 2 ? " (save labels.reshape(-1))" : ""));
  if (x.shape[0] != y.shape[0])
    throw Error(x_path + " holds " + std::to_string(x.shape[0]) + " examples but " + y_path + " holds " +
                std::to_string(y.shape[0]) + " labels");
  constexpr uint64_t kMaxInt = static_cast<uint64_t>(std::numeric_limits<int>::max());
  if (x.shape[0] > kMaxInt || x.shape[1] > kMaxInt) throw Error(x_path + ": too large");
  if (x.shape[0] == 0 || x.shape[1] == 0) throw Error(x_path + ": no data (shape " + shape_text(x.shape) + ")");
  const size_t n = static_cast<size_t>(x.shape[0]), d = static_cast<size_t>(x.shape[1]);
  Split s;
  s.n = static_cast<int>(n);
  *dim = static_cast<int>(d);
  const bool bytes = item_size(x.descr) == 1;
  if (bytes)
    s.x_u8.resize(n * d);
  else
    s.x_f32.resize(n * d);
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < d; ++c) {
      const size_t src = x.fortran_order ? c * n + r : r * d + c;  // column-major in the file when fortran_order
      if (bytes) {
        s.x_u8[r * d + c] = x.data[src];
        continue;
      }
      const double v = element(x, src);
      const float f = static_cast<float>(v);
      if (!std::isfinite(f))
        throw Error(x_path + ": example " + std::to_string(r) + ", feature " + std::to_string(c) + " is " +
                    std::to_string(v) + " (features must be finite numbers)");
      s.x_f32[r * d + c] = f;
    }
  s.y.resize(n);
  for (size_t r = 0; r < n; ++r) {
    const double v = element(y, r);
    if (!(v >= 0 && v < (1 << 20) && v == std::floor(v)))
      throw Error(y_path + ": label " + std::to_string(r) + " is " + std::to_string(v) +
                  ", not a class id (0, 1, 2, ...)");
    s.y[r] = static_cast<int>(v);
  }
  return s;
}

Dataset load_npy_dataset(const std::string& dir) {
  std::string paths[4];
  for (size_t i = 0; i < 4; ++i) {
    paths[i] = find_plain_or_gz(dir + "/" + npy_file_names()[i]);
    if (paths[i].empty()) throw Error("npy: missing " + dir + "/" + npy_file_names()[i]);
  }
  Dataset d;
  d.name = "npy (" + dir + ")";
  int train_dim = 0, test_dim = 0;
  d.train = read_npy_split(paths[0], paths[1], &train_dim);
  d.test = read_npy_split(paths[2], paths[3], &test_dim);
  if (train_dim != test_dim)
    throw Error(paths[2] + ": " + std::to_string(test_dim) + " features per example, but " + paths[0] + " has " +
                std::to_string(train_dim));
  d.dim = train_dim;
  finish_dataset(d, d.name);
  return d;
}

}  // namespace amlz
