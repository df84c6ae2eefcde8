// SPDX-License-Identifier: Apache-2.0
// Users' own data as NumPy .npy files: a features matrix and a labels vector per split.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "amlz/tasks/dataset.h"

namespace amlz {

struct NpyArray {
  std::string descr;            // as in the header: "<f4", "<f8", "|u1", "<i4", "<i8"
  std::vector<uint64_t> shape;  // () for a scalar
  bool fortran_order = false;
  std::vector<uint8_t> data;  // prod(shape) elements of the descr's size, in the file's order
};

// One .npy file, format version 1, 2 or 3 (gzipped or not). The header dictionary is parsed (descr,
// fortran_order, shape; nothing else is allowed). Little-endian float32, float64, uint8, int32 and int64 are
// read; anything else (big-endian, structured, object arrays) is an amlz::Error naming the file, as are a data
// size that differs from the header's shape and a malformed header.
NpyArray read_npy(const std::string& path);

// The split `name` of an .npy dataset: features (a 2-D array, examples x features: float32, float64 or uint8,
// all finite) and labels (a 1-D array of class ids: uint8, int32, int64, or integral floats), equal in count.
Split read_npy_split(const std::string& x_path, const std::string& y_path, int* dim);

// train_x.npy, train_y.npy, test_x.npy, test_y.npy of `dir`.
Dataset load_npy_dataset(const std::string& dir);

// The file names load_npy_dataset reads, in the order above.
const std::vector<std::string>& npy_file_names();

}  // namespace amlz
