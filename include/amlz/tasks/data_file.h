// SPDX-License-Identifier: Apache-2.0
// Reading dataset files: plain or gzip-compressed alike (zlib reads both), without trusting any size a header
// declares before the bytes have actually arrived.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace amlz {

// A data file opened for sequential reading; gzip streams are decompressed on the fly, other files read as they
// are. Every failure is an amlz::Error that names the file.
class DataFile {
 public:
  explicit DataFile(const std::string& path);
  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  // Up to n bytes into dst; fewer only at the end of the data.
  size_t read(void* dst, size_t n);
  // Exactly n bytes of `what` (for messages). The buffer grows with the bytes that really arrive, so a header
  // that claims terabytes costs nothing when the file is short: the error says how much was there.
  std::vector<uint8_t> read_exactly(uint64_t n, const std::string& what);
  // Everything left.
  std::vector<uint8_t> read_rest();
  // Throws unless the data has ended (trailing bytes after what the header declares are an error, not ignored).
  void expect_end(const std::string& what);

  const std::string& path() const { return path_; }
  uint64_t bytes_read() const { return consumed_; }

 private:
  std::string path_;
  void* gz_ = nullptr;  // gzFile; void* so zlib.h stays out of this header
  uint64_t consumed_ = 0;
};

// The whole (decompressed) content of a file.
std::vector<uint8_t> read_data_file(const std::string& path);

// `path` if it exists, else `path` + ".gz" if that exists, else "" (datasets ship either way).
std::string find_plain_or_gz(const std::string& path);

}  // namespace amlz
