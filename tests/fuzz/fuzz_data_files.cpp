// SPDX-License-Identifier: Apache-2.0
// Fuzz targets for the dataset readers, one per format (AMLZ_FUZZ_FORMAT picks it at compile time): a file in the
// format, gzipped or not, must be read completely and consistently or rejected with an amlz::Error naming the file
// — never a crash, never a read past what the file holds, never an allocation the file's size does not justify.
#include <cstdint>

#include "amlz/error.h"
#include "amlz/tasks/cifar_reader.h"
#include "amlz/tasks/csv_reader.h"
#include "amlz/tasks/dataset.h"
#include "amlz/tasks/idx_reader.h"
#include "amlz/tasks/npy_reader.h"
#include "fuzz_input.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace amlz;
  const std::string& path = fuzz::write_input(data, size);
  try {
#if AMLZ_FUZZ_FORMAT == 1
    const IdxArray a = read_idx(path);
    uint64_t n = a.dims.empty() ? 0 : 1;
    for (uint32_t d : a.dims) n *= d;
    check(a.data.size() == n);
#elif AMLZ_FUZZ_FORMAT == 2
    Split split;
    read_cifar10_batch(path, split);
    check(split.x_u8.size() == static_cast<size_t>(split.n) * kCifarPixels &&
          split.y.size() == static_cast<size_t>(split.n));
    for (int y : split.y) check(y >= 0 && y <= 9);
#elif AMLZ_FUZZ_FORMAT == 3
    int dim = 0;
    const Split split = read_csv(path, "", &dim);
    check(dim >= 0 && split.y.size() == static_cast<size_t>(split.n));
    check(split.x_f32.size() == static_cast<size_t>(split.n) * static_cast<size_t>(dim));
    for (float v : split.x_f32) check(v == v);  // NaN features are an error, never data
#elif AMLZ_FUZZ_FORMAT == 4
    const NpyArray a = read_npy(path);
    uint64_t n = 1;
    for (uint64_t d : a.shape) n *= d;
    const size_t item = a.descr.empty() ? 0 : static_cast<size_t>(a.descr.back() - '0');
    check(a.data.size() == n * item);
#else
#error "AMLZ_FUZZ_FORMAT must be 1 (IDX), 2 (CIFAR-10), 3 (CSV) or 4 (.npy)"
#endif
  } catch (const Error&) {}
  return 0;
}
