// SPDX-License-Identifier: Apache-2.0
// The IDX format of MNIST and Fashion-MNIST (unsigned-byte arrays with a big-endian header), gzipped or not.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "amlz/tasks/dataset.h"

namespace amlz {

struct IdxArray {
  std::vector<uint32_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;   // row-major
};

// One unsigned-byte IDX file. Errors (amlz::Error, naming the file): wrong magic, an element type other than
// unsigned byte, a file shorter or longer than its header declares, a broken gzip stream.
IdxArray read_idx(const std::string& path);

// The four files of an MNIST-family directory: {train,t10k}-{images-idx3,labels-idx1}-ubyte, each with or without
// .gz. Images and labels must agree in count; train and test in image size. `name` labels messages.
Dataset load_idx_dataset(const std::string& dir, const std::string& name);

// The file names load_idx_dataset looks for (without .gz), train images first.
const std::vector<std::string>& idx_file_names();

}  // namespace amlz
