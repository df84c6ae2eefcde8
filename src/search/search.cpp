// SPDX-License-Identifier: Apache-2.0
// The evolution loop over K islands (K = 1: the original's single population). Children are produced B per island at
// a time (tournament + mutation, or fresh random algorithms) with each island's own generator, evaluated through the
// CandidateEvaluator in ONE batch (each island with its own FEC cache and hurdles), then placed in child order,
// each replacing its island's oldest. Every M individuals the islands exchange migrants. The budget and progress
// are checked between generations (P children per island), as in the original.
#include "amlz/search/search.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <limits>
#include <memory>
#include <optional>

#include "amlz/error.h"
#include "amlz/search/hurdles.h"
#include "amlz/search/migration.h"
#include "amlz/search/wire.h"

namespace amlz {

const Individual& SearchState::best() const {
  AMLZ_CHECK(!islands.empty(), "a search state without islands");
  const Individual* best = &islands.front()->best();
  for (const Population* p : islands)
    if (p->best().fitness > best->fitness) best = &p->best();
  return *best;
}

namespace {

struct Island {
  uint32_t id = 0;  // global index
  Population population;
  std::optional<SearchRng> own_rng;  // K > 1: each island its own stream
  SearchRng* rng = nullptr;          // own_rng, or the run's generator when K == 1
  int64_t individuals = 0;
};

class Loop {
 public:
  Loop(const SearchOptions& o, CandidateEvaluator& ev, SearchRng& rng, SearchObserver* obs)
      : o_(o),
        ev_(ev),
        obs_(obs),
        group_(o.group ? o.group : &single_process_),
        mutator_(mutator_options(o.evolution, o.algorithm, o.memory)),
        start_(std::chrono::steady_clock::now()),
        steps_at_start_(ev.train_steps()) {
    const uint32_t k = static_cast<uint32_t>(o.islands.count);
    AMLZ_CHECK(k >= 1, "at least one island");
    if (k == 1) {
      // One population draws from the run's generator, exactly as the original's single search does.
      islands_.push_back(Island{0, Population(o.evolution.population_size), std::nullopt, &rng});
    } else {
      // Every process draws every island's seed and the migration stream's, so all agree whoever runs what.
      std::vector<uint64_t> seeds(k);
      for (uint64_t& s : seeds) s = rng.next_u64();
      migration_rng_.emplace(rng.next_u64());
      for (uint32_t id : group_->local_islands(k))
        islands_.push_back(Island{id, Population(o.evolution.population_size), SearchRng(seeds[id]), nullptr});
      for (Island& is : islands_) is.rng = &*is.own_rng;
    }
    for (uint32_t l = 0; l < islands_.size(); ++l) ids_.push_back(islands_[l].id);
    if (o.hurdles.enabled) stage_ends_ = hurdle_stage_ends(o.hurdles, ev.tasks().size());
  }

  SearchResult run() {
    // Initial populations: P copies of the initial algorithm per island (each drawn afresh for "random").
    produce(o_.evolution.population_size, [this](Island& is) { return initial_algorithm(is); });
    report_progress();
    while (!stopped_ && agree_steps() < static_cast<uint64_t>(o_.evolution.max_train_steps) && !stopped_) {
      // One generation: P children per island. The budget is checked between generations, as the original.
      produce(o_.evolution.population_size, [this](Island& is) { return make_child(is); });
      report_progress();
    }
    SearchResult r;
    gather_bests(r);
    r.individuals = individuals();
    r.train_steps = group_->agree(local_steps(), 0).steps;  // the in-flight batch of an overlapped run included
    r.steps_avoided = ev_.steps_avoided();
    r.seconds = elapsed();
    r.stop = stop_reason_;
    return r;
  }

 private:
  struct Batch {
    std::vector<Algorithm> children;  // island by island, `per_island` each
    size_t per_island = 0;
    PreparedBatch prepared;
    StagePlan stages;
    std::future<std::vector<CandidateResult>> results;  // set while the batch is being evaluated
  };

