// SPDX-License-Identifier: Apache-2.0
// The evolution loop. Children are produced B at a time (tournament + mutation, or fresh random algorithms),
// evaluated through the CandidateEvaluator in one batch, then placed in child order, each replacing the oldest.
// The budget and progress are checked between generations (P children), as in the original.
#include "amlz/search/search.h"

#include <algorithm>
#include <future>
#include <memory>

#include "amlz/error.h"

namespace amlz {

namespace {

class Loop {
 public:
  Loop(const SearchOptions& o, CandidateEvaluator& ev, SearchRng& rng, SearchObserver* obs)
      : o_(o),
        ev_(ev),
        rng_(rng),
        obs_(obs),
        mutator_(mutator_options(o.evolution, o.algorithm, o.memory)),
        population_(o.evolution.population_size),
        start_(std::chrono::steady_clock::now()),
        steps_at_start_(ev.train_steps()) {}

  SearchResult run() {
    // Initial population: P copies of the initial algorithm (each drawn afresh for "random").
    produce(o_.evolution.population_size, [this] { return initial_algorithm(); });
    report_progress();
    while (!should_stop() && steps_used() < static_cast<uint64_t>(o_.evolution.max_train_steps)) {
      // One generation: P children. The budget is checked between generations, as the original.
      produce(o_.evolution.population_size, [this] { return make_child(); });
      report_progress();
    }
    SearchResult r;
    if (population_.size() > 0) r.best = population_.best();  // stays empty if stopped before any child
    r.individuals = individuals_;
    r.train_steps = steps_used();
    r.seconds = elapsed();
    r.stop = stop_reason_;
    return r;
  }

 private:
  struct Batch {
    std::vector<Algorithm> children;
    PreparedBatch prepared;
    std::future<std::vector<CandidateResult>> results;  // set while the batch is being evaluated
  };

  // Makes `count` children B at a time, evaluates and places them in order. With overlap, the next batch is made
  // and compiled while the previous one is evaluated on another thread; the in-flight batch is always placed
  // before returning, so generations never overlap.
  template <class Make>
  void produce(int count, Make make) {
    std::unique_ptr<Batch> in_flight;
    for (int made = 0; made < count && !should_stop();) {
      const int n = std::min(o_.evolution.batch_size, count - made);
      auto batch = std::make_unique<Batch>();
      std::vector<const Algorithm*> ptrs;
      std::vector<uint32_t> seeds;
      // A stop request is also looked at per child: making one can be slow (a large tournament).
      for (int i = 0; i < n && !stop_requested(); ++i) batch->children.push_back(make());
      if (static_cast<int>(batch->children.size()) < n) {
        should_stop();  // records why; the unfinished batch is dropped
        break;
      }
      for (const Algorithm& a : batch->children) {
        ptrs.push_back(&a);
        seeds.push_back(rng_.next_u32());
      }
      batch->prepared = ev_.prepare(ptrs, seeds);
      made += n;
      if (in_flight) place(*in_flight);
      if (o_.overlap) {
        Batch* b = batch.get();
        b->results = std::async(std::launch::async, [this, b] { return ev_.evaluate(b->prepared); });
        in_flight = std::move(batch);
      } else {
        batch->results = make_ready(ev_.evaluate(batch->prepared));
        place(*batch);
        in_flight.reset();
      }
    }
    if (in_flight) place(*in_flight);
  }

  static std::future<std::vector<CandidateResult>> make_ready(std::vector<CandidateResult> r) {
    std::promise<std::vector<CandidateResult>> p;
    p.set_value(std::move(r));
    return p.get_future();
  }

  void place(Batch& batch) {
    const std::vector<CandidateResult> results = batch.results.get();
    for (size_t i = 0; i < batch.children.size(); ++i)
      population_.add(
          Individual{std::move(batch.children[i]), results[i].fitness, static_cast<uint64_t>(individuals_++)});
    if (obs_) obs_->on_batch(progress(false), population_);
  }

