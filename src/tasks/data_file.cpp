// SPDX-License-Identifier: Apache-2.0
#include "amlz/tasks/data_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <climits>
#include <zlib.h>

#include "amlz/error.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;

gzFile as_gz(void* p) { return static_cast<gzFile>(p); }

// Growth step of read_exactly/read_rest: large enough to read a dataset in few calls, small enough that a lying
// header costs at most this much memory beyond the bytes that exist.
constexpr size_t kChunk = size_t{1} << 22;

}  // namespace

DataFile::DataFile(const std::string& path) : path_(path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file");
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": not a regular file");
  gz_ = gzopen(path.c_str(), "rb");
  if (!gz_) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  gzbuffer(as_gz(gz_), 1u << 17);
}

DataFile::~DataFile() {
  if (gz_) gzclose(as_gz(gz_));
}

size_t DataFile::read(void* dst, size_t n) {
  size_t done = 0;
  auto* out = static_cast<unsigned char*>(dst);
  while (done < n) {
    const unsigned want = static_cast<unsigned>(std::min<size_t>(n - done, INT_MAX / 2));
    const int got = gzread(as_gz(gz_), out + done, want);
    int errnum = Z_OK;
    const char* msg = gzerror(as_gz(gz_), &errnum);
    // A gzip stream that stops early reads as a short read plus Z_BUF_ERROR; corrupt data as -1.
    if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END))
      throw Error(path_ + ": cannot read" +
                  (errnum == Z_BUF_ERROR ? std::string(": the compressed stream is truncated")
                                         : std::string(": ") + (msg ? msg : "read error")) +
                  " (after " + std::to_string(consumed_ + done + static_cast<size_t>(std::max(got, 0))) + " bytes)");
    done += static_cast<size_t>(got);
    if (got == 0) break;
  }
  consumed_ += done;
  return done;
}

std::vector<uint8_t> DataFile::read_exactly(uint64_t n, const std::string& what) {
  std::vector<uint8_t> data;
  uint64_t have = 0;
  while (have < n) {
    const size_t step = static_cast<size_t>(std::min<uint64_t>(n - have, kChunk));
    data.resize(static_cast<size_t>(have) + step);
    const size_t got = read(data.data() + have, step);
    have += got;
    if (got < step) {
      throw Error(path_ + ": truncated: " + what + " needs " + std::to_string(n) + " bytes but the file ends after " +
                  std::to_string(have) + " of them");
    }
  }
  return data;
}

std::vector<uint8_t> DataFile::read_rest() {
  std::vector<uint8_t> data;
  for (;;) {
    const size_t have = data.size();
    data.resize(have + kChunk);
    const size_t got = read(data.data() + have, kChunk);
    data.resize(have + got);
    if (got < kChunk) return data;
  }
}

void DataFile::expect_end(const std::string& what) {
  unsigned char probe[256];
  const uint64_t before = consumed_;
  uint64_t extra = 0;
  for (size_t got; (got = read(probe, sizeof probe)) > 0;) extra += got;
  if (extra > 0)
    throw Error(path_ + ": " + std::to_string(extra) + " unexpected bytes after the " + std::to_string(before) +
                " that " + what + " declares (wrong sizes in the header, or two files joined?)");
}

std::vector<uint8_t> read_data_file(const std::string& path) { return DataFile(path).read_rest(); }

std::string find_plain_or_gz(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  if (fs::is_regular_file(path + ".gz", ec)) return path + ".gz";
  return "";
}

}  // namespace amlz
