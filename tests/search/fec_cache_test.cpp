// SPDX-License-Identifier: Apache-2.0
// The FEC cache (spec §10): lookup/insert, least-recently-used eviction, hits refreshing an entry's position,
// forget_every, hit/miss counts, and the per-task key fec_key().
#include "amlz/search/fec_cache.h"

#include <list>
#include <set>
#include <unordered_map>

#include "amlz/core/search_rng.h"
#include "test_util.h"

namespace amlz {
namespace {

TEST(FecCache, InsertThenLookupReturnsTheFitnessAndUnknownKeysMiss) {
  FecCache cache(10, 0);
  EXPECT_EQ(cache.lookup(1), std::nullopt);
  cache.insert(1, 0.25);
  cache.insert(2, 0.75);
  EXPECT_EQ(cache.lookup(1), 0.25);
  EXPECT_EQ(cache.lookup(2), 0.75);
  EXPECT_EQ(cache.lookup(3), std::nullopt);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(FecCache, CountsHitsAndMissesButContainsCountsNothing) {
  FecCache cache(10, 0);
  cache.insert(7, 0.5);
  (void)cache.lookup(7);
  (void)cache.lookup(7);
  (void)cache.lookup(8);
  EXPECT_TRUE(cache.contains(7));
  EXPECT_FALSE(cache.contains(8));
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(FecCache, EvictsTheLeastRecentlyUsedBeyondCapacity) {
  FecCache cache(3, 0);
  cache.insert(1, 0.1);
  cache.insert(2, 0.2);
  cache.insert(3, 0.3);
  cache.insert(4, 0.4);  // 1 is the oldest
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.contains(1));
  cache.insert(5, 0.5);  // then 2
  EXPECT_FALSE(cache.contains(2));
  EXPECT_TRUE(cache.contains(3));
  EXPECT_TRUE(cache.contains(4));
  EXPECT_TRUE(cache.contains(5));
}

TEST(FecCache, AHitMovesTheEntryToTheFront) {
  FecCache cache(3, 0);
  cache.insert(1, 0.1);
  cache.insert(2, 0.2);
  cache.insert(3, 0.3);
  EXPECT_EQ(cache.lookup(1), 0.1);  // 1 is now the most recent; 2 the least
  cache.insert(4, 0.4);
  EXPECT_TRUE(cache.contains(1));
  EXPECT_FALSE(cache.contains(2));
  cache.insert(5, 0.5);  // then 3 goes
  EXPECT_FALSE(cache.contains(3));
  EXPECT_TRUE(cache.contains(1));
}

TEST(FecCache, ReinsertingAKeyRefreshesItsPositionAndValue) {
  FecCache cache(3, 0);
  cache.insert(1, 0.1);
  cache.insert(2, 0.2);
  cache.insert(3, 0.3);
  cache.insert(1, 0.9);
  EXPECT_EQ(cache.size(), 3u);
  cache.insert(4, 0.4);
  EXPECT_FALSE(cache.contains(2));
  EXPECT_EQ(cache.lookup(1), 0.9);
}

TEST(FecCache, ForgetEveryErasesTheEntryOnTheHitThatReachesTheCountButStillReturnsIt) {
  // An entry starts with count 1 on insertion and each hit adds 1; the hit that brings the count to forget_every
  // returns the cached value and erases the entry (spec §10). With forget_every = 3: the 1st hit keeps it (count
  // 2), the 2nd hit returns it and erases it (count 3), the next lookup misses.
  FecCache cache(10, 3);
  cache.insert(5, 0.625);
  EXPECT_EQ(cache.lookup(5), 0.625);
  EXPECT_TRUE(cache.contains(5));
  EXPECT_EQ(cache.lookup(5), 0.625);
  EXPECT_FALSE(cache.contains(5));
  EXPECT_EQ(cache.lookup(5), std::nullopt);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.size(), 0u);
  // Reinserted, the count starts again.
  cache.insert(5, 0.5);
  EXPECT_EQ(cache.lookup(5), 0.5);
  EXPECT_TRUE(cache.contains(5));
}

TEST(FecCache, ForgetEveryTwoErasesOnTheFirstHit) {
  FecCache cache(10, 2);
  cache.insert(9, 0.3);
  EXPECT_EQ(cache.lookup(9), 0.3);
  EXPECT_FALSE(cache.contains(9));
}

TEST(FecCache, ForgetEveryZeroNeverForgets) {
  FecCache cache(10, 0);
  cache.insert(5, 0.5);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(cache.lookup(5), 0.5) << "lookup " << i;
  EXPECT_EQ(cache.hits(), 1000u);
}

TEST(FecCache, ForgettingOneEntryLeavesTheOthers) {
  FecCache cache(10, 2);
  cache.insert(1, 0.1);
  cache.insert(2, 0.2);
  (void)cache.lookup(1);
  EXPECT_FALSE(cache.contains(1));
  EXPECT_TRUE(cache.contains(2));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(FecCache, CapacityMustExceedOne) {
  // The original checks cache_size > 1.
  EXPECT_THROW(FecCache(1, 0), std::logic_error);
  EXPECT_NO_THROW(FecCache(2, 0));
}

// The cache's flat tables against the plainest LRU there is (a std::list in recency order and a map into it),
// through a long random mix of lookups and inserts over keys that share slots of the open-addressing table: every
// answer, size and count must agree at every step, for several capacities and forget_every values.
class ModelCache {
 public:
  ModelCache(size_t capacity, int forget_every) : capacity_(capacity), forget_every_(forget_every) {}
  std::optional<double> lookup(uint64_t key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    const auto entry = it->second;
    const double fitness = entry->fitness;
    if (forget_every_ != 0 && ++entry->hits >= forget_every_) {
      entries_.erase(entry);
      index_.erase(it);
    } else {
      entries_.splice(entries_.begin(), entries_, entry);
    }
    return fitness;
  }
  void insert(uint64_t key, double fitness) {
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
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t key;
    double fitness;
    int hits;
  };
  size_t capacity_;
  int forget_every_;
  std::list<Entry> entries_;
  std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;
};

TEST(FecCache, AgreesWithAPlainLruModelOnRandomOperations) {
  for (size_t capacity : {size_t{2}, size_t{7}, size_t{300}, size_t{5000}})
    for (int forget_every : {0, 2, 5, 100}) {
      SCOPED_TRACE("capacity " + std::to_string(capacity) + ", forget_every " + std::to_string(forget_every));
      FecCache cache(capacity, forget_every);
      ModelCache model(capacity, forget_every);
      SearchRng rng(capacity * 131 + static_cast<uint64_t>(forget_every));
      uint64_t hits = 0, misses = 0;
      const uint32_t key_space = static_cast<uint32_t>(capacity * 3 + 10);
      for (int op = 0; op < 60000; ++op) {
        // Keys differ only in their high bits every 4th time: same home slot, found through the full key.
        uint64_t key = rng.uniform_below(key_space);
        if (op % 4 == 0) key |= static_cast<uint64_t>(rng.uniform_below(4)) << 40;
        if (rng.bernoulli(0.6)) {
          const auto got = cache.lookup(key);
          const auto want = model.lookup(key);
          ASSERT_EQ(got, want) << "lookup " << op << " of key " << key;
          (want ? hits : misses)++;
        } else {
          const double f = rng.uniform_double();
          cache.insert(key, f);
          model.insert(key, f);
        }
        ASSERT_EQ(cache.size(), model.size()) << "after operation " << op;
      }
      EXPECT_EQ(cache.hits(), hits);
      EXPECT_EQ(cache.misses(), misses);
      EXPECT_GT(hits, 1000u);  // the mix really exercises hits, forgetting and eviction
    }
}

TEST(FecKey, DependsOnFingerprintTaskIndexAndFullTrainSteps) {
  const uint64_t base = fec_key(12345, 0, 100);
  EXPECT_EQ(fec_key(12345, 0, 100), base);
  EXPECT_NE(fec_key(12346, 0, 100), base);
  // The same behaviour on another task is another entry: caching is per (behaviour, task).
  EXPECT_NE(fec_key(12345, 1, 100), base);
  // A budget-rejected run (0 full steps) never shares a fitness with an accepted one.
  EXPECT_NE(fec_key(12345, 0, 0), base);
  // Across a grid of small values every key is distinct (no trivial collisions such as task+steps folding).
  std::set<uint64_t> keys;
  for (uint64_t fp : {0ull, 1ull, 42ull, 0xFFFFFFFFFFFFFFFFull})
    for (uint32_t task = 0; task < 10; ++task)
      for (uint32_t steps : {0u, 1u, 10u, 100u, 1000u}) keys.insert(fec_key(fp, task, steps));
  EXPECT_EQ(keys.size(), 4u * 10u * 5u);
}

}  // namespace
}  // namespace amlz
