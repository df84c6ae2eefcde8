// SPDX-License-Identifier: Apache-2.0
#include "cli/checkpoint_file.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "amlz/error.h"
#include "amlz/search/wire.h"

namespace amlz::cli {
namespace {

constexpr char kMagic[8] = {'A', 'M', 'L', 'Z', 'C', 'K', 'P', 'T'};
constexpr size_t kHeaderSize = 4 + 4 + 8 + 1 + 8;
constexpr size_t kFixed = 8 + 4 + 4;  // magic, version, header length

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
  throw Error("cannot " + what + " '" + printable(path) + "': " + std::strerror(errno));
}

void write_all(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail_io("write", path);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail_io("open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 && errno != EINVAL) fail_io("sync", dir);  // some file systems cannot sync a directory
}

// AMLZ_TEST_KILL_IN_CHECKPOINT=N: the write at which to die, or 0.
long kill_at_write() {
  const char* v = std::getenv("AMLZ_TEST_KILL_IN_CHECKPOINT");
  return v ? std::strtol(v, nullptr, 10) : 0;
}

}  // namespace

uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t done = 0;
  while (done < bytes.size()) {  // zlib takes uInt lengths
    const uInt n = static_cast<uInt>(std::min<size_t>(bytes.size() - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + done), n);
    done += n;
  }
  return static_cast<uint32_t>(crc);
}

CheckpointHeader checkpoint_header_for(uint32_t seed, std::string_view config_toml) {
  CheckpointHeader h;
  h.seed = seed;
  h.config_crc = crc32_of(config_toml);
  h.config_size = config_toml.size();
  return h;
}

void write_checkpoint_file(const std::string& dir, const CheckpointHeader& header, std::string_view payload,
                           bool rotate) {
  WireWriter w;
  w.u32(kCheckpointVersion);
  w.u32(static_cast<uint32_t>(kHeaderSize));
  w.u32(header.seed);
  w.u32(header.config_crc);
  w.u64(header.config_size);
  w.u8(header.finished ? 1 : 0);
  w.u64(payload.size());
  std::string bytes(kMagic, sizeof kMagic);
  bytes += w.bytes();
  bytes.append(payload);
  WireWriter crc;
  crc.u32(crc32_of(bytes));
  bytes += crc.bytes();

  static long writes = 0;
  const bool die = ++writes == kill_at_write();
  const std::string tmp = dir + "/.checkpoint.tmp", path = dir + "/checkpoint", prev = dir + "/checkpoint.prev";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail_io("write", tmp);
  if (die) {  // the test hook: a crash in the middle of the write
    write_all(fd, bytes.data(), bytes.size() / 2, tmp);
    ::fsync(fd);
    std::raise(SIGKILL);
  }
  write_all(fd, bytes.data(), bytes.size(), tmp);
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail_io("sync", tmp);
  }
  if (::close(fd) != 0) fail_io("write", tmp);
  // The good one becomes .prev; a crash between the renames leaves .prev and the new one in .checkpoint.tmp, and
  // --resume then reads .prev.
  if (rotate && ::rename(path.c_str(), prev.c_str()) != 0 && errno != ENOENT) fail_io("rename", path);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail_io("rename", tmp);
  fsync_dir(dir);
}

