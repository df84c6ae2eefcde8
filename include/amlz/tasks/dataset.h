// SPDX-License-Identifier: Apache-2.0
// Real data in one in-memory form (a train and a test split of labelled examples), the datasets amlz knows, where
// each lives by default, and a per-process memo so a dataset is decoded once however many tasks use it.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amlz/core/enum_names.h"

namespace amlz {

enum class DatasetKind : uint8_t {
  FashionMnist,  // IDX files; Debian's dataset-fashion-mnist installs them (the default real data)
  Mnist,         // IDX files from a directory the user names
  Cifar10,       // the CIFAR-10 binary batches from a directory the user names
  Csv,           // users' data: train.csv and test.csv
  Npy,           // users' data: train_x.npy, train_y.npy, test_x.npy, test_y.npy
};
template <>
struct EnumNames<DatasetKind> {
  static constexpr EnumName<DatasetKind> table[] = {{DatasetKind::FashionMnist, "fashion_mnist"},
                                                    {DatasetKind::Mnist, "mnist"},
                                                    {DatasetKind::Cifar10, "cifar10"},
                                                    {DatasetKind::Csv, "csv"},
                                                    {DatasetKind::Npy, "npy"}};
};

// Examples of one split, row-major [example][dim]. Exactly one of the feature arrays is used: bytes where the
// source stores bytes (images, uint8 .npy; a quarter of the memory of floats: CIFAR-10 is 184 MB so), floats
// otherwise (CSV, float .npy).
struct Split {
  int n = 0;
  std::vector<uint8_t> x_u8;
  std::vector<float> x_f32;
  std::vector<int> y;  // class ids in [0, num_classes)

  bool is_bytes() const { return !x_u8.empty() || x_f32.empty(); }
};

struct Dataset {
  std::string name;  // for messages: "fashion_mnist (/usr/share/datasets/fashion-mnist)"
  int dim = 0;       // features per example (784 for MNIST-family, 3072 for CIFAR-10)
  int num_classes = 0;
  Split train, test;
};

// Where a dataset comes from.
struct DataSource {
  DatasetKind kind = DatasetKind::FashionMnist;
  std::string dir;           // "" = default_data_dir(kind)
  std::string label_column;  // CSV: a header name or a 0-based column index; "" = the last column
};

// The directory a dataset is read from when the config names none ("" when it has no default).
std::string default_data_dir(DatasetKind kind);
// The directory actually used: source.dir, or the default.
std::string resolved_data_dir(const DataSource& source);
// Number of classes when the format fixes it (10 for the image datasets), nullopt for users' data.
std::optional<int> known_num_classes(DatasetKind kind);

// Why `source` cannot be read (missing directory or files), with how to get the data; nullopt when its files are
// there. Cheap (no file is opened), so config validation can call it.
std::optional<std::string> data_source_problem(const DataSource& source);

// Reads and checks a dataset (every reader's errors are amlz::Error naming the file). Labels must be class ids;
// every class that occurs must have training examples.
Dataset load_dataset(const DataSource& source);

// A fingerprint of the source files (paths, sizes, modification times) and of how they are read: changes when
// the data could have. Cheap: no file is opened.
uint64_t data_source_fingerprint(const DataSource& source);

// load_dataset, memoised per process by fingerprint: each dataset is decoded once however many tasks and task
// sets use it. Thread-safe.
std::shared_ptr<const Dataset> shared_dataset(const DataSource& source);

// Checks shared by the readers: dims agree, labels are in range (num_classes is set from them when 0). `what`
// names the dataset in messages.
void finish_dataset(Dataset& d, const std::string& what);

}  // namespace amlz
