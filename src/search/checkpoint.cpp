// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/checkpoint.h"

#include "amlz/error.h"

namespace amlz {

void write_population(WireWriter& w, const Population& p) {
  w.u64(p.slots().size());
  for (const Individual& ind : p.slots()) w.individual(ind);
  w.u64(p.next_slot());
}

Population read_population(WireReader& r, int capacity) {
  const uint64_t n = r.u64();
  if (n > static_cast<uint64_t>(capacity))
    throw Error("checkpoint: a population of " + std::to_string(n) + " for a capacity of " + std::to_string(capacity));
  std::vector<Individual> slots;
  slots.reserve(n);
  for (uint64_t i = 0; i < n; ++i) slots.push_back(r.individual());
  const uint64_t next = r.u64();
  const bool full = n == static_cast<uint64_t>(capacity);
  if (full ? next >= n : next != n % static_cast<uint64_t>(capacity))
    throw Error("checkpoint: a population's next slot " + std::to_string(next) + " is out of place");
  return Population(capacity, std::move(slots), static_cast<size_t>(next));
}

void write_rng(WireWriter& w, const SearchRng& rng) {
  w.u64(rng.state());
  w.u64(rng.stream());
}

SearchRng read_rng(WireReader& r) {
  const uint64_t state = r.u64();
  return SearchRng::from_state(state, r.u64());
}

void write_fec_cache(WireWriter& w, const FecCache* cache) {
  w.u8(cache ? 1 : 0);
  if (!cache) return;
  const std::vector<FecCache::SavedEntry> entries = cache->saved_entries();
  w.u64(entries.size());
  for (const FecCache::SavedEntry& e : entries) {
    w.u64(e.key);
    w.f64(e.fitness);
    w.u32(static_cast<uint32_t>(e.hits));
  }
  w.u64(cache->hits());
  w.u64(cache->misses());
}

void read_fec_cache(WireReader& r, FecCache* cache) {
  const bool saved = r.u8() != 0;
  if (saved != (cache != nullptr))
    throw Error(saved ? "checkpoint: an FEC cache saved, but this run has none"
                      : "checkpoint: no FEC cache saved, but this run has one");
  if (!saved) return;
  const uint64_t n = r.u64();
  if (n > 100'000'000) throw Error("checkpoint: an FEC cache of " + std::to_string(n) + " entries");
  std::vector<FecCache::SavedEntry> entries(n);
  for (FecCache::SavedEntry& e : entries) {
    e.key = r.u64();
    e.fitness = r.f64();
    e.hits = static_cast<int>(r.u32());
  }
  const uint64_t hits = r.u64();
  const uint64_t misses = r.u64();
  cache->restore(entries, hits, misses);
}

std::string encode_run_checkpoint(const RunCheckpoint& c) {
  WireWriter w;
  w.u64(static_cast<uint64_t>(c.experiment));
  w.u64(c.rng_state);
  w.u64(c.rng_stream);
  w.f64(c.seconds);
  w.u64(static_cast<uint64_t>(c.individuals));
  w.u64(c.train_steps);
  w.u64(c.steps_avoided);
  w.u64(c.fec_hits);
  w.u64(c.fec_lookups);
  w.u8(c.have_best ? 1 : 0);
  w.algorithm(c.best);
  w.f64(c.best_search_fitness);
  w.f64(c.best_select_fitness);
  w.str(c.search);
  return w.take();
}

RunCheckpoint decode_run_checkpoint(std::string_view bytes) {
  WireReader r(bytes, "checkpoint (run state)");
  RunCheckpoint c;
  c.experiment = static_cast<int64_t>(r.u64());
  if (c.experiment < 1) throw Error("checkpoint (run state): experiment " + std::to_string(c.experiment));
  c.rng_state = r.u64();
  c.rng_stream = r.u64();
  c.seconds = r.f64();
  c.individuals = static_cast<int64_t>(r.u64());
  c.train_steps = r.u64();
  c.steps_avoided = r.u64();
  c.fec_hits = r.u64();
  c.fec_lookups = r.u64();
  c.have_best = r.u8() != 0;
  c.best = r.algorithm();
  c.best_search_fitness = r.f64();
  c.best_select_fitness = r.f64();
  c.search = r.str();
  if (!r.done()) throw Error("checkpoint (run state): trailing bytes");
  return c;
}

}  // namespace amlz
