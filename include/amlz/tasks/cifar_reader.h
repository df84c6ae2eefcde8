// SPDX-License-Identifier: Apache-2.0
// The CIFAR-10 binary version: data_batch_1..5.bin (training) and test_batch.bin, each a run of records of one
// label byte and 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32 x 32).
#pragma once
#include <string>
#include <vector>

#include "amlz/tasks/dataset.h"

namespace amlz {

inline constexpr int kCifarPixels = 3072;

// The batch files load_cifar10 reads, training batches first.
const std::vector<std::string>& cifar10_file_names();

// Appends the records of one batch file to `split`. Errors (amlz::Error naming the file): a size that is not a
// whole number of records, a label outside 0..9.
void read_cifar10_batch(const std::string& path, Split& split);

// The six batch files of a cifar-10-batches-bin directory (each may also be gzipped: name.bin.gz).
Dataset load_cifar10(const std::string& dir);

}  // namespace amlz