  // Makes `count` children per island B at a time, evaluates and places them in order. With overlap, the next
  // batch is made and compiled while the previous one is evaluated on another thread; the in-flight batch is always
  // placed before returning, so generations never overlap.
  template <class Make>
  void produce(int count, Make make) {
    std::unique_ptr<Batch> in_flight;
    for (int made = 0; made < count && !agree_stop_when_due();) {
      const int n = std::min(o_.evolution.batch_size, count - made);
      auto batch = make_batch(static_cast<size_t>(n), make);
      if (!batch) break;  // a stop request while it was made: dropped, generators as before it
      made += n;
      if (in_flight) place(*in_flight);
      if (o_.overlap) {
        Batch* b = batch.get();
        b->results = std::async(std::launch::async, [this, b] { return evaluate(*b); });
        in_flight = std::move(batch);
      } else {
        batch->results = make_ready(evaluate(*batch));
        place(*batch);
        in_flight.reset();
      }
    }
    if (in_flight) place(*in_flight);
  }

  template <class Make>
  std::unique_ptr<Batch> make_batch(size_t n, Make make) {
    auto batch = std::make_unique<Batch>();
    batch->per_island = n;
    std::vector<SearchRng> before;
    for (const Island& is : islands_) before.push_back(*is.rng);
    std::vector<uint32_t> seeds, groups;
    for (uint32_t l = 0; l < islands_.size(); ++l) {
      Island& is = islands_[l];
      // A stop request is also looked at per child when this process alone decides (making one can be slow).
      for (size_t i = 0; i < n; ++i) {
        if (group_->can_stop_mid_batch() && stop_requested()) {
          for (size_t k = 0; k < islands_.size(); ++k) *islands_[k].rng = before[k];
          stop_reason_ = StopReason::Interrupted;
          stopped_ = true;
          return nullptr;
        }
        batch->children.push_back(make(is));
      }
      for (size_t i = 0; i < n; ++i) {
        seeds.push_back(is.rng->next_u32());
        groups.push_back(l);
      }
    }
    std::vector<const Algorithm*> ptrs;
    for (const Algorithm& a : batch->children) ptrs.push_back(&a);
    batch->prepared = ev_.prepare(ptrs, seeds, groups);
    if (!stage_ends_.empty()) {
      // Hurdles come from each island's population as the batch is made, so they do not depend on timing.
      batch->stages.stage_ends = stage_ends_;
      for (const Island& is : islands_) {
        std::vector<double> h;
        for (size_t s = 0; s + 1 < stage_ends_.size(); ++s) h.push_back(stage_hurdle(is.population, s, o_.hurdles));
        batch->stages.hurdles.push_back(std::move(h));
      }
    }
    return batch;
  }

  std::vector<CandidateResult> evaluate(const Batch& b) {
    return ev_.evaluate(b.prepared, stage_ends_.empty() ? nullptr : &b.stages);
  }

  static std::future<std::vector<CandidateResult>> make_ready(std::vector<CandidateResult> r) {
    std::promise<std::vector<CandidateResult>> p;
    p.set_value(std::move(r));
    return p.get_future();
  }

  void place(Batch& batch) {
    std::vector<CandidateResult> results = batch.results.get();
    for (size_t l = 0; l < islands_.size(); ++l) {
      Island& is = islands_[l];
      for (size_t i = 0; i < batch.per_island; ++i) {
        const size_t c = l * batch.per_island + i;
        children_ += 1;
        passed_ += results[c].stopped_by_hurdle ? 0 : 1;
        is.population.add(Individual{std::move(batch.children[c]), results[c].fitness,
                                     static_cast<uint64_t>(is.individuals++), std::move(results[c].stage_fitness)});
      }
    }
    migrate_when_due();
    if (obs_) obs_->on_batch(progress(false), state());
  }

  // Islands move in lockstep (same P and B), so every island crosses a multiple of migrate_every at the same batch.
  void migrate_when_due() {
    if (islands_count() < 2 || o_.islands.migrate_every <= 0) return;
    const int64_t due = islands_.front().individuals / o_.islands.migrate_every;
    while (migrations_ < due) {
      ++migrations_;
      const uint32_t shift = next_migration_shift(*migration_rng_, islands_count());
      const int count = migrant_count(o_.islands, o_.evolution.population_size);
      std::vector<std::pair<uint32_t, std::string>> outgoing;
      for (Island& is : islands_)
        outgoing.emplace_back(migration_destination(is.id, islands_count(), shift),
                              encode_individuals(choose_migrants(is.population, count, o_.islands.choice, *is.rng)));
      for (auto& [island, payload] : group_->exchange(static_cast<uint64_t>(migrations_), std::move(outgoing))) {
        Island& to = local(island);
        // Arrivals replace the oldest (the population is a FIFO). They keep their fitness: every island searches the
        // same tasks.
        for (Individual& m : decode_individuals(payload, "migrants for island " + std::to_string(island)))
          to.population.add(std::move(m));
      }
    }
  }

