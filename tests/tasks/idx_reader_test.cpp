// SPDX-License-Identifier: Apache-2.0
// The IDX reader (MNIST family) on files written here, plain and gzipped, good and broken; and on the real
// Fashion-MNIST files when Debian's package is installed.
#include "amlz/tasks/idx_reader.h"

#include <algorithm>
#include <sys/resource.h>

#include "amlz/error.h"
#include "amlz/tasks/data_file.h"
#include "tasks/data_test_util.h"

namespace amlz {
namespace {

using test::Bytes;
using test::error_of;
using test::ScratchDir;

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

TEST(IdxReader, ReadsHeaderAndData) {
  ScratchDir dir;
  test::write_file(dir / "a", test::idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6}));
  const IdxArray a = read_idx(dir / "a");
  EXPECT_EQ(a.dims, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(a.data, (Bytes{1, 2, 3, 4, 5, 6}));
}

TEST(IdxReader, GzippedAndPlainFilesGiveTheSameDataset) {
  ScratchDir plain, gz;
  const test::IdxSet set = test::make_idx_set(50, 20, 4, 5);
  test::write_idx_set(plain.path(), set, false);
  test::write_idx_set(gz.path(), set, true);
  const Dataset a = load_idx_dataset(plain.path(), "mnist"), b = load_idx_dataset(gz.path(), "mnist");
  EXPECT_EQ(a.dim, 20);
  EXPECT_EQ(a.num_classes, 10);
  EXPECT_EQ(a.train.n, 50);
  EXPECT_EQ(a.test.n, 20);
  ASSERT_TRUE(a.train.is_bytes());
  EXPECT_EQ(a.train.x_u8, Bytes(set.train_images.begin() + 16, set.train_images.end()));
  EXPECT_EQ(a.test.y[13], 3);
  EXPECT_EQ(a.train.x_u8, b.train.x_u8);
  EXPECT_EQ(a.train.y, b.train.y);
  EXPECT_EQ(a.test.x_u8, b.test.x_u8);
  EXPECT_EQ(a.test.y, b.test.y);
}

TEST(IdxReader, TruncatedDataIsAnErrorNamingTheFile) {
  ScratchDir dir;
  Bytes b = test::idx_bytes({10, 2, 2}, Bytes(40, 7));
  b.resize(b.size() - 1);
  test::write_file(dir / "plain", b);
  test::write_gz(dir / "packed.gz", b);
  for (const std::string name : {"plain", "packed.gz"}) {
    const std::string msg = error_of<Error>([&] { read_idx(dir / name); });
    expect_has(msg, dir / name);
    expect_has(msg, "truncated");
    expect_has(msg, "needs 40 bytes but the file ends after 39");
  }
}

TEST(IdxReader, TruncatedGzipStreamIsAnError) {
  ScratchDir dir;
  test::write_gz(dir / "full.gz", test::idx_bytes({1000, 4, 4}, Bytes(16000, 9)));
  Bytes packed = test::read_bytes(dir / "full.gz");
  packed.resize(packed.size() / 2);
  test::write_file(dir / "cut.gz", packed);
  const std::string msg = error_of<Error>([&] { read_idx(dir / "cut.gz"); });
  expect_has(msg, dir / "cut.gz");
  EXPECT_TRUE(msg.find("truncated") != std::string::npos) << msg;
}

TEST(IdxReader, WrongMagicIsAnError) {
  ScratchDir dir;
  test::write_file(dir / "zip", {'P', 'K', 3, 4, 0, 0, 0, 0});
  const std::string msg = error_of<Error>([&] { read_idx(dir / "zip"); });
  expect_has(msg, dir / "zip");
  expect_has(msg, "not an IDX file");
  expect_has(msg, "50 4b 03 04");
}

TEST(IdxReader, OtherElementTypesAreRefused) {
  ScratchDir dir;
  Bytes b = test::idx_bytes({1}, {0, 0, 0, 0});
  b[2] = 0x0D;  // float
  test::write_file(dir / "f", b);
  expect_has(error_of<Error>([&] { read_idx(dir / "f"); }), "type 0x0d is not supported");
}

TEST(IdxReader, BytesAfterTheDeclaredDataAreAnError) {
  ScratchDir dir;
  test::write_file(dir / "long", test::idx_bytes({2}, {1, 2, 3}));
  const std::string msg = error_of<Error>([&] { read_idx(dir / "long"); });
  expect_has(msg, dir / "long");
  expect_has(msg, "1 unexpected bytes");
}

TEST(IdxReader, ShortHeaderIsAnError) {
  ScratchDir dir;
  test::write_file(dir / "h", {0, 0, 8, 3, 0, 0});
  expect_has(error_of<Error>([&] { read_idx(dir / "h"); }), "truncated inside the IDX header");
  test::write_file(dir / "empty", {});
  expect_has(error_of<Error>([&] { read_idx(dir / "empty"); }), "shorter than an IDX header");
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(IdxReader, AbsurdHeaderFailsWithoutAllocatingWhatItClaims) {
  ScratchDir dir;
  // 2^31 images of 28 x 28 would be 1.7 TB; the file holds only its header.
  test::write_file(dir / "huge", test::idx_bytes({1u << 31, 28, 28}, {1, 2, 3}));
  test::write_gz(dir / "huge.gz", test::idx_bytes({1u << 31, 28, 28}, {1, 2, 3}));
  const long before = max_rss_kb();
  for (const std::string name : {"huge", "huge.gz"}) {
    const std::string msg = error_of<Error>([&] { read_idx(dir / name); });
    expect_has(msg, "needs 1683627180032 bytes but the file ends after 3");
  }
  EXPECT_LT(max_rss_kb() - before, 64 * 1024) << "the reader allocated far more than the file holds";
  // A header whose dimensions multiply past 2^48 is refused outright.
  test::write_file(dir / "overflow", test::idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 2}, {}));
  expect_has(error_of<Error>([&] { read_idx(dir / "overflow"); }), "absurd size");
}

