// SPDX-License-Identifier: Apache-2.0
#include "amlz/tasks/dataset.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include "amlz/core/hash.h"
#include "amlz/error.h"
#include "amlz/tasks/cifar_reader.h"
#include "amlz/tasks/csv_reader.h"
#include "amlz/tasks/data_file.h"
#include "amlz/tasks/idx_reader.h"
#include "amlz/tasks/npy_reader.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;

// The files a dataset of `kind` reads from its directory (each may also be gzipped).
std::vector<std::string> expected_files(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::FashionMnist:
    case DatasetKind::Mnist: return idx_file_names();
    case DatasetKind::Cifar10: return cifar10_file_names();
    case DatasetKind::Csv: return {"train.csv", "test.csv"};
    case DatasetKind::Npy: return npy_file_names();
  }
  return {};
}

// What to do to get the data, for messages.
std::string how_to_get(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::FashionMnist:
      return "install Debian's dataset-fashion-mnist package (`apt-get install dataset-fashion-mnist`; "
             "scripts/setup.sh does), or set data_dir to a folder with the four Fashion-MNIST IDX files";
    case DatasetKind::Mnist:
      return "set data_dir to a folder with the four MNIST IDX files (train-images-idx3-ubyte, "
             "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each may be .gz)";
    case DatasetKind::Cifar10:
      return "download the CIFAR-10 binary version (cifar-10-binary.tar.gz, from the CIFAR-10 page of the "
             "University of Toronto), extract it, and set data_dir to its cifar-10-batches-bin folder";
    case DatasetKind::Csv: return "set data_dir to a folder with train.csv and test.csv";
    case DatasetKind::Npy: return "set data_dir to a folder with train_x.npy, train_y.npy, test_x.npy and test_y.npy";
  }
  return "";
}

uint64_t fold_string(uint64_t h, const std::string& s) {
  h = hash_combine(h, s.size());
  for (unsigned char c : s) h = hash_combine(h, c);
  return h;
}

}  // namespace

std::string default_data_dir(DatasetKind kind) {
  return kind == DatasetKind::FashionMnist ? "/usr/share/datasets/fashion-mnist" : "";
}

std::string resolved_data_dir(const DataSource& source) {
  return source.dir.empty() ? default_data_dir(source.kind) : source.dir;
}

std::optional<int> known_num_classes(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::FashionMnist:
    case DatasetKind::Mnist:
    case DatasetKind::Cifar10: return 10;
    case DatasetKind::Csv:
    case DatasetKind::Npy: break;
  }
  return std::nullopt;
}

std::optional<std::string> data_source_problem(const DataSource& source) {
  const std::string name = enum_name(source.kind);
  const std::string dir = resolved_data_dir(source);
  if (dir.empty()) return name + " needs data_dir: " + how_to_get(source.kind);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return name + ": data directory " + dir + " does not exist: " + how_to_get(source.kind);
  std::string missing;
  for (const std::string& f : expected_files(source.kind))
    if (find_plain_or_gz(dir + "/" + f).empty()) missing += (missing.empty() ? "" : ", ") + f;
  if (!missing.empty()) return name + ": " + dir + " lacks " + missing + ": " + how_to_get(source.kind);
  return std::nullopt;
}

Dataset load_dataset(const DataSource& source) {
  if (auto problem = data_source_problem(source)) throw Error(*problem);
  const std::string dir = resolved_data_dir(source);
  switch (source.kind) {
    case DatasetKind::FashionMnist: return load_idx_dataset(dir, "fashion_mnist");
    case DatasetKind::Mnist: return load_idx_dataset(dir, "mnist");
    case DatasetKind::Cifar10: return load_cifar10(dir);
    case DatasetKind::Csv: return load_csv_dataset(dir, source.label_column);
    case DatasetKind::Npy: return load_npy_dataset(dir);
  }
  throw Error("unknown dataset kind");
}

uint64_t data_source_fingerprint(const DataSource& source) {
  const std::string dir = resolved_data_dir(source);
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(dir, ec);
  uint64_t h = hash_combine(kHashStart, static_cast<uint64_t>(source.kind));
  h = fold_string(h, ec ? dir : canonical.string());
  h = fold_string(h, source.kind == DatasetKind::Csv ? source.label_column : "");
  for (const std::string& f : expected_files(source.kind)) {
    const std::string path = find_plain_or_gz(dir + "/" + f);
    h = fold_string(h, path);
    if (path.empty()) continue;
    const auto size = fs::file_size(path, ec);
    h = hash_combine(h, ec ? 0 : static_cast<uint64_t>(size));
    const auto mtime = fs::last_write_time(path, ec);
    h = hash_combine(h, ec ? 0 : static_cast<uint64_t>(mtime.time_since_epoch().count()));
  }
  return h;
}

std::shared_ptr<const Dataset> shared_dataset(const DataSource& source) {
  static std::mutex mutex;
  static std::map<uint64_t, std::shared_ptr<const Dataset>> loaded;
  const uint64_t key = data_source_fingerprint(source);
  std::lock_guard<std::mutex> lock(mutex);  // held while loading: two task sets never decode the same data twice
  auto it = loaded.find(key);
  if (it != loaded.end()) return it->second;
  auto d = std::make_shared<const Dataset>(load_dataset(source));
  loaded.emplace(key, d);
  return d;
}

void finish_dataset(Dataset& d, const std::string& what) {
  if (d.dim <= 0) throw Error(what + ": examples have no features");
  int max_label = -1;
  for (const Split* s : {&d.train, &d.test}) {
    const size_t n = static_cast<size_t>(s->n), dim = static_cast<size_t>(d.dim);
    AMLZ_CHECK(s->y.size() == n, "a reader produced a label count that differs from its example count");
    AMLZ_CHECK((s->is_bytes() ? s->x_u8.size() : s->x_f32.size()) == n * dim,
               "a reader produced a feature array of the wrong size");
    for (int y : s->y) {
      if (y < 0) throw Error(what + ": negative label " + std::to_string(y));
      max_label = std::max(max_label, y);
    }
  }
  if (d.train.n == 0) throw Error(what + ": the training split is empty");
  if (d.test.n == 0) throw Error(what + ": the test split is empty");
  if (d.num_classes == 0) d.num_classes = max_label + 1;
  if (max_label >= d.num_classes)
    throw Error(what + ": label " + std::to_string(max_label) + " is out of range for " +
                std::to_string(d.num_classes) + " classes");
  if (d.num_classes < 2) throw Error(what + ": every example has label 0; a classification task needs two classes");
}

}  // namespace amlz
