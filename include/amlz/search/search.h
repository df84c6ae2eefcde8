// SPDX-License-Identifier: Apache-2.0
// One search experiment: batched regularized evolution (spec §8) or random search, on the search tasks, until
// the training-step budget, a time limit or a stop request.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "amlz/core/enum_names.h"
#include "amlz/core/search_rng.h"
#include "amlz/search/candidate_evaluator.h"
#include "amlz/search/checkpoint.h"
#include "amlz/search/mutator.h"
#include "amlz/search/population.h"
#include "amlz/search/search_config.h"
#include "amlz/search/search_group.h"

namespace amlz {

struct SearchOptions {
  EvolutionConfig evolution;  // its batch_size resolved (>= 1): children per island per batch
  AlgorithmConfig algorithm;
  AddressSpace memory;
  IslandsConfig islands;
  HurdlesConfig hurdles;
  // The processes the islands run on; nullptr = this process runs them all.
  SearchGroup* group = nullptr;
  // Prepare (make, compile, budget) the next batch on the host while the current one is evaluated. Parents of a
  // batch then come from the population before the previous batch was placed (one batch more of lag). Pays off
  // when the evaluator is a GPU; off, the loop is exactly the batched algorithm above.
  bool overlap = false;
  // Stops between batches when set (Ctrl-C), or when the deadline is near: it ends early enough that `after_steps`
  // more training steps (the select and final evaluations to come) fit before the deadline at the throughput the
  // search measures (with a margin, and at most half of the time it had).
  const std::atomic<bool>* stop = nullptr;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  double after_steps = 0;
  // Checkpoints (amlz/search/checkpoint.h): offered to `checkpoints` between batches with nothing in flight (after
  // every batch without overlap, after every generation with it), at a stop request and at the end (budget or time
  // limit). `resume`: a state it saved, to continue from; the other arguments must be as then (same options and tasks,
  // a fresh evaluator, the run generator as it was when that search began, the same number of processes).
  CheckpointSink* checkpoints = nullptr;
  const std::string* resume = nullptr;
};

struct SearchProgress {
  int64_t individuals = 0;  // over all islands
  uint64_t train_steps = 0;
  double elapsed_seconds = 0;
  double mean = 0, stdev = 0, best = 0;
  double individuals_per_second = 0;
  double train_steps_per_second = 0;
  double fec_hit_rate = 0;  // over all task lookups so far; 0 without FEC
  // With hurdles: the share of children that passed every hurdle, and the training steps the others were spared.
  double hurdle_pass_rate = 1;
  uint64_t steps_avoided = 0;
};

enum class StopReason { Budget, TimeLimit, Interrupted };
template <>
struct EnumNames<StopReason> {
  static constexpr EnumName<StopReason> table[] = {
      {StopReason::Budget, "budget"}, {StopReason::TimeLimit, "time limit"}, {StopReason::Interrupted, "interrupted"}};
};

struct SearchResult {
  Individual best;                       // of the final populations (at rank 0 under MPI)
  std::vector<Individual> island_bests;  // the best of each island, in island order (at rank 0 under MPI)
  int64_t individuals = 0;
  uint64_t train_steps = 0;
  uint64_t steps_avoided = 0;
  double seconds = 0;
  StopReason stop = StopReason::Budget;
};

// What a search holds between batches, as observers see it: this process's islands, in island order.
struct SearchState {
  std::vector<uint32_t> island_ids;
  std::vector<const Population*> islands;  // this process's
  // Several processes, on rank 0: the fittest individual the other ranks' islands held at the last progress report
  // where the pooled best rose (null before the first, and on other ranks).
  const Individual* best_elsewhere = nullptr;
  // The fittest of the islands and best_elsewhere (the first island's on ties); islands must not be empty.
  const Individual& best() const;
};

class SearchObserver {
 public:
  virtual ~SearchObserver() = default;
  // After initialisation and after each generation, when progress_every individuals passed (the first always).
  virtual void on_progress(const SearchProgress&) {}
  // After every batch, for a live display. Only the counters and rates of `p` are filled (population statistics
  // cost a pass over the populations; take them from `state` when needed).
  virtual void on_batch(const SearchProgress& p, const SearchState& state) { (void)p, (void)state; }
};

// The mutator a search makes its children with.
MutatorOptions mutator_options(const EvolutionConfig& evolution, const AlgorithmConfig& algorithm,
                               const AddressSpace& memory);

SearchResult run_search(const SearchOptions& options, CandidateEvaluator& evaluator, SearchRng& rng,
                        SearchObserver* observer = nullptr);

}  // namespace amlz