  Island& local(uint32_t id) {
    for (Island& is : islands_)
      if (is.id == id) return is;
    AMLZ_CHECK(false, "island " + std::to_string(id) + " is not run by this process");
    return islands_.front();
  }

  Algorithm initial_algorithm(Island& is) {
    SearchRng& rng = *is.rng;
    return mutator_.mutate(
        make_algorithm(o_.algorithm.initial, o_.algorithm.init_sizes, o_.algorithm.ops, o_.memory, rng), 0, rng);
  }

  Algorithm make_child(Island& is) {
    SearchRng& rng = *is.rng;
    if (o_.evolution.search == SearchKind::Random)
      return make_algorithm(InitialAlgorithm::Random, o_.algorithm.init_sizes, o_.algorithm.ops, o_.memory, rng);
    return mutator_.mutate(is.population.tournament(o_.evolution.tournament_size, rng).algorithm, 1, rng);
  }

  bool stop_requested() const { return o_.stop && o_.stop->load(std::memory_order_relaxed); }

  // This process's wish: 2 interrupted, 1 time limit, 0 go on.
  int local_stop_wish() const {
    if (stop_requested()) return 2;
    if (o_.deadline != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() >= end_by())
      return 1;
    return 0;
  }

  // Before each batch: the processes decide together (one process: alone).
  bool agree_stop() {
    if (stopped_) return true;
    const SearchGroup::Agreement a = group_->agree(local_steps(), local_stop_wish());
    agreed_steps_ = a.steps;
    if (a.stop != 0) {
      stop_reason_ = a.stop == 2 ? StopReason::Interrupted : StopReason::TimeLimit;
      stopped_ = true;
    }
    return stopped_;
  }

  // Before each batch, processes that agree per batch (several) do so every agree_every_ batches: a batch of a few
  // children per island is less work than an agreement between processes costs. Every process counts the same
  // batches, so all agree at the same ones.
  bool agree_stop_when_due() {
    if (stopped_) return true;
    if (group_->ranks() > 1 && batches_++ % agree_every() != 0) return false;
    return agree_stop();
  }
  uint64_t agree_every() const {
    constexpr uint64_t kChildrenPerAgreement = 2048;
    const uint64_t per_batch = static_cast<uint64_t>(o_.evolution.batch_size) * islands_count();
    return std::max<uint64_t>(1, (kChildrenPerAgreement + per_batch - 1) / per_batch);
  }

  // Between generations: the budget is the training steps of all islands, everywhere.
  uint64_t agree_steps() {
    agree_stop();
    return agreed_steps_;
  }

  // The deadline less the time the work after the search needs: four times its estimate at the measured rate
  // (select and final programs are the best ones, often slower per step than the average child) plus 0.2 s.
  std::chrono::steady_clock::time_point end_by() const {
    const double elapsed_s = elapsed();
    const double rate = elapsed_s > 0 && agreed_steps_ > 0 ? static_cast<double>(agreed_steps_) / elapsed_s : 1e7;
    const double total = std::chrono::duration<double>(o_.deadline - start_).count();
    const double reserve = std::min(total / 2, 4.0 * o_.after_steps / rate + 0.2);
    return o_.deadline -
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(reserve));
  }

  uint32_t islands_count() const { return static_cast<uint32_t>(o_.islands.count); }
  uint64_t local_steps() const { return ev_.train_steps() - steps_at_start_; }
  // Islands move in lockstep: every one has made as many individuals as the first.
  int64_t individuals() const { return islands_.front().individuals * o_.islands.count; }
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

  SearchState state() const {
    SearchState s;
    s.island_ids = ids_;
    for (const Island& is : islands_) s.islands.push_back(&is.population);
    return s;
  }

