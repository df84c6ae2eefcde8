// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/candidate_evaluator.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/hash.h"
#include "amlz/error.h"
#include "eval/thread_pool.h"

namespace amlz {

// Buffers kept from batch to batch. prepare() and evaluate() have separate ones: a search may run them at once.
struct CandidateEvaluator::Scratch {
  struct Prepare {
    std::vector<Program> compiled;  // per candidate; grows to the largest batch, each code buffer to its largest
    std::vector<LiveMarks> marks;   // per host thread
    std::vector<uint8_t> failed;    // per candidate: verification failed
  } prepare;
  // A behaviour first seen in a batch (per group), until its full evaluation: an open-addressing table of
  // (pending key, index into the slots + 1; 0 = empty), at most half full.
  struct PendingEntry {
    uint64_t key;
    uint32_t k1;
  };
  std::vector<PendingEntry> pending;
  std::vector<WorkItem> fp_items, items;
  std::vector<uint64_t> keys;
  std::vector<uint8_t> source;
  std::vector<size_t> item_slot, slots;
  std::vector<double> combine;
  std::vector<uint8_t> active;
  std::mutex pool_mutex;  // the pool runs one job at a time; prepare() and evaluate() may both want it
};

CandidateEvaluator::CandidateEvaluator(Evaluator& evaluator, const TaskSet& tasks, CandidateEvalOptions options,
                                       size_t groups)
    : evaluator_(evaluator), tasks_(tasks), options_(std::move(options)), scratch_(std::make_unique<Scratch>()) {
  AMLZ_CHECK(groups >= 1, "at least one cache group");
  AMLZ_CHECK(options_.host_threads >= 0 && options_.host_chunk >= 1, "host threads >= 0, chunks of >= 1 candidate");
  if (options_.fec.enabled)
    for (size_t g = 0; g < groups; ++g)
      caches_.emplace_back(static_cast<size_t>(options_.fec.cache_size), options_.fec.forget_every);
  if (options_.host_threads != 1) {
    pool_ = std::make_unique<ThreadPool>(options_.host_threads);
    if (pool_->size() == 1) pool_.reset();
  }
  scratch_->prepare.marks.resize(static_cast<size_t>(host_threads()));
}

CandidateEvaluator::~CandidateEvaluator() = default;

int CandidateEvaluator::host_threads() const { return pool_ ? pool_->size() : 1; }

template <class Fn>
void CandidateEvaluator::for_chunks(size_t n, const Fn& fn) const {
  const size_t chunk = options_.host_chunk, chunks = (n + chunk - 1) / chunk;
  if (!pool_ || chunks <= 1) {
    if (n > 0) fn(0, 0, n);
    return;
  }
  // One pointer captured: the std::function stays within its small buffer (no allocation per batch).
  struct Job {
    const Fn* fn;
    size_t n, chunk;
  } job{&fn, n, chunk};
  std::lock_guard<std::mutex> lock(scratch_->pool_mutex);
  pool_->parallel_for(chunks, 1, [j = &job](int worker, size_t c) {
    (*j->fn)(worker, c * j->chunk, std::min(j->n, (c + 1) * j->chunk));
  });
}

uint64_t CandidateEvaluator::fec_hits() const {
  uint64_t h = 0;
  for (const FecCache& c : caches_) h += c.hits();
  return h;
}

uint64_t CandidateEvaluator::fec_lookups() const {
  uint64_t n = 0;
  for (const FecCache& c : caches_) n += c.hits() + c.misses();
  return n;
}

PreparedBatch CandidateEvaluator::prepare(const std::vector<const Algorithm*>& algorithms,
                                          const std::vector<uint32_t>& eval_seeds,
                                          const std::vector<uint32_t>& groups) const {
  PreparedBatch prepared;
  prepare(algorithms, eval_seeds, groups, prepared);
  return prepared;
}

void CandidateEvaluator::prepare(const std::vector<const Algorithm*>& algorithms,
                                 const std::vector<uint32_t>& eval_seeds, const std::vector<uint32_t>& groups,
                                 PreparedBatch& out) const {
  AMLZ_CHECK(algorithms.size() == eval_seeds.size(), "one evaluation seed per algorithm");
  AMLZ_CHECK(groups.empty() || groups.size() == algorithms.size(), "one cache group per algorithm");
  const size_t n = algorithms.size(), nt = tasks_.size();
  Scratch::Prepare& sc = scratch_->prepare;
  if (sc.compiled.size() < n) sc.compiled.resize(n);
  sc.failed.assign(n, 0);
  out.full_steps.resize(n * nt);
  // Each candidate on its own: compiled into its own buffer, verified, budgeted (training steps each (candidate,
  // task) may use: all, or 0 when the budget rejects it there).
  for_chunks(n, [&](int worker, size_t first, size_t last) {
    LiveMarks& marks = sc.marks[static_cast<size_t>(worker)];
    for (size_t i = first; i < last; ++i) {
      compile_into(*algorithms[i], sc.compiled[i], marks);
      // Only a flag here: the message of the first failing candidate is built below, whichever thread found it.
      if (verify(sc.compiled[i])) sc.failed[i] = 1;
      for (size_t t = 0; t < nt; ++t)
        out.full_steps[i * nt + t] = options_.budget ? options_.budget->train_steps(*algorithms[i], tasks_.tasks[t])
                                                     : tasks_.tasks[t].max_train_steps();
    }
  });
  for (size_t i = 0; i < n; ++i)
    if (sc.failed[i])
      throw std::logic_error("compiled program fails verification (" + verify(sc.compiled[i]).value_or("?") + "):\n" +
                             to_text(*algorithms[i]));
  // Packing: the offsets in candidate order (as ProgramBatch::add would give them), then the copies in parallel.
  ProgramBatch& batch = out.programs;
  batch.programs.resize(n);
  size_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    ProgramDesc d = sc.compiled[i].desc;
    d.code_offset = static_cast<uint32_t>(offset);
    d.eval_seed = eval_seeds[i];
    batch.programs[i] = d;
    offset += sc.compiled[i].code.size();
  }
  batch.code.resize(offset);
  for_chunks(n, [&](int, size_t first, size_t last) {
    for (size_t i = first; i < last; ++i)
      std::copy(sc.compiled[i].code.begin(), sc.compiled[i].code.end(),
                batch.code.begin() + batch.programs[i].code_offset);
  });
  out.groups.assign(groups.begin(), groups.end());
}

