// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/fec_cache.h"

#include "amlz/core/hash.h"
#include "amlz/error.h"

namespace amlz {

FecCache::FecCache(size_t capacity, int forget_every) : capacity_(capacity), forget_every_(forget_every) {
  AMLZ_CHECK(capacity > 1, "FEC cache capacity must exceed 1");
}

std::optional<double> FecCache::lookup(uint64_t key) {
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  auto entry = it->second;
  const double fitness = entry->fitness;
  if (forget_every_ != 0 && ++entry->hits >= forget_every_) {
    entries_.erase(entry);
    index_.erase(it);
  } else {
    entries_.splice(entries_.begin(), entries_, entry);
  }
  return fitness;
}

void FecCache::insert(uint64_t key, double fitness) {
  if (const auto it = index_.find(key); it != index_.end()) {
    it->second->fitness = fitness;
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.push_front({key, fitness, 1});
  index_[key] = entries_.begin();
  while (entries_.size() > capacity_) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
}

uint64_t fec_key(uint64_t fingerprint, uint32_t task_index, uint32_t full_train_steps) {
  return hash_combine(hash_combine(fingerprint, task_index), full_train_steps);
}

}  // namespace amlz
