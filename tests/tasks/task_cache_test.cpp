// SPDX-License-Identifier: Apache-2.0
// The prepared-task cache: hits give the same bits as projecting; missing, truncated, corrupt and stale files
// are rebuilt, never used; writes leave no temporary files.
#include "amlz/tasks/task_cache.h"

#include <cstdlib>
#include <filesystem>

#include "amlz/error.h"
#include "amlz/tasks/projected_binary.h"
#include "tasks/data_test_util.h"

namespace amlz {
namespace {

using test::ScratchDir;
namespace fs = std::filesystem;

TaskSpec spec(const std::string& data_dir, const std::string& cache_dir) {
  TaskSpec s;
  s.type = TaskType::ProjectedBinary;
  s.eval = EvalType::Accuracy;
  s.features = 4;
  s.num_tasks = 3;
  s.num_train = 40;
  s.num_valid = 15;
  s.datasets = {DatasetKind::Mnist};
  s.data_dirs = {data_dir};
  s.cache_dir = cache_dir;
  return s;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same(const std::vector<ProjectedData>& a, const std::vector<ProjectedData>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].train_x, b[i].train_x) << i;
    EXPECT_EQ(a[i].train_y, b[i].train_y) << i;
    EXPECT_EQ(a[i].valid_x, b[i].valid_x) << i;
    EXPECT_EQ(a[i].valid_y, b[i].valid_y) << i;
  }
}

class TaskCache : public ::testing::Test {
 protected:
  void SetUp() override { test::write_idx_set(data_.path(), test::make_idx_set(300, 120, 3, 4), false); }
  ScratchDir data_, cache_;
};

TEST_F(TaskCache, SecondRunHitsAndGivesTheSameBits) {
  const std::vector<ProjectedData> fresh = make_projected_tasks(spec(data_.path(), "off"));
  ProjectionStats first, second;
  const std::vector<ProjectedData> a = make_projected_tasks(spec(data_.path(), cache_.path()), &first);
  EXPECT_EQ(first.built, 3);
  EXPECT_EQ(first.cache_hits, 0);
  EXPECT_EQ(files_in(cache_.path()).size(), 3u);  // one file per task, no temporaries left behind
  const std::vector<ProjectedData> b = make_projected_tasks(spec(data_.path(), cache_.path()), &second);
  EXPECT_EQ(second.cache_hits, 3);
  EXPECT_EQ(second.built, 0);
  EXPECT_EQ(second.load_seconds, 0.0);  // nothing decoded
  expect_same(a, fresh);
  expect_same(b, fresh);
}

TEST_F(TaskCache, FileNamesSpellTheKey) {
  make_projected_tasks(spec(data_.path(), cache_.path()));
  const std::string name = fs::path(files_in(cache_.path())[0]).filename().string();
  EXPECT_EQ(name.rfind("mnist-pos", 0), 0u) << name;
  EXPECT_NE(name.find("-f4-"), std::string::npos) << name;
  EXPECT_NE(name.find("-train40-valid15-"), std::string::npos) << name;
  EXPECT_NE(name.find(".amlzt"), std::string::npos) << name;
}

TEST_F(TaskCache, CorruptTruncatedAndStaleFilesAreRebuilt) {
  const std::vector<ProjectedData> want = make_projected_tasks(spec(data_.path(), cache_.path()));
  const std::vector<std::string> files = files_in(cache_.path());
  // 0: a flipped payload byte (checksum); 1: truncated; 2: another format version in the header.
  test::Bytes b0 = test::read_bytes(files[0]);
  b0[b0.size() - 5] ^= 0x40;
  test::write_file(files[0], b0);
  test::Bytes b1 = test::read_bytes(files[1]);
  b1.resize(b1.size() - 4);
  test::write_file(files[1], b1);
  test::Bytes b2 = test::read_bytes(files[2]);
  b2[8] ^= 0x7;  // the version field follows the 8-byte magic
  test::write_file(files[2], b2);
  ProjectionStats st;
  const std::vector<ProjectedData> got = make_projected_tasks(spec(data_.path(), cache_.path()), &st);
  EXPECT_EQ(st.rebuilt_invalid, 3);
  EXPECT_EQ(st.built, 3);
  expect_same(got, want);
  ProjectionStats again;
  make_projected_tasks(spec(data_.path(), cache_.path()), &again);  // the rebuilt files are good
  EXPECT_EQ(again.cache_hits, 3);
}

