// SPDX-License-Identifier: Apache-2.0
// Users' own data as CSV: one example per line, numeric features and an integer class label, an optional header.
#pragma once
#include <string>

#include "amlz/tasks/dataset.h"

namespace amlz {

// One CSV file (gzipped or not). Fields are separated by commas; blank lines are skipped; a first line with any
// non-numeric field is a header. The label column is `label_column`: a header name, a 0-based index, or "" for the
// last column; labels are class ids 0, 1, 2, ... (written as integers, "3.0" is accepted). Every other column is a
// feature and must be a finite number. *dim receives the feature count. Errors (amlz::Error) name the file, line
// and column.
Split read_csv(const std::string& path, const std::string& label_column, int* dim);

// train.csv and test.csv of `dir` (either may be .csv.gz), with the same columns.
Dataset load_csv_dataset(const std::string& dir, const std::string& label_column);

}  // namespace amlz
