// SPDX-License-Identifier: Apache-2.0
// File layout (host byte order; the magic reads differently on a machine of the other order, so such a file is
// rebuilt, not misread): "AMLZTASK", uint32 version, uint32 x 11 key fields (the last one 0), uint64 source
// fingerprint, uint64 FNV-1a checksum of the payload, then the payload: train_x, train_y, valid_x, valid_y as float32.
#include "amlz/tasks/task_cache.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "amlz/error.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'A', 'M', 'L', 'Z', 'T', 'A', 'S', 'K'};
constexpr int kKeyFields = 11;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t fields[kKeyFields];
  uint64_t fingerprint;
  uint64_t checksum;
};
static_assert(sizeof(Header) == 72, "no padding: headers are compared with memcmp");

void key_fields(const TaskCacheKey& k, uint32_t* f) {
  const uint32_t v[kKeyFields] = {static_cast<uint32_t>(k.dataset),
                                  static_cast<uint32_t>(k.positive),
                                  static_cast<uint32_t>(k.negative),
                                  static_cast<uint32_t>(k.features),
                                  static_cast<uint32_t>(k.num_train),
                                  static_cast<uint32_t>(k.num_valid),
                                  k.param_seed,
                                  k.data_seed,
                                  static_cast<uint32_t>(k.split),
                                  static_cast<uint32_t>(k.classes),
                                  0u};
  std::memcpy(f, v, sizeof v);
}

Header header_for(const TaskCacheKey& key, uint64_t checksum) {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kTaskCacheVersion;
  key_fields(key, h.fields);
  h.fingerprint = key.source_fingerprint;
  h.checksum = checksum;
  return h;
}

// Payload sizes in floats, in file order.
void payload_sizes(const TaskCacheKey& k, size_t sizes[4]) {
  const size_t f = static_cast<size_t>(k.features), nt = static_cast<size_t>(k.num_train),
               nv = static_cast<size_t>(k.num_valid);
  sizes[0] = nt * f;
  const size_t label = k.classes > 0 ? f : 1;  // multiclass labels are one-hot rows of F floats
  sizes[1] = nt * label;
  sizes[2] = nv * f;
  sizes[3] = nv * label;
}

uint64_t fnv1a(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
constexpr uint64_t kFnvStart = 0xcbf29ce484222325ull;

std::string write_failure(const std::string& path, const std::string& what) {
  return "cannot write the task cache file " + path + " (" + what +
         "): set the task key cache_dir (or the environment variable AMLZ_CACHE_DIR) to a writable folder, or "
         "cache_dir = \"off\"";
}

}  // namespace

std::string resolved_cache_dir(const std::string& configured) {
  if (configured == "off") return "";
  if (!configured.empty()) return configured;
  if (const char* d = std::getenv("AMLZ_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/amlz";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/amlz";
  return "";
}

std::string cache_file_path(const std::string& dir, const TaskCacheKey& k) {
  char fp[17];
  std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(k.source_fingerprint));
  const std::string classes = k.classes > 0 ? "-k" + std::to_string(k.classes)
                                            : "-pos" + std::to_string(k.positive) + "-neg" + std::to_string(k.negative);
  return dir + "/" + enum_name(k.dataset) + classes + "-f" + std::to_string(k.features) + "-pseed" +
         std::to_string(k.param_seed) + "-dseed" + std::to_string(k.data_seed) + "-train" +
         std::to_string(k.num_train) + "-" + enum_name(k.split) + std::to_string(k.num_valid) + "-" + fp + ".amlzt";
}

CacheRead read_cached_task(const std::string& path, const TaskCacheKey& key, ProjectedData* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return CacheRead::Missing;
  size_t sizes[4];
  payload_sizes(key, sizes);
  const size_t floats = sizes[0] + sizes[1] + sizes[2] + sizes[3];
  std::error_code ec;
  const auto file_size = fs::file_size(path, ec);
  if (ec || file_size != sizeof(Header) + floats * sizeof(float)) return CacheRead::Invalid;
  Header h{};
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) return CacheRead::Invalid;
  const Header want = header_for(key, h.checksum);
  if (std::memcmp(&h, &want, sizeof h) != 0) return CacheRead::Invalid;  // magic, version, key, fingerprint
  ProjectedData d;
  std::vector<float>* parts[4] = {&d.train_x, &d.train_y, &d.valid_x, &d.valid_y};
  uint64_t sum = kFnvStart;
  for (int i = 0; i < 4; ++i) {
    parts[i]->resize(sizes[i]);
    const size_t bytes = sizes[i] * sizeof(float);
    if (!in.read(reinterpret_cast<char*>(parts[i]->data()), static_cast<std::streamsize>(bytes)))
      return CacheRead::Invalid;
    sum = fnv1a(sum, parts[i]->data(), bytes);
  }
  if (sum != h.checksum) return CacheRead::Invalid;
  *out = std::move(d);
  return CacheRead::Hit;
}

void write_cached_task(const std::string& path, const TaskCacheKey& key, const ProjectedData& data) {
  size_t sizes[4];
  payload_sizes(key, sizes);
  const std::vector<float>* parts[4] = {&data.train_x, &data.train_y, &data.valid_x, &data.valid_y};
  uint64_t sum = kFnvStart;
  for (int i = 0; i < 4; ++i) {
    AMLZ_CHECK(parts[i]->size() == sizes[i], "projected task data does not match its cache key");
    sum = fnv1a(sum, parts[i]->data(), sizes[i] * sizeof(float));
  }
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(write_failure(path, "cannot create " + dir.string() + ": " + ec.message()));

  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(write_failure(path, "cannot create " + tmp));
    const Header h = header_for(key, sum);
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    for (int i = 0; i < 4; ++i)
      out.write(reinterpret_cast<const char*>(parts[i]->data()),
                static_cast<std::streamsize>(sizes[i] * sizeof(float)));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw Error(write_failure(path, "write failed (disk full?)"));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error(write_failure(path, "rename failed: " + ec.message()));
  }
}

}  // namespace amlz
