// SPDX-License-Identifier: Apache-2.0
#include "amlz/tasks/idx_reader.h"

#include <cstdio>
#include <limits>
#include <utility>

#include "amlz/error.h"
#include "amlz/tasks/data_file.h"

namespace amlz {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;  // IDX element type codes: 08 ubyte, 09 sbyte, 0B short, ... 0E double

std::string hex_bytes(const uint8_t* b, size_t n) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += (i ? " " : "") + std::string(buf);
  }
  return out;
}

Split read_split(const std::string& images_path, const std::string& labels_path, int* dim) {
  IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3)
    throw Error(images_path + ": expected 3 dimensions (images x rows x columns), the header has " +
                std::to_string(images.dims.size()));
  if (labels.dims.size() != 1)
    throw Error(labels_path + ": expected 1 dimension (labels), the header has " + std::to_string(labels.dims.size()));
  if (images.dims[0] != labels.dims[0])
    throw Error(images_path + " holds " + std::to_string(images.dims[0]) + " images but " + labels_path + " holds " +
                std::to_string(labels.dims[0]) + " labels");
  const uint64_t pixels = uint64_t{images.dims[1]} * images.dims[2];
  if (images.dims[0] > static_cast<uint32_t>(std::numeric_limits<int>::max()) ||
      pixels > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    throw Error(images_path + ": too large");
  *dim = static_cast<int>(pixels);
  Split s;
  s.n = static_cast<int>(images.dims[0]);
  s.x_u8 = std::move(images.data);
  s.y.assign(labels.data.begin(), labels.data.end());
  return s;
}

}  // namespace

const std::vector<std::string>& idx_file_names() {
  static const std::vector<std::string> names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  return names;
}

IdxArray read_idx(const std::string& path) {
  DataFile f(path);
  uint8_t magic[4];
  const size_t got = f.read(magic, 4);
  if (got < 4) throw Error(path + ": truncated: " + std::to_string(got) + " bytes, shorter than an IDX header");
  if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0 || magic[3] > 4)
    throw Error(path + ": not an IDX file (its first bytes are " + hex_bytes(magic, 4) +
                "; an IDX file starts 00 00 <type> <dimensions 1-4>)");
  if (magic[2] != kUnsignedByte)
    throw Error(path + ": IDX element type 0x" + hex_bytes(magic + 2, 1) +
                " is not supported (amlz reads unsigned-byte IDX files, type 0x08)");
  IdxArray a;
  uint64_t total = 1;
  for (int i = 0; i < magic[3]; ++i) {
    uint8_t b[4];
    if (f.read(b, 4) < 4) throw Error(path + ": truncated inside the IDX header");
    const uint32_t d = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    a.dims.push_back(d);
    // Four dimensions of up to 2^32 can overflow 64 bits; no real file comes near 2^48 bytes.
    if (d != 0 && total > (uint64_t{1} << 48) / d) throw Error(path + ": the IDX header declares an absurd size");
    total *= d;
  }
  a.data = f.read_exactly(total, "the data the IDX header declares");
  f.expect_end("the IDX header");
  return a;
}

Dataset load_idx_dataset(const std::string& dir, const std::string& name) {
  std::string paths[4];
  for (size_t i = 0; i < 4; ++i) {
    const std::string base = dir + "/" + idx_file_names()[i];
    paths[i] = find_plain_or_gz(base);
    if (paths[i].empty()) throw Error(name + ": missing " + base + " (or " + base + ".gz)");
  }
  Dataset d;
  d.name = name + " (" + dir + ")";
  int train_dim = 0, test_dim = 0;
  d.train = read_split(paths[0], paths[1], &train_dim);
  d.test = read_split(paths[2], paths[3], &test_dim);
  if (train_dim != test_dim)
    throw Error(paths[2] + ": images of " + std::to_string(test_dim) + " pixels, but the training images (" + paths[0] +
                ") have " + std::to_string(train_dim));
  d.dim = train_dim;
  d.num_classes = 10;  // the MNIST family: a label above 9 means the files are something else
  finish_dataset(d, d.name);
  return d;
}

}  // namespace amlz
