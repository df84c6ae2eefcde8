// SPDX-License-Identifier: Apache-2.0
// Functional equivalence checking (spec §10): an LRU cache from a (behaviour fingerprint, task) key to the task
// fitness, so a child that behaves exactly like an earlier one on its first few examples skips the full run.
#pragma once
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>

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
  bool contains(uint64_t key) const { return index_.count(key) != 0; }
  // Inserts (or refreshes) at the front; evicts the least recently used beyond capacity.
  void insert(uint64_t key, double fitness);

  size_t size() const { return entries_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    uint64_t key;
    double fitness;
    int hits;
  };
  size_t capacity_;
  int forget_every_;
  std::list<Entry> entries_;  // front = most recently used
  std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0, misses_ = 0;
};

// The cache key of one task: the evaluator's fingerprint of the short run, folded with the task index and the
// number of training steps the full run would use (so budget-rejected runs never share a fitness).
uint64_t fec_key(uint64_t fingerprint, uint32_t task_index, uint32_t full_train_steps);

}  // namespace amlz
