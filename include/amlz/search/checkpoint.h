// SPDX-License-Identifier: Apache-2.0
// Checkpoints of a run (state that lets `amlz search --resume` reach exactly the uninterrupted result): the moments
// a search offers its state, where the state goes, the encodings of populations and FEC caches, and the run-level
// record around a search's state (experiment, run generator, results of the earlier experiments). The file around
// it (header, checksum, atomic replacement) belongs to the command: src/cli/checkpoint_file.h.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "amlz/core/search_rng.h"
#include "amlz/search/fec_cache.h"
#include "amlz/search/population.h"
#include "amlz/search/wire.h"

namespace amlz {

// Where a search offers its state. Always between batches, with nothing in flight.
enum class CheckpointMoment : uint8_t {
  Periodic,   // a batch or generation boundary; written when the sink says one is due
  Stop,       // the search stops on a request: always written
  SearchEnd,  // the search reached its budget or the time limit: kept, written only if a stop request ends the run
              // before the next search state
};

// Receives the states. Under several processes only rank 0's is asked and given the state (the others need none);
// its decision is made known to all (SearchGroup::broadcast, once per checkpoint point) and every process encodes
// its islands (SearchGroup::gather).
class CheckpointSink {
 public:
  virtual ~CheckpointSink() = default;
  virtual bool due(CheckpointMoment moment) = 0;
  virtual void save(std::string state, CheckpointMoment moment) = 0;
};

// Population: capacity-checked slots in order and the next slot. FEC cache: entries in recency order and counters
// (a flag says whether there is a cache at all).
void write_population(WireWriter& w, const Population& p);
Population read_population(WireReader& r, int capacity);
void write_rng(WireWriter& w, const SearchRng& rng);
SearchRng read_rng(WireReader& r);
void write_fec_cache(WireWriter& w, const FecCache* cache);
// Restores into `cache` (fresh, same configuration); a cache saved where `cache` is null, or the reverse, throws.
void read_fec_cache(WireReader& r, FecCache* cache);

// The experiment driver's state around the search state of the experiment in progress.
struct RunCheckpoint {
  int64_t experiment = 1;  // the experiment in progress (1-based)
  uint64_t rng_state = 0;  // the run generator as that experiment began (before its task seeds were drawn)
  uint64_t rng_stream = 0;
  double seconds = 0;  // run time so far: a resumed run's clock and max_seconds continue from it
  // Totals of the experiments before it.
  int64_t individuals = 0;
  uint64_t train_steps = 0, steps_avoided = 0, fec_hits = 0, fec_lookups = 0;
  // The best selected algorithm of the experiments before it.
  bool have_best = false;
  Algorithm best;
  double best_search_fitness = 0, best_select_fitness = 0;
  std::string search;  // run_search's state (SearchOptions::resume)
};

std::string encode_run_checkpoint(const RunCheckpoint& c);
RunCheckpoint decode_run_checkpoint(std::string_view bytes);  // throws amlz::Error on malformed input

}  // namespace amlz
