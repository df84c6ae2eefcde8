// SPDX-License-Identifier: Apache-2.0
// Fitness of whole candidates (algorithms) on a task set, on any backend: compiles them, applies the train budget,
// runs the FEC fingerprint pass and cache (spec §9-10), evaluates the misses in one batch and combines the task
// fitnesses. Counts every training step it causes, FEC pre-runs included.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "amlz/core/algorithm.h"
#include "amlz/eval/evaluator.h"
#include "amlz/eval/fitness.h"
#include "amlz/search/fec_cache.h"
#include "amlz/search/train_budget.h"

namespace amlz {

class ThreadPool;

struct CandidateEvalOptions {
  Combination combination = Combination::Mean;
  float max_abs_error = 100.0f;
  FecConfig fec;                      // disabled: every candidate is fully evaluated
  std::optional<TrainBudget> budget;  // absent: every task gets all its training steps
  // Host threads that compile, verify, budget and pack candidates (prepare) and compute the FEC keys, each taking
  // `host_chunk` candidates at a time; 0 = one per hardware thread. The results are the same for every count: each
  // candidate's work is its own, and the FEC cache is looked up and updated on one thread in candidate order.
  int host_threads = 1;
  size_t host_chunk = 32;
  bool time_host = false;  // keep HostTimings (a few clock reads per batch)
};

// Progressive dynamic hurdles (paper §3.2, So et al. 2019) for one batch: the search tasks are evaluated in
// stages, and after every stage but the last a candidate whose fitness so far is below that stage's hurdle stops
// there and keeps that fitness.
struct StagePlan {
  std::vector<size_t> stage_ends;  // cumulative task counts, the last one the task count: {2, 10} = tasks 0-1, 2-9
  // Per cache group (island), one hurdle per stage but the last; -inf lets everyone through.
  std::vector<std::vector<double>> hurdles;
  size_t stages() const { return stage_ends.size(); }
};

struct CandidateResult {
  double fitness = 0.0;
  std::vector<double> task_fitness;   // 0 for tasks a hurdle spared it
  std::vector<double> stage_fitness;  // the fitness after each stage it reached (with hurdles)
  uint64_t train_steps = 0;           // caused by this candidate, FEC pre-run included
  uint64_t steps_avoided = 0;         // the full training steps of the tasks a hurdle spared it
  uint32_t fec_hits = 0;              // tasks answered from a cache
  bool stopped_by_hurdle = false;
};

// Candidates compiled and budgeted, ready for the backend: the host-side half of an evaluation, which a search
// can do for the next batch while the current one runs.
struct PreparedBatch {
  ProgramBatch programs;
  std::vector<uint32_t> full_steps;  // per (candidate, task): the task's training steps, or 0 if over budget
  std::vector<uint32_t> groups;      // per candidate: whose FEC cache it uses (its island); empty = all group 0
  size_t size() const { return programs.size(); }
};

// Seconds: elapsed, and CPU time of the whole process (all its threads: spread over several threads, the work
// itself and what they lose to handing it out; and not the time the system gave to other processes).
struct HostTime {
  double wall = 0, cpu = 0;
};

// Where a CandidateEvaluator's time went, summed over its batches, when CandidateEvalOptions::time_host is set
// (`amlz bench --workloads host` reads it). Parallel: spread over the host threads; serial: on the calling thread.
// The CPU times are the whole process's: they mean what they say only while prepare() and evaluate() do not
// overlap (the bench's case). Read it when neither runs.
struct HostTimings {
  HostTime prepare_parallel;  // compile, verify, budget, copying into the packed batch
  HostTime prepare_serial;    // packing offsets in candidate order
  HostTime fingerprint;       // the evaluator's FEC pre-run (its own threads, or the device)
  HostTime fec_keys;          // the FEC keys from the fingerprints (parallel)
  HostTime fec_items;         // the work items of both passes, slots grouped by cache (serial)
  HostTime fec_cache;         // cache lookups, inserts, the batch's duplicates (each group's serial; groups parallel)
  HostTime full;              // the evaluator's full evaluations
  uint64_t prepared = 0;      // candidates prepared
};

class CandidateEvaluator {
 public:
  // `groups`: how many separate FEC caches (one per island: a child's behaviour is looked up among its own island's
  // earlier children only, so an island's results do not depend on which other islands share the process).
  CandidateEvaluator(Evaluator& evaluator, const TaskSet& tasks, CandidateEvalOptions options, size_t groups = 1);
  ~CandidateEvaluator();
  CandidateEvaluator(const CandidateEvaluator&) = delete;
  CandidateEvaluator& operator=(const CandidateEvaluator&) = delete;

