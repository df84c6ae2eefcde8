// SPDX-License-Identifier: Apache-2.0
// The CSV reader (users' own data): headers, label columns, and every malformed input it must name.
#include "amlz/tasks/csv_reader.h"

#include "amlz/error.h"
#include "tasks/data_test_util.h"

namespace amlz {
namespace {

using test::error_of;
using test::ScratchDir;

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

Split csv(const ScratchDir& dir, const std::string& text, const std::string& label_column, int* dim) {
  test::write_text(dir / "d.csv", text);
  return read_csv(dir / "d.csv", label_column, dim);
}

std::string csv_error(const std::string& text, const std::string& label_column = "") {
  ScratchDir dir;
  int dim = 0;
  return error_of<Error>([&] { csv(dir, text, label_column, &dim); });
}

TEST(CsvReader, HeaderAndNamedLabelColumn) {
  ScratchDir dir;
  int dim = 0;
  const Split s = csv(dir, "a,label,b\n1.5,0,-2\n3,1,4e1\n", "label", &dim);
  EXPECT_EQ(dim, 2);
  EXPECT_EQ(s.n, 2);
  EXPECT_FALSE(s.is_bytes());
  EXPECT_EQ(s.x_f32, (std::vector<float>{1.5f, -2.f, 3.f, 40.f}));
  EXPECT_EQ(s.y, (std::vector<int>{0, 1}));
}

TEST(CsvReader, WithoutHeaderTheLastColumnIsTheLabel) {
  ScratchDir dir;
  int dim = 0;
  const Split s = csv(dir, "1,2,3\n4,5,6.0\n", "", &dim);
  EXPECT_EQ(dim, 2);
  EXPECT_EQ(s.x_f32, (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(s.y, (std::vector<int>{3, 6}));
}

TEST(CsvReader, LabelColumnByIndex) {
  ScratchDir dir;
  int dim = 0;
  const Split s = csv(dir, "2,0.5,0.25\n0,1,1\n", "0", &dim);
  EXPECT_EQ(s.y, (std::vector<int>{2, 0}));
  EXPECT_EQ(s.x_f32, (std::vector<float>{0.5f, 0.25f, 1, 1}));
  expect_has(csv_error("1,2\n", "5"), "label_column 5 is out of range (the file has 2 columns");
}

TEST(CsvReader, BlankLinesCrLfQuotesAndByteOrderMarkAreTolerated) {
  ScratchDir dir;
  int dim = 0;
  const Split s = csv(dir, "\xEF\xBB\xBF\"x\",\"y\"\r\n\r\n 1 , 0\r\n\n2,1\n\n", "y", &dim);
  EXPECT_EQ(s.n, 2);
  EXPECT_EQ(s.x_f32, (std::vector<float>{1, 2}));
  EXPECT_EQ(s.y, (std::vector<int>{0, 1}));
}

TEST(CsvReader, GzippedFile) {
  ScratchDir dir;
  const std::string text = "f,label\n1,0\n2,1\n";
  test::write_gz(dir / "d.csv.gz", test::Bytes(text.begin(), text.end()));
  int dim = 0;
  EXPECT_EQ(read_csv(dir / "d.csv.gz", "label", &dim).n, 2);
}

TEST(CsvReader, UnknownLabelNameListsTheColumns) {
  const std::string msg = csv_error("a,b,c\n1,2,3\n", "target");
  expect_has(msg, "d.csv:1: no column named \"target\" in the header (a, b, c)");
}

TEST(CsvReader, LabelNameWithoutHeaderIsAnError) {
  expect_has(csv_error("1,2,3\n", "label"), "names a column, but the file has no header line");
}

TEST(CsvReader, RowOfTheWrongLengthNamesItsLine) {
  expect_has(csv_error("a,b,label\n1,2,0\n3,4\n"), "d.csv:3: 2 columns, but the first line has 3");
  // A file cut in the middle of its last row reads the same way: never as a shorter example.
  expect_has(csv_error("1,2,0\n3,4,1\n5,"), "d.csv:3: 2 columns");
}

TEST(CsvReader, NonNumericFeatureNamesLineAndColumn) {
  expect_has(csv_error("a,b,label\n1,2,0\n3,x7,1\n"), "d.csv:3: column 1 (b): 'x7' is not a number");
  expect_has(csv_error("a,b,label\n1,,0\n"), "d.csv:2: column 1 (b): '' is not a number");
}

TEST(CsvReader, NanAndInfiniteFeaturesAreRefused) {
  expect_has(csv_error("a,b,label\n1,2,0\nnan,2,1\n"), "d.csv:3: column 0 (a): nan is not finite");
  expect_has(csv_error("1,-inf,0\n"), "d.csv:1: column 1: -inf is not finite");
  expect_has(csv_error("1,1e39,0\n"), "overflows a float");
}

TEST(CsvReader, LabelsMustBeClassIds) {
  expect_has(csv_error("1,0.5\n"), "d.csv:1: label 0.5 is not a class id");
  expect_has(csv_error("1,-1\n"), "label -1 is not a class id");
  expect_has(csv_error("a,label\n1,cat\n", "label"), "column 1 (label): 'cat' is not a number");
}

TEST(CsvReader, EmptyFilesAreErrors) {
  expect_has(csv_error(""), "no examples");
  expect_has(csv_error("a,label\n"), "no examples");
  expect_has(csv_error("7\n8\n"), "1 column; need features and a label");
}

TEST(CsvReader, DatasetNeedsTrainAndTestWithTheSameColumns) {
  ScratchDir dir;
  test::write_text(dir / "train.csv", "a,b,label\n1,2,0\n3,4,1\n");
  test::write_text(dir / "test.csv", "a,label\n1,0\n");
  expect_has(error_of<Error>([&] { load_csv_dataset(dir.path(), "label"); }), "1 features per example, but");
  test::write_text(dir / "test.csv", "a,b,label\n1,2,0\n3,4,2\n");
  const Dataset d = load_csv_dataset(dir.path(), "label");
  EXPECT_EQ(d.dim, 2);
  EXPECT_EQ(d.num_classes, 3);  // from the largest label anywhere
  EXPECT_EQ(d.train.n, 2);
  EXPECT_EQ(d.test.n, 2);
  std::filesystem::remove(dir / "test.csv");
  expect_has(error_of<Error>([&] { load_csv_dataset(dir.path(), "label"); }), "missing " + dir / "test.csv");
}

}  // namespace
}  // namespace amlz
