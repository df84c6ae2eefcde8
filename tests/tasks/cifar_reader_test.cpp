// SPDX-License-Identifier: Apache-2.0
// The CIFAR-10 binary reader on batches written here, and what a missing CIFAR-10 directory says.
#include "amlz/tasks/cifar_reader.h"

#include "amlz/error.h"
#include "tasks/data_test_util.h"

namespace amlz {
namespace {

using test::Bytes;
using test::error_of;
using test::ScratchDir;

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

TEST(CifarReader, ReadsEveryBatch) {
  ScratchDir dir;
  test::write_cifar_dir(dir.path(), 4, 3);
  const Dataset d = load_cifar10(dir.path());
  EXPECT_EQ(d.dim, 3072);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.train.n, 20);
  EXPECT_EQ(d.test.n, 3);
  ASSERT_EQ(d.train.x_u8.size(), 20u * 3072);
  // Record 1 of batch 2 is training example 5: label 1, pixels (1*31 + p*7 + 2) % 251.
  EXPECT_EQ(d.train.y[5], 1);
  for (int p : {0, 1, 1024, 3071}) EXPECT_EQ(d.train.x_u8[5 * 3072 + p], (31 + p * 7 + 2) % 251) << p;
  EXPECT_EQ(d.test.y, (std::vector<int>{0, 1, 2}));
}

TEST(CifarReader, GzippedBatchesAreReadToo) {
  ScratchDir dir;
  test::write_cifar_dir(dir.path(), 2, 2);
  const Bytes b = test::read_bytes(dir / "data_batch_3.bin");
  std::filesystem::remove(dir / "data_batch_3.bin");
  test::write_gz(dir / "data_batch_3.bin.gz", b);
  EXPECT_EQ(load_cifar10(dir.path()).train.n, 10);
}

TEST(CifarReader, PartialRecordIsAnErrorNamingTheFile) {
  ScratchDir dir;
  test::write_cifar_dir(dir.path(), 3, 2);
  Bytes b = test::read_bytes(dir / "data_batch_4.bin");
  b.resize(b.size() - 100);
  test::write_file(dir / "data_batch_4.bin", b);
  const std::string msg = error_of<Error>([&] { load_cifar10(dir.path()); });
  expect_has(msg, dir / "data_batch_4.bin");
  expect_has(msg, "not a whole number of 3073-byte records (2 records and 2973 bytes over)");
}

TEST(CifarReader, LabelBeyondNineIsRefused) {
  ScratchDir dir;
  Bytes b = test::cifar_batch(3, 0);
  b[3073] = 57;  // record 1: a CIFAR-100 fine label, say
  test::write_file(dir / "b.bin", b);
  Split s;
  const std::string msg = error_of<Error>([&] { read_cifar10_batch(dir / "b.bin", s); });
  expect_has(msg, "record 1 has label 57");
}

TEST(CifarReader, EmptyAndMissingBatchesAreErrors) {
  ScratchDir dir;
  test::write_cifar_dir(dir.path(), 1, 1);
  test::write_file(dir / "test_batch.bin", {});
  expect_has(error_of<Error>([&] { load_cifar10(dir.path()); }), "empty");
  std::filesystem::remove(dir / "test_batch.bin");
  expect_has(error_of<Error>([&] { load_cifar10(dir.path()); }), "missing " + dir / "test_batch.bin");
}

TEST(CifarReader, MissingDataSaysHowToGetIt) {
  DataSource src;
  src.kind = DatasetKind::Cifar10;
  std::optional<std::string> p = data_source_problem(src);
  ASSERT_TRUE(p);
  expect_has(*p, "cifar10 needs data_dir");
  expect_has(*p, "cifar-10-batches-bin");
  src.dir = "/nonexistent/cifar";
  p = data_source_problem(src);
  ASSERT_TRUE(p);
  expect_has(*p, "/nonexistent/cifar does not exist");
  ScratchDir dir;
  test::write_cifar_dir(dir.path(), 1, 1);
  std::filesystem::remove(dir / "data_batch_2.bin");
  src.dir = dir.path();
  p = data_source_problem(src);
  ASSERT_TRUE(p);
  expect_has(*p, "lacks data_batch_2.bin");
  expect_has(error_of<Error>([&] { load_dataset(src); }), "lacks data_batch_2.bin");
}

}  // namespace
}  // namespace amlz
