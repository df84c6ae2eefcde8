// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets share: the readers under test take file paths, so an input is written to a scratch file
// first (in /dev/shm when it exists, so the fuzzer's throughput stays high).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace amlz::fuzz {

// A scratch file holding the current input; reused for every input of the process.
inline const std::string& write_input(const uint8_t* data, size_t size, const char* suffix = "") {
  static const std::string path = [suffix] {
    const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return dir + "/amlz_fuzz_" + std::to_string(getpid()) + suffix;
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();  // the harness itself is broken: no input can be judged
  if (size > 0) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace amlz::fuzz
