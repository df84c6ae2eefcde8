// SPDX-License-Identifier: Apache-2.0
#include "amlz/tasks/cifar_reader.h"

#include "amlz/error.h"
#include "amlz/tasks/data_file.h"

namespace amlz {

const std::vector<std::string>& cifar10_file_names() {
  static const std::vector<std::string> names = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                                 "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
  return names;
}

void read_cifar10_batch(const std::string& path, Split& split) {
  constexpr size_t kRecord = 1 + kCifarPixels;
  const std::vector<uint8_t> bytes = read_data_file(path);
  if (bytes.empty()) throw Error(path + ": empty (a CIFAR-10 batch holds records of 3073 bytes)");
  if (bytes.size() % kRecord != 0)
    throw Error(path + ": " + std::to_string(bytes.size()) + " bytes is not a whole number of 3073-byte records (" +
                std::to_string(bytes.size() / kRecord) + " records and " + std::to_string(bytes.size() % kRecord) +
                " bytes over): truncated, or not a CIFAR-10 binary batch");
  const size_t n = bytes.size() / kRecord;
  split.x_u8.reserve(split.x_u8.size() + n * kCifarPixels);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* rec = &bytes[i * kRecord];
    if (rec[0] > 9)
      throw Error(path + ": record " + std::to_string(i) + " has label " + std::to_string(rec[0]) +
                  " (CIFAR-10 labels are 0-9): not a CIFAR-10 binary batch (CIFAR-100's records are longer)");
    split.y.push_back(rec[0]);
    split.x_u8.insert(split.x_u8.end(), rec + 1, rec + kRecord);
  }
  split.n += static_cast<int>(n);
}

Dataset load_cifar10(const std::string& dir) {
  Dataset d;
  d.name = "cifar10 (" + dir + ")";
  d.dim = kCifarPixels;
  const auto& names = cifar10_file_names();
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string base = dir + "/" + names[i];
    const std::string path = find_plain_or_gz(base);
    if (path.empty()) throw Error("cifar10: missing " + base);
    read_cifar10_batch(path, i + 1 < names.size() ? d.train : d.test);
  }
  d.num_classes = 10;
  finish_dataset(d, d.name);
  return d;
}

}  // namespace amlz