CheckpointRead read_checkpoint_file(const std::string& path) {
  CheckpointRead r;
  auto refuse = [&](CheckpointProblem p, const std::string& why) {
    r.problem = p;
    r.message = "'" + printable(path) + "' " + why;
    return r;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return refuse(CheckpointProblem::Missing, "does not exist or cannot be read");
  std::ostringstream os;
  os << in.rdbuf();
  const std::string bytes = os.str();
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return refuse(bytes.size() < sizeof kMagic && std::string(kMagic, bytes.size()) == bytes
                      ? CheckpointProblem::Truncated
                      : CheckpointProblem::NotCheckpoint,
                  bytes.size() < sizeof kMagic ? "is truncated (" + std::to_string(bytes.size()) + " bytes)"
                                               : "is not an amlz checkpoint");
  if (bytes.size() < kFixed) return refuse(CheckpointProblem::Truncated, "is truncated (no header)");
  WireReader fixed(std::string_view(bytes).substr(sizeof kMagic, 8), "checkpoint");
  const uint32_t version = fixed.u32(), header_size = fixed.u32();
  if (version > kCheckpointVersion)
    return refuse(CheckpointProblem::Newer, "has format version " + std::to_string(version) +
                                                ", newer than this amlz reads (" + std::to_string(kCheckpointVersion) +
                                                "): resume with the amlz that wrote it");
  if (version == 0) return refuse(CheckpointProblem::Damaged, "is damaged (format version 0)");
  if (header_size < kHeaderSize || header_size > 4096)
    return refuse(CheckpointProblem::Damaged, "is damaged (header of " + std::to_string(header_size) + " bytes)");
  if (bytes.size() < kFixed + header_size + 4)
    return refuse(CheckpointProblem::Truncated, "is truncated (" + std::to_string(bytes.size()) + " bytes)");
  WireReader h(std::string_view(bytes).substr(kFixed, header_size), "checkpoint header");
  CheckpointHeader header;
  header.seed = h.u32();
  header.config_crc = h.u32();
  header.config_size = h.u64();
  header.finished = h.u8() != 0;
  const uint64_t payload_size = h.u64();
  const uint64_t expected = kFixed + header_size + payload_size + 4;
  if (payload_size > bytes.size() || bytes.size() < expected)
    return refuse(CheckpointProblem::Truncated,
                  "is truncated (" + std::to_string(bytes.size()) + " of " + std::to_string(expected) + " bytes)");
  if (bytes.size() > expected)
    return refuse(CheckpointProblem::Damaged,
                  "is damaged (" + std::to_string(bytes.size() - expected) + " bytes past its end)");
  WireReader tail(std::string_view(bytes).substr(bytes.size() - 4), "checkpoint checksum");
  if (tail.u32() != crc32_of(std::string_view(bytes).substr(0, bytes.size() - 4)))
    return refuse(CheckpointProblem::Damaged, "is damaged (checksum mismatch)");
  r.contents.header = header;
  r.contents.payload = bytes.substr(kFixed + header_size, payload_size);
  return r;
}

std::string encode_checkpoint_payload(const RunDirectory::State& d, std::string_view run_state) {
  WireWriter w;
  w.u64(d.progress_rows);
  w.u64(d.best_rows);
  w.u32(static_cast<uint32_t>(d.experiment));
  w.f64(d.experiment_base);
  w.u64(static_cast<uint64_t>(d.experiment_individuals));
  w.f64(d.record);
  w.u8(d.has_record ? 1 : 0);
  w.f64(d.seconds);
  w.str(run_state);
  return w.take();
}

void decode_checkpoint_payload(std::string_view payload, RunDirectory::State& d, std::string& run_state) {
  WireReader r(payload, "checkpoint (run directory state)");
  d.progress_rows = r.u64();
  d.best_rows = r.u64();
  d.experiment = static_cast<int>(r.u32());
  d.experiment_base = r.f64();
  d.experiment_individuals = static_cast<int64_t>(r.u64());
  d.record = r.f64();
  d.has_record = r.u8() != 0;
  d.seconds = r.f64();
  run_state = r.str();
  if (!r.done()) throw Error("checkpoint (run directory state): trailing bytes");
}

CheckpointFiles::CheckpointFiles(RunDirectory& dir, CheckpointHeader header, double every_seconds, bool previous_good)
    : dir_(dir), header_(header), every_(every_seconds), previous_good_(previous_good) {}

bool CheckpointFiles::due(CheckpointMoment moment) {
  if (moment == CheckpointMoment::Stop) return true;
  if (moment != CheckpointMoment::Periodic || every_ <= 0) return false;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() >= every_;
}

void CheckpointFiles::save(std::string state, CheckpointMoment) {
  write(encode_checkpoint_payload(dir_.state(), state));
}

void CheckpointFiles::finish() {
  header_.finished = true;
  write({});
}

void CheckpointFiles::write(std::string_view payload) {
  write_checkpoint_file(dir_.path(), header_, payload, previous_good_);
  previous_good_ = true;
  last_ = std::chrono::steady_clock::now();
}

}  // namespace amlz::cli
