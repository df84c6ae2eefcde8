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
  if (best_elsewhere != nullptr && best_elsewhere->fitness > best->fitness) best = best_elsewhere;
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
    if (o.resume) restore(*o.resume);
  }

  SearchResult run() {
    // Initial populations: P copies of the initial algorithm per island (each drawn afresh for "random"). A resumed
    // search first finishes the initial population or the generation it was saved in.
    const int p = o_.evolution.population_size;
    // Children per island made so far; a batch saved evaluated but not placed (overlap) counts as made.
    const int64_t made = islands_.front().individuals + (pending_ ? static_cast<int64_t>(pending_->per_island) : 0);
    if (made < p || (pending_ && made == p)) {
      produce(
          p, [this](Island& is) { return initial_algorithm(is); }, static_cast<int>(made));
      after_produce();
    } else if ((made - p) % p != 0 || pending_) {
      const int64_t in_generation = (made - p) % p == 0 ? p : (made - p) % p;
      produce(
          p, [this](Island& is) { return make_child(is); }, static_cast<int>(in_generation));
      after_produce();
    }
    while (!stopped_ && agree_steps() < static_cast<uint64_t>(o_.evolution.max_train_steps) && !stopped_) {
      // One generation: P children per island. The budget is checked between generations, as the original.
      produce(p, [this](Island& is) { return make_child(is); });
      after_produce();
    }
    checkpoint(stopped_ ? stop_moment() : CheckpointMoment::SearchEnd);
    SearchResult r;
    gather_bests(r);
    if (group_->ranks() > 1 && !r.island_bests.empty()) {  // rank 0's observer is shown the end as one process's is
      best_elsewhere_ = r.best;
      if (obs_) obs_->on_batch(progress(false), state());
    }
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
  void produce(int count, Make make, int made = 0) {
    std::unique_ptr<Batch> in_flight = std::move(pending_);  // a resumed overlapped search's, evaluated already
    while (made < count && !agree_stop_when_due()) {
      const int n = std::min(o_.evolution.batch_size, count - made);
      auto batch = make_batch(static_cast<size_t>(n), make);
      if (!batch) break;  // a stop request while it was made: dropped, generators as before it
      made += n;
      if (in_flight) place(std::move(in_flight));
      if (o_.overlap) {
        Batch* b = batch.get();
        b->results = std::async(std::launch::async, [this, b] { return evaluate(*b); });
        in_flight = std::move(batch);
      } else {
        batch->results = make_ready(evaluate(*batch));
        place(std::move(batch));
        // The generation's end has its own, after the report. Several processes consider one only where they agree.
        if (made < count && (group_->ranks() == 1 || agreed_at_this_batch())) checkpoint(CheckpointMoment::Periodic);
      }
    }
    // Stopped with a batch in flight: its successor was to be made from the population before it is placed, so the
    // state is saved with the batch evaluated but not placed.
    if (in_flight && stopped_) checkpoint(stop_moment(), in_flight.get());
    if (in_flight) place(std::move(in_flight));
  }

  // A stop mid-generation is saved before the progress report (a resumed run reports at the generation's end, as
  // the uninterrupted one); the generation's end after it, where the next generation starts from.
  void after_produce() {
    if (stopped_) checkpoint(stop_moment());
    report_progress();
    if (!stopped_) checkpoint(CheckpointMoment::Periodic);
  }

  // A stop request's state is written at once; a time limit's is kept as the search's end is (the run goes on to
  // its select and final evaluations, and a write would take time the limit left them).
  CheckpointMoment stop_moment() const {
    return stop_reason_ == StopReason::Interrupted ? CheckpointMoment::Stop : CheckpointMoment::SearchEnd;
  }

  // Rank 0's sink decides; the other processes take part whether they have one or not.
  void checkpoint(CheckpointMoment moment, Batch* pending = nullptr) {
    if (!o_.checkpoints && group_->ranks() == 1) return;
    if (moment != CheckpointMoment::Periodic) {  // the search's last state: offered once
      if (end_saved_) return;
      end_saved_ = true;
    }
    if (!group_->broadcast(group_->rank() == 0 && o_.checkpoints && o_.checkpoints->due(moment))) return;
    std::string state = encode_state(pending);  // a collective: every process encodes its islands
    if (group_->rank() == 0) o_.checkpoints->save(std::move(state), moment);
  }

  // Each island: population, generator, individuals made, FEC cache, its children of an evaluated batch not yet
  // placed (overlap); the first island of each process also carries the process's counters. Rank 0 adds what all
  // processes share.
  std::string encode_state(Batch* pending) {
    std::vector<CandidateResult> pending_results;
    if (pending) pending_results = pending->results.get();
    std::vector<std::pair<uint32_t, std::string>> local;
    for (size_t l = 0; l < islands_.size(); ++l) {
      const Island& is = islands_[l];
      WireWriter w;
      write_population(w, is.population);
      write_rng(w, *is.rng);
      w.u64(static_cast<uint64_t>(is.individuals));
      write_fec_cache(w, ev_.cache(l));
      w.u64(pending ? pending->per_island : 0);
      for (size_t i = 0; pending && i < pending->per_island; ++i) {
        const size_t c = l * pending->per_island + i;
        w.algorithm(pending->children[c]);
        const CandidateResult& r = pending_results[c];
        w.f64(r.fitness);
        w.u32(static_cast<uint32_t>(r.stage_fitness.size()));
        for (double f : r.stage_fitness) w.f64(f);
        w.u8(r.stopped_by_hurdle ? 1 : 0);
      }
      w.u8(l == 0 ? 1 : 0);
      if (l == 0) {
        for (uint64_t v : {ev_.train_steps(), ev_.steps_avoided(), steps_at_start_, children_, passed_}) w.u64(v);
      }
      local.emplace_back(is.id, w.take());
    }
    if (pending) pending->results = make_ready(std::move(pending_results));  // placed after
    std::vector<std::pair<uint32_t, std::string>> all = group_->gather(std::move(local));
    if (group_->rank() != 0) return {};
    WireWriter w;
    w.u32(islands_count());
    w.u32(static_cast<uint32_t>(group_->ranks()));
    w.u64(static_cast<uint64_t>(o_.evolution.population_size));
    w.u8(migration_rng_ ? 1 : 0);
    if (migration_rng_) write_rng(w, *migration_rng_);
    w.u64(static_cast<uint64_t>(migrations_));
    w.u64(agreed_steps_);
    w.u64(static_cast<uint64_t>(last_report_));
    w.u8(reported_ ? 1 : 0);
    w.f64(elapsed());
    w.u32(static_cast<uint32_t>(all.size()));
    for (const auto& [id, payload] : all) {
      w.u32(id);
      w.str(payload);
    }
    return w.take();
  }

  void restore(const std::string& state) {
    WireReader r(state, "checkpoint (search state)");
    const uint32_t k = r.u32(), ranks = r.u32();
    const uint64_t p = r.u64();
    if (k != islands_count() || p != static_cast<uint64_t>(o_.evolution.population_size))
      throw Error("checkpoint: saved with " + std::to_string(k) + " islands of " + std::to_string(p) +
                  " individuals, this run has " + std::to_string(islands_count()) + " of " +
                  std::to_string(o_.evolution.population_size));
    if (ranks != static_cast<uint32_t>(group_->ranks()))
      throw Error("checkpoint: saved by " + std::to_string(ranks) + " processes; resume it with as many (now " +
                  std::to_string(group_->ranks()) + ")");
    if ((r.u8() != 0) != migration_rng_.has_value()) throw Error("checkpoint: migration stream mismatch");
    if (migration_rng_) migration_rng_ = read_rng(r);
    migrations_ = static_cast<int64_t>(r.u64());
    agreed_steps_ = r.u64();
    last_report_ = static_cast<int64_t>(r.u64());
    reported_ = r.u8() != 0;
    const double elapsed_s = r.f64();
    start_ = std::chrono::steady_clock::now() -
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(elapsed_s));
    std::vector<std::pair<uint32_t, std::string>> payloads(r.u32());
    if (payloads.size() != k) throw Error("checkpoint: " + std::to_string(payloads.size()) + " islands saved");
    for (auto& [id, payload] : payloads) {
      id = r.u32();
      payload = r.str();
    }
    if (!r.done()) throw Error("checkpoint (search state): trailing bytes");
    std::vector<CandidateResult> pending_results;
    for (size_t l = 0; l < islands_.size(); ++l) {
      Island& is = islands_[l];
      auto it = std::find_if(payloads.begin(), payloads.end(), [&](const auto& x) { return x.first == is.id; });
      if (it == payloads.end()) throw Error("checkpoint: island " + std::to_string(is.id) + " is missing");
      WireReader ir(it->second, "checkpoint (island " + std::to_string(is.id) + ")");
      is.population = read_population(ir, o_.evolution.population_size);
      *is.rng = read_rng(ir);
      is.individuals = static_cast<int64_t>(ir.u64());
      read_fec_cache(ir, ev_.cache(l));
      const uint64_t waiting = ir.u64();
      if (waiting > 0) {
        if (!pending_) {
          pending_ = std::make_unique<Batch>();
          pending_->per_island = waiting;
          pending_->children.resize(waiting * islands_.size());
          pending_results.resize(waiting * islands_.size());
        }
        if (waiting != pending_->per_island) throw Error("checkpoint: islands saved with different batches pending");
        for (size_t i = 0; i < waiting; ++i) {
          const size_t c = l * waiting + i;
          pending_->children[c] = ir.algorithm();
          CandidateResult& cr = pending_results[c];
          cr.fitness = ir.f64();
          const uint32_t stages = ir.u32();
          if (stages > 1024) throw Error("checkpoint: " + std::to_string(stages) + " stage fitnesses");
          for (uint32_t st = 0; st < stages; ++st) cr.stage_fitness.push_back(ir.f64());
          cr.stopped_by_hurdle = ir.u8() != 0;
        }
      } else if (pending_) {
        throw Error("checkpoint: islands saved with different batches pending");
      }
      if (ir.u8() != 0) {
        const uint64_t train_steps = ir.u64(), avoided = ir.u64();
        ev_.restore_counters(train_steps, avoided);
        steps_at_start_ = ir.u64();
        children_ = ir.u64();
        passed_ = ir.u64();
      }
      if (!ir.done()) throw Error("checkpoint (island " + std::to_string(is.id) + "): trailing bytes");
      if (is.individuals != islands_.front().individuals) throw Error("checkpoint: islands saved at different points");
    }
    if (pending_) pending_->results = make_ready(std::move(pending_results));
  }

  template <class Make>
  std::unique_ptr<Batch> make_batch(size_t n, Make make) {
    // The last placed batch's buffers (its packed programs) are reused: preparing allocates nothing once they fit.
    std::unique_ptr<Batch> batch = spare_ ? std::move(spare_) : std::make_unique<Batch>();
    batch->children.clear();
    batch->stages = StagePlan{};
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
    ev_.prepare(ptrs, seeds, groups, batch->prepared);
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

  void place(std::unique_ptr<Batch> placed) {
    Batch& batch = *placed;
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
    spare_ = std::move(placed);
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
  bool agreed_at_this_batch() const { return (batches_ - 1) % agree_every() == 0; }
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
    if (best_elsewhere_) s.best_elsewhere = &*best_elsewhere_;
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
    if (group_->ranks() > 1 && p.best > shown_best_) fetch_best_elsewhere(p.best);
  }

  // Several processes: rank 0's observer shows (and writes to the run directory) the fittest individual of every
  // rank's islands, not only its own. Fetched at progress reports when the pooled best fitness (known to every
  // process) has risen, so all processes take part in the same gathers; the search itself is unaffected.
  void fetch_best_elsewhere(double pooled_best) {
    shown_best_ = pooled_best;
    const Individual& mine = state().best();
    std::vector<std::pair<uint32_t, std::string>> local;
    if (group_->rank() != 0 && mine.fitness >= pooled_best)
      local.emplace_back(group_->rank(), encode_individuals({mine}));
    for (auto& [rank, payload] : group_->gather(std::move(local))) {
      Individual ind = decode_individuals(payload, "best of rank " + std::to_string(rank)).at(0);
      if (!best_elsewhere_ || ind.fitness > best_elsewhere_->fitness) best_elsewhere_ = std::move(ind);
    }
    if (obs_ && group_->rank() == 0) obs_->on_batch(progress(false), state());
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
  std::unique_ptr<Batch> spare_;  // a placed batch, whose buffers the next one reuses
  std::vector<uint32_t> ids_;
  std::optional<SearchRng> migration_rng_;
  std::unique_ptr<Batch> pending_;  // resumed: a batch evaluated before the stop, to be placed first
  std::vector<size_t> stage_ends_;  // empty: no hurdles
  std::chrono::steady_clock::time_point start_;
  uint64_t steps_at_start_;
  uint64_t agreed_steps_ = 0;
  int64_t migrations_ = 0;
  uint64_t batches_ = 0;  // batches begun, for agree_stop_when_due
  uint64_t children_ = 0, passed_ = 0;
  int64_t last_report_ = 0;
  bool reported_ = false;
  double shown_best_ = -std::numeric_limits<double>::infinity();
  std::optional<Individual> best_elsewhere_;  // rank 0: the fittest individual other ranks sent (see state())
  bool stopped_ = false;
  bool end_saved_ = false;
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