  // One result per algorithm. eval_seeds[i] keys the random ops of algorithm i in its full evaluation.
  std::vector<CandidateResult> evaluate(const std::vector<const Algorithm*>& algorithms,
                                        const std::vector<uint32_t>& eval_seeds) {
    return evaluate(prepare(algorithms, eval_seeds));
  }
  // Compiles, verifies and budgets; touches no evaluator state, so it may run beside evaluate() on another thread.
  // `groups` (optional): each algorithm's cache group.
  PreparedBatch prepare(const std::vector<const Algorithm*>& algorithms, const std::vector<uint32_t>& eval_seeds,
                        const std::vector<uint32_t>& groups = {}) const;
  // The same into `out`, reusing its buffers: once they have grown to a batch's size, preparing another batch of
  // that size allocates nothing. Not to be called from two threads at once (it shares scratch buffers).
  void prepare(const std::vector<const Algorithm*>& algorithms, const std::vector<uint32_t>& eval_seeds,
               const std::vector<uint32_t>& groups, PreparedBatch& out) const;
  // FEC pass, full evaluation of the misses, combination; in stages when a plan is given.
  std::vector<CandidateResult> evaluate(const PreparedBatch& batch, const StagePlan* stages = nullptr);
  // The same into `results` (resized to the batch), reusing each result's buffers.
  void evaluate(const PreparedBatch& batch, const StagePlan* stages, std::vector<CandidateResult>& results);

  uint64_t train_steps() const { return train_steps_; }
  uint64_t steps_avoided() const { return steps_avoided_; }
  uint64_t fec_hits() const;
  uint64_t fec_lookups() const;
  const TaskSet& tasks() const { return tasks_; }
  int host_threads() const;
  HostTimings host_timings() const;
  // The cache of a group, for checkpoints (nullptr without FEC).
  FecCache* cache(size_t group) { return caches_.empty() ? nullptr : &caches_[group]; }
  // A checkpoint's counters, on resuming.
  void restore_counters(uint64_t train_steps, uint64_t steps_avoided) {
    train_steps_ = train_steps;
    steps_avoided_ = steps_avoided;
  }

 private:
  // One (candidate, task) to evaluate, and the candidate's cache group.
  struct SlotRef {
    uint32_t candidate, task, group;
  };
  // FEC lookup and full evaluation of the slots given.
  void evaluate_slots(const PreparedBatch& batch, const std::vector<SlotRef>& slots,
                      std::vector<CandidateResult>& results);

  // Calls fn(worker, first, last) on the host threads for chunks of [0, n) of `chunk` (all on the caller when there
  // is one thread or one chunk). What `fn` computes must not depend on which thread (worker) runs it.
  template <class Fn>
  void for_chunks(size_t n, size_t chunk, const Fn& fn) const;
  size_t first_pending(size_t group, size_t slot);  // the FEC pass's batch duplicates (see the .cpp)

  struct Scratch;  // buffers reused from batch to batch (prepare's and the FEC pass's)

  Evaluator& evaluator_;
  const TaskSet& tasks_;
  CandidateEvalOptions options_;
  std::vector<FecCache> caches_;  // one per group, or none
  uint64_t train_steps_ = 0, steps_avoided_ = 0;
  std::unique_ptr<ThreadPool> pool_;  // the host threads; null with one
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace amlz