void CandidateEvaluator::evaluate_slots(const PreparedBatch& prepared, const std::vector<size_t>& slots,
                                        std::vector<CandidateResult>& results) {
  const size_t nt = tasks_.size(), ns = slots.size();
  const ProgramBatch& batch = prepared.programs;
  const std::vector<uint32_t>& full_steps = prepared.full_steps;
  auto group_of = [&](size_t candidate) -> size_t {
    if (prepared.groups.empty()) return 0;
    AMLZ_CHECK(prepared.groups[candidate] < caches_.size() || caches_.empty(), "cache group out of range");
    return prepared.groups[candidate];
  };
  EvalRequest full;
  full.max_abs_error = options_.max_abs_error;
  Scratch& sc = *scratch_;

  // Per slot (index into `slots`): how its fitness is found.
  enum Source : uint8_t { Full, Cached, SameAsPending };
  sc.source.assign(ns, Full);
  std::vector<uint64_t>& keys = sc.keys;
  auto pending_key = [&](size_t k) {
    return keys[k] ^ (static_cast<uint64_t>(group_of(slots[k] / nt)) * 0x9E3779B97F4A7C15ull);
  };
  // A behaviour first seen in this batch, per group: resolved after its one full evaluation.
  const size_t pending_mask = [&] {
    size_t size = 16;
    while (size < 2 * ns) size *= 2;
    sc.pending.assign(size, Scratch::PendingEntry{0, 0});
    return size - 1;
  }();
  // The first slot with slot k's pending key, or ns after recording k as the first.
  auto first_pending = [&](size_t k) -> size_t {
    const uint64_t key = pending_key(k);
    for (size_t i = static_cast<size_t>(hash_combine(key, 0)) & pending_mask;; i = (i + 1) & pending_mask) {
      Scratch::PendingEntry& e = sc.pending[i];
      if (e.k1 == 0) {
        e = {key, static_cast<uint32_t>(k + 1)};
        return ns;
      }
      if (e.key == key) return e.k1 - 1;
    }
  };

  if (!caches_.empty()) {
    EvalRequest fp = full;
    fp.mode = EvalMode::Fingerprint;
    sc.fp_items.resize(ns);
    for (size_t k = 0; k < ns; ++k) {
      const size_t s = slots[k];
      sc.fp_items[k] = {
          static_cast<uint32_t>(s / nt), static_cast<uint32_t>(s % nt),
          std::min<uint32_t>(static_cast<uint32_t>(options_.fec.num_train), tasks_.tasks[s % nt].max_train_steps()),
          static_cast<uint32_t>(options_.fec.num_valid)};
    }
    const std::vector<TaskResult> fps = evaluator_.evaluate(batch, tasks_, sc.fp_items, fp);
    // The keys on the host threads (each slot's its own); the cache in slot order on this one.
    keys.resize(ns);
    for_chunks(ns, [&](int, size_t first, size_t last) {
      for (size_t k = first; k < last; ++k)
        keys[k] = fec_key(fps[k].fingerprint, static_cast<uint32_t>(slots[k] % nt), full_steps[slots[k]]);
    });
    constexpr size_t kAhead = 8;  // lookups whose table slot is being loaded while this one is made
    for (size_t k = 0; k < std::min(ns, kAhead); ++k) caches_[group_of(slots[k] / nt)].prefetch(keys[k]);
    for (size_t k = 0; k < ns; ++k) {
      if (k + kAhead < ns) caches_[group_of(slots[k + kAhead] / nt)].prefetch(keys[k + kAhead]);
      const size_t s = slots[k];
      results[s / nt].train_steps += fps[k].train_steps;
      if (auto hit = caches_[group_of(s / nt)].lookup(keys[k])) {
        sc.source[k] = Cached;
        results[s / nt].task_fitness[s % nt] = *hit;
        ++results[s / nt].fec_hits;
      } else if (first_pending(k) != ns) {
        sc.source[k] = SameAsPending;
      }
    }
  }
  sc.items.clear();
  sc.item_slot.clear();  // index into `slots` of each full work item
  for (size_t k = 0; k < ns; ++k) {
    if (sc.source[k] != Full) continue;
    const size_t s = slots[k];
    sc.items.push_back({static_cast<uint32_t>(s / nt), static_cast<uint32_t>(s % nt), full_steps[s],
                        static_cast<uint32_t>(tasks_.tasks[s % nt].n_valid)});
    sc.item_slot.push_back(k);
  }
  const std::vector<TaskResult> evaluated = evaluator_.evaluate(batch, tasks_, sc.items, full);
  if (!caches_.empty())
    for (size_t k : sc.item_slot) caches_[group_of(slots[k] / nt)].prefetch(keys[k]);
  for (size_t i = 0; i < sc.items.size(); ++i) {
    const size_t k = sc.item_slot[i], s = slots[k];
    results[s / nt].task_fitness[s % nt] = evaluated[i].fitness;
    results[s / nt].train_steps += evaluated[i].train_steps;
    if (!caches_.empty()) caches_[group_of(s / nt)].insert(keys[k], evaluated[i].fitness);
  }
  // Later copies of a behaviour first seen in this batch (in the same group) are cache hits, as they would be one
  // child at a time (the entry may already have been forgotten or evicted again; the fitness is the one computed).
  for (size_t k = 0; k < ns; ++k) {
    if (sc.source[k] != SameAsPending) continue;
    const size_t s = slots[k], first = slots[first_pending(k)];
    (void)caches_[group_of(s / nt)].lookup(keys[k]);
    results[s / nt].task_fitness[s % nt] = results[first / nt].task_fitness[first % nt];
    ++results[s / nt].fec_hits;
  }
}

