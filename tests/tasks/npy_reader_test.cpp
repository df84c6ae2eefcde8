// SPDX-License-Identifier: Apache-2.0
// The .npy reader: files NumPy itself wrote (tests/data/npy, see make_fixtures.py there) and broken files made
// here.
#include "amlz/tasks/npy_reader.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "amlz/error.h"
#include "tasks/data_test_util.h"

namespace amlz {
namespace {

using test::Bytes;
using test::error_of;
using test::ScratchDir;

const std::string kFixtures = std::string(AMLZ_TEST_DATA_DIR) + "/npy/";

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

// A version-1 .npy file with `header` as its dictionary text (padded as NumPy pads it) and `data` after it.
Bytes npy_bytes(const std::string& header, const Bytes& data) {
  std::string h = header;
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  Bytes b = {
      0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(h.size() & 0xFF), static_cast<uint8_t>(h.size() >> 8)};
  for (char c : h) b.push_back(static_cast<uint8_t>(c));  // (vector::insert from a string trips GCC 12's bounds check)
  b.insert(b.end(), data.begin(), data.end());
  return b;
}
Bytes npy(const std::string& descr, const std::string& shape, const Bytes& data) {
  return npy_bytes("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data);
}
template <class T>
Bytes raw(const std::vector<T>& v) {
  Bytes b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::string npy_error(const Bytes& file) {
  ScratchDir dir;
  test::write_file(dir / "a.npy", file);
  return error_of<Error>([&] { read_npy(dir / "a.npy"); });
}

TEST(NpyReader, Float32WrittenByNumpy) {
  const NpyArray a = read_npy(kFixtures + "f32.npy");
  EXPECT_EQ(a.descr, "<f4");
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{3, 4}));
  EXPECT_FALSE(a.fortran_order);
  ASSERT_EQ(a.data.size(), 48u);
  float v[12];
  std::memcpy(v, a.data.data(), sizeof v);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(v[i], i / 4.0f);
}

TEST(NpyReader, FormatVersion2Header) {
  const NpyArray a = read_npy(kFixtures + "f32_v2.npy");
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(a.data, read_npy(kFixtures + "f32.npy").data);
}

TEST(NpyReader, FortranOrderFloat64FeaturesWithInt64Labels) {
  int dim = 0;
  const Split s = read_npy_split(kFixtures + "f64_fortran.npy", kFixtures + "labels_i64.npy", &dim);
  EXPECT_EQ(dim, 4);
  EXPECT_EQ(s.n, 3);
  ASSERT_FALSE(s.is_bytes());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(s.x_f32[i], static_cast<float>(i)) << i;  // row-major after reading
  EXPECT_EQ(s.y, (std::vector<int>{0, 2, 1}));
}

TEST(NpyReader, Uint8FeaturesStayBytes) {
  int dim = 0;
  const Split s = read_npy_split(kFixtures + "u8.npy", kFixtures + "labels_u8.npy", &dim);
  EXPECT_EQ(dim, 5);
  ASSERT_TRUE(s.is_bytes());
  EXPECT_EQ(s.x_u8, (Bytes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(s.y, (std::vector<int>{1, 0}));
}

TEST(NpyReader, BigEndianIsRefusedWithTheFix) {
  const std::string msg = error_of<Error>([&] { read_npy(kFixtures + "big_endian.npy"); });
  expect_has(msg, "big_endian.npy: dtype >f4 is big-endian");
  expect_has(msg, "astype('<f4')");
}

TEST(NpyReader, WrongMagicIsAnError) {
  expect_has(npy_error({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}), "not a .npy file");
  expect_has(npy_error({0x93, 'N', 'U'}), "not a .npy file");
}

TEST(NpyReader, UnsupportedVersionIsAnError) {
  Bytes b = npy("<f4", "(1,)", raw<float>({1}));
  b[6] = 9;
  expect_has(npy_error(b), "format version 9 is not supported");
}

TEST(NpyReader, TruncatedDataIsAnError) {
  Bytes b = npy("<f4", "(2, 3)", raw<float>({1, 2, 3, 4, 5, 6}));
  b.resize(b.size() - 2);
  const std::string msg = npy_error(b);
  expect_has(msg, "a.npy: truncated: shape (2, 3) of <f4 needs 24 bytes but the file ends after 22");
}

TEST(NpyReader, ExtraDataIsAnError) {
  expect_has(npy_error(npy("<f4", "(2,)", raw<float>({1, 2, 3}))), "4 unexpected bytes");
}

TEST(NpyReader, AbsurdShapeFailsOnTheShortFile) {
  expect_has(npy_error(npy("<f8", "(2147483648, 784)", raw<double>({1}))), "but the file ends after 8");
  expect_has(npy_error(npy("<f8", "(4294967296, 4294967296, 4294967296)", {})), "is absurd");
}

TEST(NpyReader, AbsurdHeaderLengthIsAnError) {
  Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0, 0x40};  // version 2: a 1 GiB header
  expect_has(npy_error(b), "the .npy header claims 1073741824 bytes");
}

TEST(NpyReader, MalformedHeadersAreErrors) {
  expect_has(npy_error(npy_bytes("{'descr': '<f4', 'shape': (1,), }", raw<float>({1}))),
             "lacks descr, fortran_order or shape");
  expect_has(npy_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", {})),
             "unexpected key 'x'");
  expect_has(npy_error(npy_bytes("{'descr': '<f4', 'fortran_order': maybe, 'shape': (1,)}", {})),
             "fortran_order must be True or False");
  expect_has(npy_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", {})),
             "shape must be a tuple of non-negative integers");
  expect_has(npy_error(npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", {})),
             "structured arrays are not supported");
  expect_has(npy_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", {})), "expected '}'");
  expect_has(npy_error(npy_bytes("'descr'", {})), "expected '{'");
}

TEST(NpyReader, UnsupportedDtypeIsNamed) {
  expect_has(npy_error(npy("<c8", "(1,)", Bytes(8, 0))), "dtype '<c8' is not supported");
  expect_has(npy_error(npy("|O", "(1,)", Bytes(8, 0))), "dtype '|O' is not supported");
}

TEST(NpyReader, SplitChecks) {
  ScratchDir dir;
  auto split_error = [&](const Bytes& x, const Bytes& y) {
    test::write_file(dir / "x.npy", x);
    test::write_file(dir / "y.npy", y);
    int dim = 0;
    return error_of<Error>([&] { read_npy_split(dir / "x.npy", dir / "y.npy", &dim); });
  };
  const Bytes x22 = npy("<f4", "(2, 2)", raw<float>({1, 2, 3, 4}));
  const Bytes y2 = npy("<i8", "(2,)", raw<int64_t>({0, 1}));
  expect_has(split_error(npy("<f4", "(4,)", raw<float>({1, 2, 3, 4})), y2), "features must be a 2-D array");
  expect_has(split_error(x22, npy("<i8", "(2, 1)", raw<int64_t>({0, 1}))), "save labels.reshape(-1)");
  expect_has(split_error(x22, npy("<i8", "(3,)", raw<int64_t>({0, 1, 1}))), "holds 2 examples but");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_has(split_error(npy("<f4", "(2, 2)", raw<float>({1, 2, nan, 4})), y2),
             "x.npy: example 1, feature 0 is nan (features must be finite numbers)");
  expect_has(split_error(npy("<f8", "(1, 1)", raw<double>({1e300})), npy("<i8", "(1,)", raw<int64_t>({0}))),
             "feature 0 is");
  expect_has(split_error(x22, npy("<f4", "(2,)", raw<float>({0.5f, 1}))), "label 0 is 0.500000, not a class id");
  expect_has(split_error(x22, npy("<i4", "(2,)", raw<int32_t>({0, -3}))), "label 1 is -3.000000");
  expect_has(split_error(npy("<f4", "(0, 2)", {}), npy("<i8", "(0,)", {})), "no data");
}

TEST(NpyReader, DatasetFromADirectory) {
  ScratchDir dir;
  test::write_file(dir / "train_x.npy", npy("<f4", "(3, 2)", raw<float>({1, 2, 3, 4, 5, 6})));
  test::write_file(dir / "train_y.npy", npy("|u1", "(3,)", {0, 1, 2}));
  test::write_file(dir / "test_x.npy", npy("<f8", "(1, 2)", raw<double>({7, 8})));
  test::write_file(dir / "test_y.npy", npy("<i8", "(1,)", raw<int64_t>({1})));
  const Dataset d = load_npy_dataset(dir.path());
  EXPECT_EQ(d.dim, 2);
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.test.x_f32, (std::vector<float>{7, 8}));
  test::write_file(dir / "test_x.npy", npy("<f8", "(1, 3)", raw<double>({7, 8, 9})));
  expect_has(error_of<Error>([&] { load_npy_dataset(dir.path()); }), "3 features per example, but");
}

}  // namespace
}  // namespace amlz