  SearchProgress progress(bool with_statistics = true) {
    SearchProgress p;
    p.individuals = individuals();
    // One process knows its steps exactly; several know the total as of the last agreement (exactly below, when
    // statistics are pooled).
    p.train_steps = group_->ranks() == 1 ? local_steps() : agreed_steps_;
    p.elapsed_seconds = elapsed();
    std::vector<double> sums = {static_cast<double>(children_), static_cast<double>(passed_),
                                static_cast<double>(ev_.steps_avoided()), static_cast<double>(ev_.fec_hits()),
                                static_cast<double>(ev_.fec_lookups())};
    std::vector<double> maxima;
    if (with_statistics) {
      // In island order, each island's slots in order: with one island exactly Population's own statistics.
      double sum = 0, sum_squares = 0, count = 0, best = -std::numeric_limits<double>::infinity();
      for (const Island& is : islands_) {
        sum += is.population.mean_fitness() * static_cast<double>(is.population.size());
        for (const Individual& ind : is.population.slots()) sum_squares += ind.fitness * ind.fitness;
        count += static_cast<double>(is.population.size());
        best = std::max(best, is.population.best().fitness);
      }
      sums.insert(sums.end(), {sum, sum_squares, count, static_cast<double>(local_steps())});
      maxima.push_back(best);
      group_->reduce(sums, maxima);
      p.train_steps = static_cast<uint64_t>(sums[8]);  // exact over all processes (doubles hold 2^53)
      if (islands_.size() == 1 && group_->ranks() == 1) {
        p.mean = islands_.front().population.mean_fitness();
        p.stdev = islands_.front().population.stdev_fitness();
      } else {
        p.mean = sums[5] / sums[7];
        const double var = sums[6] / sums[7] - p.mean * p.mean;
        p.stdev = var > 0 ? std::sqrt(var) : 0.0;
      }
      p.best = maxima[0];
    }
    const double t = std::max(p.elapsed_seconds, 1e-9);
    p.individuals_per_second = static_cast<double>(p.individuals) / t;
    p.train_steps_per_second = static_cast<double>(p.train_steps) / t;
    p.hurdle_pass_rate = sums[0] > 0 ? sums[1] / sums[0] : 1.0;
    p.steps_avoided = static_cast<uint64_t>(sums[2]);
    p.fec_hit_rate = sums[4] > 0 ? sums[3] / sums[4] : 0;
    return p;
  }

  void report_progress() {
    if (islands_.front().population.size() == 0) return;
    if (reported_ && individuals() - last_report_ < o_.evolution.progress_every) return;
    reported_ = true;
    last_report_ = individuals();
    const SearchProgress p = progress();  // a collective under MPI: every process computes it
    if (obs_) obs_->on_progress(p);
  }

  // Each island's best, to rank 0 in island order; the run's best is the fittest of them (the first on ties).
  void gather_bests(SearchResult& r) {
    if (islands_.front().population.size() == 0) return;  // stopped before anything was evaluated
    std::vector<std::pair<uint32_t, std::string>> local;
    for (const Island& is : islands_) local.emplace_back(is.id, encode_individuals({is.population.best()}));
    for (auto& [id, payload] : group_->gather(std::move(local)))
      r.island_bests.push_back(decode_individuals(payload, "best of island " + std::to_string(id)).at(0));
    if (r.island_bests.empty()) return;
    const Individual* best = &r.island_bests.front();
    for (const Individual& ind : r.island_bests)
      if (ind.fitness > best->fitness) best = &ind;
    r.best = *best;
  }

  const SearchOptions& o_;
  CandidateEvaluator& ev_;
  SearchObserver* obs_;
  SearchGroup single_process_;
  SearchGroup* group_;
  Mutator mutator_;
  std::vector<Island> islands_;
  std::vector<uint32_t> ids_;
  std::optional<SearchRng> migration_rng_;
  std::vector<size_t> stage_ends_;  // empty: no hurdles
  std::chrono::steady_clock::time_point start_;
  uint64_t steps_at_start_;
  uint64_t agreed_steps_ = 0;
  int64_t migrations_ = 0;
  uint64_t batches_ = 0;  // batches begun, for agree_stop_when_due
  uint64_t children_ = 0, passed_ = 0;
  int64_t last_report_ = 0;
  bool reported_ = false;
  bool stopped_ = false;
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
