// SPDX-License-Identifier: Apache-2.0
// Helpers for the dataset tests: a temporary directory, and writers of small files in each format (plain or
// gzipped), so every reader is tested on files made here, good and broken alike.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

namespace amlz::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/amlz-data-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

using Bytes = std::vector<uint8_t>;

inline void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}
inline void write_text(const std::string& path, const std::string& text) {
  write_file(path, Bytes(text.begin(), text.end()));
}

// A gzip file holding `bytes` (zlib, as gzip(1) would write it).
inline void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

inline Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void append_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

// An unsigned-byte IDX file's bytes: header for `dims`, then `data`.
inline Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& data) {
  Bytes b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) append_be32(b, d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// A small MNIST-like dataset: n_train / n_test images of rows x cols, labels cycling 0..classes-1, pixel values
// a function of (split, example, pixel) so that every example is distinct. Written as the four IDX files.
struct IdxSet {
  Bytes train_images, train_labels, test_images, test_labels;
};
inline IdxSet make_idx_set(int n_train, int n_test, int rows, int cols, int classes = 10) {
  auto images = [&](int n, int salt) {
    Bytes px;
    for (int i = 0; i < n; ++i)
      for (int p = 0; p < rows * cols; ++p)
        px.push_back(static_cast<uint8_t>((i * 7 + p * 13 + salt + (i / 256) * 3 + (p * i) % 5) % 256));
    return idx_bytes({uint32_t(n), uint32_t(rows), uint32_t(cols)}, px);
  };
  auto labels = [&](int n) {
    Bytes y;
    for (int i = 0; i < n; ++i) y.push_back(static_cast<uint8_t>(i % classes));
    return idx_bytes({uint32_t(n)}, y);
  };
  return {images(n_train, 0), labels(n_train), images(n_test, 101), labels(n_test)};
}
inline void write_idx_set(const std::string& dir, const IdxSet& s, bool gz) {
  auto put = [&](const std::string& name, const Bytes& b) {
    if (gz)
      write_gz(dir + "/" + name + ".gz", b);
    else
      write_file(dir + "/" + name, b);
  };
  put("train-images-idx3-ubyte", s.train_images);
  put("train-labels-idx1-ubyte", s.train_labels);
  put("t10k-images-idx3-ubyte", s.test_images);
  put("t10k-labels-idx1-ubyte", s.test_labels);
}

// A CIFAR-10 batch of n records: label i % 10, pixels a function of (salt, record, pixel).
inline Bytes cifar_batch(int n, int salt) {
  Bytes b;
  for (int i = 0; i < n; ++i) {
    b.push_back(static_cast<uint8_t>(i % 10));
    for (int p = 0; p < 3072; ++p) b.push_back(static_cast<uint8_t>((i * 31 + p * 7 + salt) % 251));
  }
  return b;
}
inline void write_cifar_dir(const std::string& dir, int per_batch, int test_n) {
  for (int k = 1; k <= 5; ++k) write_file(dir + "/data_batch_" + std::to_string(k) + ".bin", cifar_batch(per_batch, k));
  write_file(dir + "/test_batch.bin", cifar_batch(test_n, 99));
}

// Message of the amlz::Error (or subclass) `f` throws; a test failure (and "") if it throws nothing.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

}  // namespace amlz::test