  Algorithm initial_algorithm() {
    return mutator_.mutate(
        make_algorithm(o_.algorithm.initial, o_.algorithm.init_sizes, o_.algorithm.ops, o_.memory, rng_), 0, rng_);
  }

  Algorithm make_child() {
    if (o_.evolution.search == SearchKind::Random)
      return make_algorithm(InitialAlgorithm::Random, o_.algorithm.init_sizes, o_.algorithm.ops, o_.memory, rng_);
    return mutator_.mutate(population_.tournament(o_.evolution.tournament_size, rng_).algorithm, 1, rng_);
  }

  bool stop_requested() const { return o_.stop && o_.stop->load(std::memory_order_relaxed); }

  bool should_stop() {
    if (stop_requested()) {
      stop_reason_ = StopReason::Interrupted;
      return true;
    }
    if (o_.deadline != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() >= end_by()) {
      stop_reason_ = StopReason::TimeLimit;
      return true;
    }
    return false;
  }

  // The deadline less the time the work after the search needs: four times its estimate at the measured rate
  // (select and final programs are the best ones, often slower per step than the average child) plus 0.2 s.
  std::chrono::steady_clock::time_point end_by() const {
    const double elapsed_s = elapsed();
    const double rate = elapsed_s > 0 && steps_used() > 0 ? static_cast<double>(steps_used()) / elapsed_s : 1e7;
    const double total = std::chrono::duration<double>(o_.deadline - start_).count();
    const double reserve = std::min(total / 2, 4.0 * o_.after_steps / rate + 0.2);
    return o_.deadline -
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(reserve));
  }

  uint64_t steps_used() const { return ev_.train_steps() - steps_at_start_; }
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

  SearchProgress progress(bool with_statistics = true) const {
    SearchProgress p;
    p.individuals = individuals_;
    p.train_steps = steps_used();
    p.elapsed_seconds = elapsed();
    if (with_statistics && population_.size() > 0) {
      p.mean = population_.mean_fitness();
      p.stdev = population_.stdev_fitness();
      p.best = population_.best().fitness;
    }
    const double t = std::max(p.elapsed_seconds, 1e-9);
    p.individuals_per_second = static_cast<double>(p.individuals) / t;
    p.train_steps_per_second = static_cast<double>(p.train_steps) / t;
    p.fec_hit_rate =
        ev_.fec_lookups() ? static_cast<double>(ev_.fec_hits()) / static_cast<double>(ev_.fec_lookups()) : 0;
    return p;
  }

  void report_progress() {
    if (population_.size() == 0) return;
    if (reported_ && individuals_ - last_report_ < o_.evolution.progress_every) return;
    reported_ = true;
    last_report_ = individuals_;
    if (obs_) obs_->on_progress(progress());
  }

  const SearchOptions& o_;
  CandidateEvaluator& ev_;
  SearchRng& rng_;
  SearchObserver* obs_;
  Mutator mutator_;
  Population population_;
  std::chrono::steady_clock::time_point start_;
  uint64_t steps_at_start_;
  int64_t individuals_ = 0;
  int64_t last_report_ = 0;
  bool reported_ = false;
  StopReason stop_reason_ = StopReason::Budget;
};

}  // namespace

MutatorOptions mutator_options(const EvolutionConfig& evolution, const AlgorithmConfig& algorithm,
                               const AddressSpace& memory) {
  MutatorOptions m;
  m.types = evolution.mutations;
  m.mutate_prob = evolution.mutate_prob;
  m.ops = algorithm.ops;
  m.space = memory;
  m.min_sizes = algorithm.min_sizes;
  m.max_sizes = algorithm.max_sizes;
  return m;
}

SearchResult run_search(const SearchOptions& options, CandidateEvaluator& evaluator, SearchRng& rng,
                        SearchObserver* observer) {
  AMLZ_CHECK(options.evolution.batch_size >= 1, "batch size must be positive");
  return Loop(options, evaluator, rng, observer).run();
}

}  // namespace amlz