TEST(IdxReader, ImageAndLabelCountsMustAgree) {
  ScratchDir dir;
  test::IdxSet set = test::make_idx_set(30, 10, 2, 2);
  set.train_labels = test::idx_bytes({29}, Bytes(29, 1));
  test::write_idx_set(dir.path(), set, false);
  const std::string msg = error_of<Error>([&] { load_idx_dataset(dir.path(), "mnist"); });
  expect_has(msg, "holds 30 images but");
  expect_has(msg, "train-labels-idx1-ubyte holds 29 labels");
}

TEST(IdxReader, WrongShapesAreErrors) {
  ScratchDir dir;
  test::IdxSet set = test::make_idx_set(6, 4, 2, 2);
  set.train_images = test::idx_bytes({6, 4}, Bytes(24, 1));  // 2-D "images"
  test::write_idx_set(dir.path(), set, false);
  expect_has(error_of<Error>([&] { load_idx_dataset(dir.path(), "mnist"); }), "expected 3 dimensions");

  ScratchDir other;
  test::IdxSet sizes = test::make_idx_set(6, 4, 2, 2);
  sizes.test_images = test::idx_bytes({4, 3, 3}, Bytes(36, 1));  // 9 pixels against 4
  test::write_idx_set(other.path(), sizes, false);
  expect_has(error_of<Error>([&] { load_idx_dataset(other.path(), "mnist"); }), "images of 9 pixels");
}

TEST(IdxReader, LabelsBeyondNineAreRefused) {
  ScratchDir dir;
  test::IdxSet set = test::make_idx_set(6, 4, 2, 2);
  set.test_labels = test::idx_bytes({4}, {0, 1, 12, 3});
  test::write_idx_set(dir.path(), set, false);
  expect_has(error_of<Error>([&] { load_idx_dataset(dir.path(), "fashion_mnist"); }),
             "label 12 is out of range for 10 classes");
}

TEST(IdxReader, MissingFileIsNamed) {
  ScratchDir dir;
  test::write_idx_set(dir.path(), test::make_idx_set(6, 4, 2, 2), false);
  std::filesystem::remove(dir / "t10k-labels-idx1-ubyte");
  expect_has(error_of<Error>([&] { load_idx_dataset(dir.path(), "mnist"); }), dir / "t10k-labels-idx1-ubyte");
}

TEST(IdxReader, NotARegularFileIsAnError) {
  ScratchDir dir;
  expect_has(error_of<Error>([&] { read_idx(dir.path()); }), "not a regular file");
  expect_has(error_of<Error>([&] { read_idx(dir / "absent"); }), "no such file");
}

// The real data, as Debian's dataset-fashion-mnist installs it (scripts/setup.sh installs the package).
TEST(IdxReader, RealFashionMnist) {
  DataSource src;
  if (auto problem = data_source_problem(src)) GTEST_SKIP() << *problem;
  const Dataset d = load_dataset(src);
  EXPECT_EQ(d.dim, 784);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.train.n, 60000);
  EXPECT_EQ(d.test.n, 10000);
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(std::count(d.train.y.begin(), d.train.y.end(), c), 6000) << c;
    EXPECT_EQ(std::count(d.test.y.begin(), d.test.y.end(), c), 1000) << c;
  }
}

}  // namespace
}  // namespace amlz
