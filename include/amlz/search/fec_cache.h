// SPDX-License-Identifier: Apache-2.0
// Functional equivalence checking (spec §10): an LRU cache from a (behaviour fingerprint, task) key to the task
// fitness, so a child that behaves exactly like an earlier one on its first few examples skips the full run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace amlz {

// [fec]: the fingerprint pre-run and the cache.
struct FecConfig {
  bool enabled = false;
  int num_train = 10;  // training examples the fingerprint records (first epoch)
  int num_valid = 10;  // validation examples it records
  int cache_size = 100000;
  int forget_every = 100;  // an entry is dropped after this many hits; 0 = never
};

class FecCache {
 public:
  // forget_every: an entry is dropped after this many hits (the cached value is still returned that time); 0 keeps
  // entries until evicted.
  FecCache(size_t capacity, int forget_every);

  // A hit moves the entry to the front and counts it.
  std::optional<double> lookup(uint64_t key);
  bool contains(uint64_t key) const { return find_slot(key) != table_.size(); }
  // A hint that `key` is looked up soon: starts loading its slot of the table (a search looks up a whole batch's
  // keys one after the other; the table is megabytes, so each lookup would otherwise wait for memory).
  void prefetch(uint64_t key) const { __builtin_prefetch(&table_[static_cast<uint32_t>(key) & (table_.size() - 1)]); }
  // The second step, a few lookups after prefetch(key): reads the key's home slot (loaded by now) and starts
  // loading the entry it names, which the lookup compares and relinks (a hint: a wrong guess costs nothing).
  void prefetch_entry(uint64_t key) const {
    const Slot& s = table_[static_cast<uint32_t>(key) & (table_.size() - 1)];
    if (s.entry != kNone) __builtin_prefetch(&entries_[s.entry]);
  }
  // Inserts (or refreshes) at the front; evicts the least recently used beyond capacity.
  void insert(uint64_t key, double fitness);

  size_t size() const { return size_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

  // Checkpoints: the entries from least to most recently used, each with its hit count. restore() on an empty
  // cache of the same capacity and forget_every rebuilds one that answers every later call as the saved one would.
  struct SavedEntry {
    uint64_t key;
    double fitness;
    int hits;
  };
  std::vector<SavedEntry> saved_entries() const;
  void restore(const std::vector<SavedEntry>& entries, uint64_t hits, uint64_t misses);

 private:
  // Flat storage, no allocation per entry (a search makes millions of lookups): entries in a pool linked into the
  // recency list by index, found through an open-addressing table (linear probing) of entry indices.
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Entry {
    uint64_t key;
    double fitness;
    uint32_t prev, next;  // recency list: prev is more recent
    int hits;
  };
  struct Slot {
    uint32_t key_low;  // the key's low 32 bits: its home slot, and a filter before the entry is read
    uint32_t entry;    // kNone: empty
  };
  size_t find_slot(uint64_t key) const;  // the key's slot, or table_.size() when absent
  void erase_slot(size_t slot);
  void grow_table();
  void unlink(uint32_t e);
  void push_front(uint32_t e);
  void remove(size_t slot);  // erases the slot's entry from table, list and pool

  size_t capacity_;
  int forget_every_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> free_;            // unused indices of entries_
  std::vector<Slot> table_;               // power-of-two size, at most half full
  uint32_t head_ = kNone, tail_ = kNone;  // most and least recently used
  size_t size_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
};

// The cache key of one task: the evaluator's fingerprint of the short run, folded with the task index and the
// number of training steps the full run would use (so budget-rejected runs never share a fitness).
uint64_t fec_key(uint64_t fingerprint, uint32_t task_index, uint32_t full_train_steps);

}  // namespace amlz
