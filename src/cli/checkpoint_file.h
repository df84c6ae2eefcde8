// SPDX-License-Identifier: Apache-2.0
// The checkpoint files of a run directory: DIR/checkpoint (the newest good state) and DIR/checkpoint.prev (the one
// before it), written atomically (DIR/.checkpoint.tmp, fsync, rename, fsync of DIR), so a crash or SIGKILL at any
// moment leaves the last good checkpoint readable. Under MPI rank 0 writes them and every rank reads them on
// resuming: the run directory must be visible to all ranks (a shared file system).
//
// Layout, little-endian:
//   "AMLZCKPT" (8 bytes) | u32 format version | u32 header length H | header (H bytes) | payload | u32 CRC-32
//   header: u32 seed | u32 CRC-32 of DIR/config.toml | u64 length of config.toml | u8 finished | u64 payload length
//   the CRC-32 (zlib's) covers every byte before it.
// A reader refuses, each with its own message: a file too short for the fixed fields or shorter/longer than its
// lengths say (truncated, torn), another magic (not a checkpoint), a newer format version, a checksum mismatch
// (damaged), and — checked by the caller against the run directory — another run's seed or config (foreign).
//
// Test hook: AMLZ_TEST_KILL_IN_CHECKPOINT=N makes the process SIGKILL itself in the middle of its N-th checkpoint
// write (half the temporary file written), as a crash would. Tests only.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "amlz/search/checkpoint.h"
#include "cli/run_directory.h"

namespace amlz::cli {

inline constexpr uint32_t kCheckpointVersion = 1;

struct CheckpointHeader {
  uint32_t seed = 0;
  uint32_t config_crc = 0;  // of config.toml as the run wrote it
  uint64_t config_size = 0;
  bool finished = false;  // the run ended (not stopped early): nothing to resume
};

struct CheckpointContents {
  CheckpointHeader header;
  std::string payload;
};

// What a checkpoint file says about itself, or why it is refused.
enum class CheckpointProblem { None, Missing, NotCheckpoint, Truncated, Newer, Damaged };
struct CheckpointRead {
  CheckpointProblem problem = CheckpointProblem::None;
  std::string message;  // for a problem: what is wrong, naming the file
  CheckpointContents contents;
};
CheckpointRead read_checkpoint_file(const std::string& path);

// Replaces DIR/checkpoint atomically. `rotate`: the current DIR/checkpoint is good and becomes DIR/checkpoint.prev
// (otherwise DIR/checkpoint.prev is left as it is).
void write_checkpoint_file(const std::string& dir, const CheckpointHeader& header, std::string_view payload,
                           bool rotate);

uint32_t crc32_of(std::string_view bytes);
CheckpointHeader checkpoint_header_for(uint32_t seed, std::string_view config_toml);

// The command's side of a run's checkpoints: due every `every_seconds` (0: only at a stop), and each state goes to
// DIR/checkpoint with the run directory's own state (rows of progress.csv and best_history.csv to keep).
class CheckpointFiles final : public CheckpointSink {
 public:
  // `previous_good`: DIR/checkpoint is a good checkpoint of this run (a resumed run's, when it read that one).
  CheckpointFiles(RunDirectory& dir, CheckpointHeader header, double every_seconds, bool previous_good);
  bool due(CheckpointMoment moment) override;
  void save(std::string state, CheckpointMoment moment) override;
  // The run ended: a checkpoint saying so (--resume then says there is nothing to do).
  void finish();

 private:
  void write(std::string_view payload);
  RunDirectory& dir_;
  CheckpointHeader header_;
  double every_;
  bool previous_good_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// A checkpoint's payload: the run directory's state, then the run's (RunCheckpoint, encoded).
std::string encode_checkpoint_payload(const RunDirectory::State& dir, std::string_view run_state);
void decode_checkpoint_payload(std::string_view payload, RunDirectory::State& dir, std::string& run_state);

}  // namespace amlz::cli
