// SPDX-License-Identifier: Apache-2.0
// Prepared projected tasks on disk: one file per (dataset, pair, seeds, F, sizes, split) with a versioned header
// and a checksum, so a run does not redo the projection. A missing, stale or corrupt file is rebuilt, never used;
// writes are atomic (a temporary file renamed into place), so concurrent runs and interrupted writes are safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "amlz/tasks/task.h"

namespace amlz {

inline constexpr uint32_t kTaskCacheVersion = 2;  // bump on any change to the file layout or to how tasks are made

// The data of one projected task, as Task stores it: rows of F features; labels 1/0, or (multiclass) one-hot rows of
// F floats.
struct ProjectedData {
  std::vector<float> train_x, train_y, valid_x, valid_y;
};

// Everything a projected task's data depends on.
struct TaskCacheKey {
  DatasetKind dataset = DatasetKind::FashionMnist;
  uint64_t source_fingerprint = 0;  // data_source_fingerprint(): the files and how they are read
  int positive = 0, negative = 0;   // binary; 0 and 0 for multiclass
  int classes = 0;                  // multiclass: K (the classes 0 .. K-1, labels of F floats); binary: 0
  int features = 0, num_train = 0, num_valid = 0;
  uint32_t param_seed = 0, data_seed = 0;
  DataSplit split = DataSplit::Valid;
};

// The cache directory for a configured value: "off" -> "" (no cache); "" -> $AMLZ_CACHE_DIR, else
// $XDG_CACHE_HOME/amlz, else $HOME/.cache/amlz (or "" when none is set); anything else as given.
std::string resolved_cache_dir(const std::string& configured);

// The file of `key` inside `dir`; the name spells the key out, so a directory listing says what is cached.
std::string cache_file_path(const std::string& dir, const TaskCacheKey& key);

enum class CacheRead { Hit, Missing, Invalid };

// Reads `path` into *out when it is a complete file of this version for exactly `key` whose checksum matches;
// Invalid (never a partial result) otherwise.
CacheRead read_cached_task(const std::string& path, const TaskCacheKey& key, ProjectedData* out);

// Writes atomically: a temporary file in the same directory, then a rename. Creates the directory. An amlz::Error
// (naming the path and the cache_dir key) when it cannot.
void write_cached_task(const std::string& path, const TaskCacheKey& key, const ProjectedData& data);

}  // namespace amlz