std::vector<CandidateResult> CandidateEvaluator::evaluate(const PreparedBatch& prepared, const StagePlan* plan) {
  std::vector<CandidateResult> results;
  evaluate(prepared, plan, results);
  return results;
}

void CandidateEvaluator::evaluate(const PreparedBatch& prepared, const StagePlan* plan,
                                  std::vector<CandidateResult>& results) {
  const size_t n = prepared.size(), nt = tasks_.size();
  results.resize(n);
  for (CandidateResult& r : results) {
    std::vector<double> task_fitness = std::move(r.task_fitness), stage_fitness = std::move(r.stage_fitness);
    task_fitness.assign(nt, 0.0);
    stage_fitness.clear();
    r = CandidateResult{};
    r.task_fitness = std::move(task_fitness);
    r.stage_fitness = std::move(stage_fitness);
  }
  const StagePlan everything{{nt}, {}};
  const StagePlan& stages = plan ? *plan : everything;
  AMLZ_CHECK(stages.stages() >= 1 && stages.stage_ends.back() == nt, "a stage plan covers the tasks once");
  for (const auto& h : stages.hurdles) AMLZ_CHECK(h.size() + 1 == stages.stages(), "a hurdle between stages");

  Scratch& sc = *scratch_;
  sc.active.assign(n, 1);
  size_t begin = 0;
  for (size_t stage = 0; stage < stages.stages(); ++stage) {
    const size_t end = stages.stage_ends[stage];
    AMLZ_CHECK(end > begin && end <= nt, "stages must grow");
    sc.slots.clear();
    for (size_t i = 0; i < n; ++i)
      if (sc.active[i])
        for (size_t t = begin; t < end; ++t) sc.slots.push_back(i * nt + t);
    evaluate_slots(prepared, sc.slots, results);
    const bool last = stage + 1 == stages.stages();
    for (size_t i = 0; i < n; ++i) {
      if (!sc.active[i]) continue;
      CandidateResult& r = results[i];
      sc.combine.assign(r.task_fitness.begin(), r.task_fitness.begin() + static_cast<std::ptrdiff_t>(end));
      r.fitness = combine_fitness_in_place(sc.combine.data(), end, options_.combination);
      if (last) continue;
      r.stage_fitness.push_back(r.fitness);
      // Below the hurdle: stop here, keeping the fitness so far; the tasks not run are the work saved.
      const size_t group = prepared.groups.empty() ? 0 : prepared.groups[i];
      if (r.fitness < stages.hurdles.at(group)[stage]) {
        sc.active[i] = 0;
        r.stopped_by_hurdle = true;
        for (size_t t = end; t < nt; ++t) r.steps_avoided += prepared.full_steps[i * nt + t];
      }
    }
    begin = end;
  }
  for (CandidateResult& r : results) {
    train_steps_ += r.train_steps;
    steps_avoided_ += r.steps_avoided;
  }
}

}  // namespace amlz
