// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/candidate_evaluator.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <mutex>
#include <string>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/hash.h"
#include "amlz/error.h"
#include "amlz/thread_pool.h"

namespace amlz {

// Buffers kept from batch to batch. prepare() and evaluate() have separate ones: a search may run them at once.
struct CandidateEvaluator::Scratch {
  struct Prepare {
    std::vector<Program> compiled;  // per candidate; grows to the largest batch, each code buffer to its largest
    std::vector<LiveMarks> marks;   // per host thread
    std::vector<uint8_t> failed;    // per candidate: verification failed
    HostTimings timings;            // its parts
  } prepare;
  HostTimings timings;  // evaluate()'s parts
  // A behaviour first seen in a batch (per group), until its full evaluation: open-addressing tables of
  // (key, first slot), one per group, each at most half full.
  // Entries of an earlier batch (another epoch) count as empty, so the table is not cleared per batch.
  struct PendingEntry {
    uint64_t key;
    uint32_t slot;  // index into the slots
    uint32_t epoch;
  };
  std::vector<PendingEntry> pending;   // one region per group
  std::vector<size_t> pending_region;  // group g's region: [pending_region[g], pending_region[g + 1])
  uint32_t pending_epoch = 0;
  std::vector<size_t> group_begin, group_fill;  // per group: where its slots start in group_slots
  std::vector<uint32_t> group_slots;            // slot indices, group by group, in slot order within each
  std::vector<uint32_t> item_of_slot;           // per slot evaluated in full: its work item
  std::vector<WorkItem> fp_items, items;
  std::vector<uint64_t> keys;
  std::vector<uint8_t> source;
  std::vector<SlotRef> slots;
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

HostTimings CandidateEvaluator::host_timings() const {
  HostTimings t = scratch_->timings;
  t.prepare_parallel = scratch_->prepare.timings.prepare_parallel;
  t.prepare_serial = scratch_->prepare.timings.prepare_serial;
  t.prepared = scratch_->prepare.timings.prepared;
  return t;
}

namespace {

// Adds the time since the last lap to a stage (nothing when off: a search does not pay for the clocks).
class StageClock {
 public:
  explicit StageClock(bool on) : on_(on) {
    if (on_) read(wall_, cpu_);
  }
  void lap(HostTime& stage) {
    if (!on_) return;
    double wall, cpu;
    read(wall, cpu);
    stage.wall += wall - wall_;
    stage.cpu += cpu - cpu_;
    wall_ = wall;
    cpu_ = cpu;
  }

