// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/fec_cache.h"

#include "amlz/core/hash.h"
#include "amlz/error.h"

namespace amlz {

FecCache::FecCache(size_t capacity, int forget_every) : capacity_(capacity), forget_every_(forget_every) {
  AMLZ_CHECK(capacity > 1, "FEC cache capacity must exceed 1");
  table_.assign(1024, Slot{0, kNone});
}

size_t FecCache::find_slot(uint64_t key) const {
  const size_t mask = table_.size() - 1;
  const uint32_t low = static_cast<uint32_t>(key);
  for (size_t i = low & mask;; i = (i + 1) & mask) {
    const Slot& s = table_[i];
    if (s.entry == kNone) return table_.size();
    if (s.key_low == low && entries_[s.entry].key == key) return i;
  }
}

// Backward-shift deletion: later entries of the probe run move up, so no tombstones accumulate.
void FecCache::erase_slot(size_t i) {
  const size_t mask = table_.size() - 1;
  for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    if (table_[j].entry == kNone) break;
    const size_t home = table_[j].key_low & mask;
    // Move j up to the hole at i unless its home lies cyclically in (i, j].
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i].entry = kNone;
}

void FecCache::grow_table() {
  std::vector<Slot> old(table_.size() * 2, Slot{0, kNone});
  old.swap(table_);
  const size_t mask = table_.size() - 1;
  for (const Slot& s : old) {
    if (s.entry == kNone) continue;
    size_t i = s.key_low & mask;
    while (table_[i].entry != kNone) i = (i + 1) & mask;
    table_[i] = s;
  }
}

void FecCache::unlink(uint32_t e) {
  Entry& x = entries_[e];
  (x.prev == kNone ? head_ : entries_[x.prev].next) = x.next;
  (x.next == kNone ? tail_ : entries_[x.next].prev) = x.prev;
}

void FecCache::push_front(uint32_t e) {
  Entry& x = entries_[e];
  x.prev = kNone;
  x.next = head_;
  (head_ == kNone ? tail_ : entries_[head_].prev) = e;
  head_ = e;
}

void FecCache::remove(size_t slot) {
  const uint32_t e = table_[slot].entry;
  erase_slot(slot);
  unlink(e);
  free_.push_back(e);
  --size_;
  // The next eviction's victim is the new tail (unlink just read its entry): start loading its slot now.
  if (tail_ != kNone) prefetch(entries_[tail_].key);
}

std::optional<double> FecCache::lookup(uint64_t key) {
  const size_t slot = find_slot(key);
  if (slot == table_.size()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  const uint32_t e = table_[slot].entry;
  const double fitness = entries_[e].fitness;
  if (forget_every_ != 0 && ++entries_[e].hits >= forget_every_) {
    remove(slot);
  } else if (head_ != e) {
    unlink(e);
    push_front(e);
  }
  return fitness;
}

void FecCache::insert(uint64_t key, double fitness) {
  if (const size_t slot = find_slot(key); slot != table_.size()) {
    const uint32_t e = table_[slot].entry;
    entries_[e].fitness = fitness;
    if (head_ != e) {
      unlink(e);
      push_front(e);
    }
    return;
  }
  uint32_t e;
  if (!free_.empty()) {
    e = free_.back();
    free_.pop_back();
  } else {
    e = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  entries_[e] = Entry{key, fitness, kNone, kNone, 1};
  push_front(e);
  if ((size_ + 1) * 2 > table_.size()) grow_table();
  const size_t mask = table_.size() - 1;
  size_t i = static_cast<uint32_t>(key) & mask;
  while (table_[i].entry != kNone) i = (i + 1) & mask;
  table_[i] = Slot{static_cast<uint32_t>(key), e};
  ++size_;
  while (size_ > capacity_) remove(find_slot(entries_[tail_].key));
}

std::vector<FecCache::SavedEntry> FecCache::saved_entries() const {
  std::vector<SavedEntry> out;
  out.reserve(size_);
  for (uint32_t e = tail_; e != kNone; e = entries_[e].prev)
    out.push_back({entries_[e].key, entries_[e].fitness, entries_[e].hits});
  return out;
}

void FecCache::restore(const std::vector<SavedEntry>& entries, uint64_t hits, uint64_t misses) {
  AMLZ_CHECK(size_ == 0 && hits_ == 0 && misses_ == 0, "FEC cache restored into a used cache");
  AMLZ_CHECK(entries.size() <= capacity_, "FEC cache checkpoint holds more entries than the cache's capacity");
  // Inserted oldest first, each goes to the front: the recency order comes back as it was.
  for (const SavedEntry& s : entries) {
    AMLZ_CHECK(!contains(s.key), "FEC cache checkpoint repeats a key");
    insert(s.key, s.fitness);
    entries_[head_].hits = s.hits;
  }
  hits_ = hits;
  misses_ = misses;
}

uint64_t fec_key(uint64_t fingerprint, uint32_t task_index, uint32_t full_train_steps) {
  return hash_combine(hash_combine(fingerprint, task_index), full_train_steps);
}

}  // namespace amlz