TEST_F(TaskCache, ChangedSourceFilesMissTheCache) {
  make_projected_tasks(spec(data_.path(), cache_.path()));
  // New data in the same place: other sizes and times, so another fingerprint and other file names.
  test::write_idx_set(data_.path(), test::make_idx_set(310, 120, 3, 4), false);
  ProjectionStats st;
  make_projected_tasks(spec(data_.path(), cache_.path()), &st);
  EXPECT_EQ(st.cache_hits, 0);
  EXPECT_EQ(st.built, 3);
  EXPECT_EQ(files_in(cache_.path()).size(), 6u);
}

TEST_F(TaskCache, OtherKeysAreOtherFiles) {
  TaskSpec s = spec(data_.path(), cache_.path());
  make_projected_tasks(s);
  s.split = DataSplit::Test;
  ProjectionStats st;
  make_projected_tasks(s, &st);
  EXPECT_EQ(st.cache_hits, 0);
  s.features = 8;
  make_projected_tasks(s, &st);
  EXPECT_EQ(st.cache_hits, 0);
  EXPECT_EQ(files_in(cache_.path()).size(), 9u);
}

TEST_F(TaskCache, ReadRefusesAKeyItWasNotWrittenFor) {
  const TaskSpec s = spec(data_.path(), "off");
  const std::vector<ProjectedData> d = make_projected_tasks(s);
  TaskCacheKey key;
  key.dataset = DatasetKind::Mnist;
  key.features = 4;
  key.num_train = 40;
  key.num_valid = 15;
  const std::string path = cache_.path() + "/x.amlzt";
  write_cached_task(path, key, d[0]);
  ProjectedData out;
  EXPECT_EQ(read_cached_task(path, key, &out), CacheRead::Hit);
  EXPECT_EQ(out.train_x, d[0].train_x);
  TaskCacheKey other = key;
  other.param_seed = 1;
  EXPECT_EQ(read_cached_task(path, other, &out), CacheRead::Invalid);
  EXPECT_EQ(read_cached_task(path + ".absent", key, &out), CacheRead::Missing);
}

TEST_F(TaskCache, UnwritableDirectoryIsAClearError) {
  test::write_text(cache_ / "file", "x");  // a file where the cache directory should be
  const std::string msg =
      test::error_of<Error>([&] { make_projected_tasks(spec(data_.path(), cache_ / "file" + "/sub")); });
  EXPECT_NE(msg.find("cannot write the task cache file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cache_dir"), std::string::npos) << msg;
}

TEST(TaskCacheDir, ResolutionOrder) {
  EXPECT_EQ(resolved_cache_dir("off"), "");
  EXPECT_EQ(resolved_cache_dir("/x/y"), "/x/y");
  const char* saved = std::getenv("AMLZ_CACHE_DIR");
  const std::string keep = saved ? saved : "";
  setenv("AMLZ_CACHE_DIR", "/from/env", 1);
  EXPECT_EQ(resolved_cache_dir(""), "/from/env");
  unsetenv("AMLZ_CACHE_DIR");
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) {
    EXPECT_EQ(resolved_cache_dir(""), std::string(xdg) + "/amlz");
  } else if (home && *home) {
    EXPECT_EQ(resolved_cache_dir(""), std::string(home) + "/.cache/amlz");
  }
  if (saved) setenv("AMLZ_CACHE_DIR", keep.c_str(), 1);
}

}  // namespace
}  // namespace amlz