 private:
  static double seconds(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  static void read(double& wall, double& cpu) {
    wall = seconds(CLOCK_MONOTONIC);
    cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
  }
  bool on_;
  double wall_ = 0, cpu_ = 0;
};

}  // namespace

template <class Fn>
void CandidateEvaluator::for_chunks(size_t n, size_t chunk, const Fn& fn) const {
  const size_t chunks = (n + chunk - 1) / chunk;
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
  StageClock clock(options_.time_host);
  if (sc.compiled.size() < n) sc.compiled.resize(n);
  sc.failed.assign(n, 0);
  out.full_steps.resize(n * nt);
  // Every thread's liveness marks sized for the batch's longest component now: whichever thread takes which chunk,
  // a batch no longer than an earlier one allocates nothing.
  size_t longest = 0;
  for (const Algorithm* a : algorithms)
    longest = std::max({longest, a->setup.size(), a->predict.size(), a->learn.size()});
  for (LiveMarks& marks : sc.marks)
    for (std::vector<uint8_t>& m : marks) m.reserve(longest);
  // Each candidate on its own: compiled into its own buffer, verified, budgeted (training steps each (candidate,
  // task) may use: all, or 0 when the budget rejects it there).
  CompileOptions compile_options;
  compile_options.labels = tasks_.labels();
  for_chunks(n, options_.host_chunk, [&](int worker, size_t first, size_t last) {
    LiveMarks& marks = sc.marks[static_cast<size_t>(worker)];
    for (size_t i = first; i < last; ++i) {
      compile_into(*algorithms[i], sc.compiled[i], marks, compile_options);
      // Only a flag here: the message of the first failing candidate is built below, whichever thread found it.
      if (verify(sc.compiled[i])) sc.failed[i] = 1;
      for (size_t t = 0; t < nt; ++t)
        out.full_steps[i * nt + t] = options_.budget ? options_.budget->train_steps(*algorithms[i], tasks_.tasks[t])
                                                     : tasks_.tasks[t].max_train_steps();
    }
  });
  clock.lap(sc.timings.prepare_parallel);
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
  out.groups.assign(groups.begin(), groups.end());
  clock.lap(sc.timings.prepare_serial);
  for_chunks(n, options_.host_chunk, [&](int, size_t first, size_t last) {
    for (size_t i = first; i < last; ++i)
      std::copy(sc.compiled[i].code.begin(), sc.compiled[i].code.end(),
                batch.code.begin() + batch.programs[i].code_offset);
  });
  clock.lap(sc.timings.prepare_parallel);
  sc.timings.prepared += n;
}

void CandidateEvaluator::evaluate_slots(const PreparedBatch& prepared, const std::vector<SlotRef>& slots,
                                        std::vector<CandidateResult>& results) {
  const size_t nt = tasks_.size(), ns = slots.size(), ng = caches_.size();
  const ProgramBatch& batch = prepared.programs;
  EvalRequest full;
  full.max_abs_error = options_.max_abs_error;
  Scratch& sc = *scratch_;
  StageClock clock(options_.time_host);
  auto steps_of = [&](const SlotRef& r) { return prepared.full_steps[r.candidate * nt + r.task]; };

  // Per slot (index into `slots`): how its fitness is found.
  enum Source : uint8_t { Full, Cached, SameAsPending };
  sc.source.assign(ns, Full);
  std::vector<uint64_t>& keys = sc.keys;

  if (!caches_.empty()) {
    EvalRequest fp = full;
    fp.mode = EvalMode::Fingerprint;
    sc.fp_items.resize(ns);
    for (size_t k = 0; k < ns; ++k) {
      const SlotRef& r = slots[k];
      sc.fp_items[k] = {
          r.candidate, r.task,
          std::min<uint32_t>(static_cast<uint32_t>(options_.fec.num_train), tasks_.tasks[r.task].max_train_steps()),
          static_cast<uint32_t>(options_.fec.num_valid)};
    }
    // Each group's slots in slot order (a stable counting sort): the groups' caches are independent, so each
    // group's lookups and inserts may run on its own thread, in slot order within it.
    sc.group_begin.assign(ng + 1, 0);
    for (const SlotRef& r : slots) ++sc.group_begin[r.group + 1];
    for (size_t g = 0; g < ng; ++g) sc.group_begin[g + 1] += sc.group_begin[g];
    sc.group_fill.assign(sc.group_begin.begin(), sc.group_begin.end() - 1);
    sc.group_slots.resize(ns);
    for (size_t k = 0; k < ns; ++k) sc.group_slots[sc.group_fill[slots[k].group]++] = static_cast<uint32_t>(k);
    // Each group's region of the pending table: a power of two at least twice its slots.
    sc.pending_region.resize(ng + 1);
    size_t total = 0;
    for (size_t g = 0; g < ng; ++g) {
      size_t size = 16;
      while (size < 2 * (sc.group_begin[g + 1] - sc.group_begin[g])) size *= 2;
      sc.pending_region[g] = total;
      total += size;
    }
    sc.pending_region[ng] = total;
    if (sc.pending.size() < total || ++sc.pending_epoch == 0) {
      sc.pending.assign(std::max(total, sc.pending.size()), Scratch::PendingEntry{0, 0, 0});
      sc.pending_epoch = 1;
    }
    clock.lap(sc.timings.fec_items);
    const std::vector<TaskResult> fps = evaluator_.evaluate(batch, tasks_, sc.fp_items, fp);
    clock.lap(sc.timings.fingerprint);
    // The keys on the host threads (each slot's its own).
    keys.resize(ns);
    for_chunks(ns, options_.host_chunk, [&](int, size_t first, size_t last) {
      for (size_t k = first; k < last; ++k) keys[k] = fec_key(fps[k].fingerprint, slots[k].task, steps_of(slots[k]));
    });
    clock.lap(sc.timings.fec_keys);
    for_chunks(ng, 1, [&](int, size_t g0, size_t g1) {
      for (size_t g = g0; g < g1; ++g) {
        FecCache& cache = caches_[g];
        const uint32_t* order = sc.group_slots.data() + sc.group_begin[g];
        const size_t count = sc.group_begin[g + 1] - sc.group_begin[g];
        // Memory is the cost of a lookup: the table slot of the lookup 16 ahead and the entry of the one 8 ahead are
        // being loaded while this one is made.
        constexpr size_t kSlotAhead = 16, kEntryAhead = 8;
        for (size_t j = 0; j < std::min(count, kSlotAhead); ++j) cache.prefetch(keys[order[j]]);
        for (size_t j = 0; j < count; ++j) {
          if (j + kSlotAhead < count) cache.prefetch(keys[order[j + kSlotAhead]]);
          if (j + kEntryAhead < count) cache.prefetch_entry(keys[order[j + kEntryAhead]]);
          const size_t k = order[j];
          const SlotRef& r = slots[k];
          CandidateResult& result = results[r.candidate];  // a candidate's slots are all in its group
          result.train_steps += fps[k].train_steps;
          if (auto hit = cache.lookup(keys[k])) {
            sc.source[k] = Cached;
            result.task_fitness[r.task] = *hit;
            ++result.fec_hits;
          } else if (first_pending(g, k) != ns) {
            sc.source[k] = SameAsPending;
          }
        }
      }
    });
    clock.lap(sc.timings.fec_cache);
  }
  sc.items.clear();
  sc.item_of_slot.resize(ns);
  for (size_t k = 0; k < ns; ++k) {
    if (sc.source[k] != Full) continue;
    const SlotRef& r = slots[k];
    sc.item_of_slot[k] = static_cast<uint32_t>(sc.items.size());
    sc.items.push_back({r.candidate, r.task, steps_of(r), static_cast<uint32_t>(tasks_.tasks[r.task].n_valid)});
  }
  clock.lap(sc.timings.fec_items);
  const std::vector<TaskResult> evaluated = evaluator_.evaluate(batch, tasks_, sc.items, full);
  clock.lap(sc.timings.full);
  if (caches_.empty()) {
    for (size_t k = 0; k < ns; ++k) {
      const size_t i = sc.item_of_slot[k];
      results[slots[k].candidate].task_fitness[slots[k].task] = evaluated[i].fitness;
      results[slots[k].candidate].train_steps += evaluated[i].train_steps;
    }
  } else {
    for_chunks(ng, 1, [&](int, size_t g0, size_t g1) {
      for (size_t g = g0; g < g1; ++g) {
        FecCache& cache = caches_[g];
        const uint32_t* order = sc.group_slots.data() + sc.group_begin[g];
        const size_t count = sc.group_begin[g + 1] - sc.group_begin[g];
        for (size_t j = 0; j < count; ++j)
          if (sc.source[order[j]] == Full) cache.prefetch(keys[order[j]]);
        // The full results, into the cache in slot order.
        for (size_t j = 0; j < count; ++j) {
          const size_t k = order[j];
          if (sc.source[k] != Full) continue;
          const size_t i = sc.item_of_slot[k];
          const SlotRef& r = slots[k];
          results[r.candidate].task_fitness[r.task] = evaluated[i].fitness;
          results[r.candidate].train_steps += evaluated[i].train_steps;
          cache.insert(keys[k], evaluated[i].fitness);
        }
        // Later copies of a behaviour first seen in this batch (in the same group) are cache hits, as they would be
        // one child at a time (the entry may already have been forgotten or evicted again; the fitness is the one
        // computed).
        for (size_t j = 0; j < count; ++j) {
          const size_t k = order[j];
          if (sc.source[k] != SameAsPending) continue;
          const SlotRef &r = slots[k], &first = slots[first_pending(g, k)];
          (void)cache.lookup(keys[k]);
          results[r.candidate].task_fitness[r.task] = results[first.candidate].task_fitness[first.task];
          ++results[r.candidate].fec_hits;
        }
      }
    });
  }
  clock.lap(sc.timings.fec_cache);
}

// The first slot of group g with slot k's key in this batch, or the slot count after recording k as the first.
size_t CandidateEvaluator::first_pending(size_t g, size_t k) {
  Scratch& sc = *scratch_;
  const uint64_t key = sc.keys[k];
  const size_t begin = sc.pending_region[g], mask = sc.pending_region[g + 1] - begin - 1;
  const uint32_t epoch = sc.pending_epoch;
  for (size_t i = static_cast<size_t>(hash_combine(key, 0)) & mask;; i = (i + 1) & mask) {
    Scratch::PendingEntry& e = sc.pending[begin + i];
    if (e.epoch != epoch) {
      e = {key, static_cast<uint32_t>(k), epoch};
      return sc.source.size();
    }
    if (e.key == key) return e.slot;
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
    for (size_t i = 0; i < n; ++i) {
      if (!sc.active[i]) continue;
      const uint32_t group = prepared.groups.empty() ? 0 : prepared.groups[i];
      AMLZ_CHECK(caches_.empty() || group < caches_.size(), "cache group out of range");
      for (size_t t = begin; t < end; ++t)
        sc.slots.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(t), group});
    }
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
