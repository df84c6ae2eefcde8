// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>

#include "amlz/core/compile.h"
#include "amlz/error.h"
#include "amlz/tasks/task_seeds.h"

namespace amlz {
namespace {

std::string fixed6(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return buf;
}

// Training steps a full evaluation of one algorithm on the tasks of `spec` runs, at most.
double evaluation_steps(const TaskSpec& spec) {
  const double train =
      spec.type == TaskType::UnitFixed ? static_cast<double>(spec.train_labels.size()) : spec.num_train;
  const double valid =
      spec.type == TaskType::UnitFixed ? static_cast<double>(spec.valid_labels.size()) : spec.num_valid;
  return static_cast<double>(spec.num_tasks) * (train * spec.num_epochs + valid * spec.num_epochs);
}

// Wraps each search state in the run's state. The state at the end of a search is kept, not written: it is the
// resume point should the run be stopped in that experiment's select or final evaluation.
class RunStateSink final : public CheckpointSink {
 public:
  RunStateSink(CheckpointSink& outer, std::function<RunCheckpoint()> state) : outer_(outer), state_(std::move(state)) {}
  bool due(CheckpointMoment moment) override { return moment == CheckpointMoment::SearchEnd || outer_.due(moment); }
  void save(std::string search, CheckpointMoment moment) override {
    RunCheckpoint c = state_();
    c.search = std::move(search);
    std::string bytes = encode_run_checkpoint(c);
    if (moment == CheckpointMoment::SearchEnd) {
      kept_ = std::move(bytes);
      return;
    }
    stop_saved_ = stop_saved_ || moment == CheckpointMoment::Stop;
    outer_.save(std::move(bytes), moment);
  }
  // A stop request outside a search: the last search's end is where a resumed run picks up.
  void save_stop() {
    if (!stop_saved_ && !kept_.empty()) outer_.save(std::move(kept_), CheckpointMoment::Stop);
    stop_saved_ = true;
  }

 private:
  CheckpointSink& outer_;
  std::function<RunCheckpoint()> state_;
  std::string kept_;
  bool stop_saved_ = false;
};

}  // namespace

int automatic_batch_size(const Config& config, const Evaluator& evaluator) {
  const int p = config.evolution.population_size;
  // GPU: as many candidates as possible per kernel, in two batches per generation so that making one batch
  // overlaps with evaluating the other (a batch never exceeds the population: parents come from it).
  if (evaluator.backend() == Backend::Cuda) return std::max(1, std::min(4096, (p + 1) / 2));
  // CPU: ~256 (program, task) items per call, over all islands, amortise the thread pool's dispatch. Deliberately
  // independent of the thread count and of the processes, so a seed gives the same run on every machine.
  const int items = std::max(1, config.search_tasks.num_tasks) * std::max(1, config.islands.count);
  return std::max(1, std::min(p, (256 + items - 1) / items));
}

std::optional<double> evaluate_algorithm(Evaluator& evaluator, const TaskSet& tasks, const Algorithm& algorithm,
                                         uint32_t eval_seed, float max_abs_error, const RunLimits& limits,
                                         const std::function<void(size_t, size_t)>& progress, StopReason* why) {
  ProgramBatch batch;
  CompileOptions compile_options;
  compile_options.labels = tasks.labels();
  batch.add(compile(algorithm, compile_options), eval_seed);
  const std::vector<WorkItem> all = full_work_items(1, tasks);
  EvalRequest request;
  request.max_abs_error = max_abs_error;
  // Items are independent, so chunking changes nothing but how often a stop is noticed; 64 keeps a CPU pool busy.
  constexpr size_t kChunk = 64;
  std::vector<double> fitness;
  fitness.reserve(all.size());
  for (size_t begin = 0; begin < all.size(); begin += kChunk) {
    if (limits.stop && limits.stop->load()) {
      if (why) *why = StopReason::Interrupted;
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= limits.deadline) {
      if (why) *why = StopReason::TimeLimit;
      return std::nullopt;
    }
    const std::vector<WorkItem> chunk(all.begin() + static_cast<std::ptrdiff_t>(begin),
                                      all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), begin + kChunk)));
    for (const TaskResult& r : evaluator.evaluate(batch, tasks, chunk, request)) fitness.push_back(r.fitness);
    if (progress) progress(fitness.size(), all.size());
  }
  return combine_fitness(std::move(fitness), Combination::Mean);
}

RunSummary run_experiments(const Config& config, Evaluator& evaluator, RunReporter& reporter, RunLimits limits,
                           RunCheckpoints checkpoints, SearchGroup* group) {
  AMLZ_CHECK(config.seed != 0, "the run seed must be fixed before running");
  SearchGroup single_process;
  SearchGroup& processes = group ? *group : single_process;
  const bool leader = processes.rank() == 0;  // evaluates the candidates and decides
  using Clock = std::chrono::steady_clock;
  const RunCheckpoint* resume = checkpoints.resume;
  const auto start = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(resume ? resume->seconds : 0.0));
  if (config.max_seconds > 0)
    limits.deadline = std::min(limits.deadline, start + std::chrono::duration_cast<Clock::duration>(
                                                            std::chrono::duration<double>(config.max_seconds)));
  SearchRng rng = resume ? SearchRng::from_state(resume->rng_state, resume->rng_stream) : SearchRng(config.seed);
  RunSummary summary;
  summary.seed = config.seed;
  summary.batch_size =
      config.evolution.batch_size > 0 ? config.evolution.batch_size : automatic_batch_size(config, evaluator);
  reporter.line("Random seed = " + std::to_string(config.seed));

  SearchOptions so;
  so.evolution = config.evolution;
  so.evolution.batch_size = summary.batch_size;
  so.algorithm = config.algorithm;
  so.memory = config.memory;
  so.memory.labels = label_kind(config.search_tasks.type);
  so.islands = config.islands;
  so.hurdles = config.hurdles;
  so.group = group;
  // On a GPU the host makes and compiles the next batch while the kernel runs; on the CPU both compete for the
  // same cores, so the loop stays strictly batched.
  so.overlap = evaluator.backend() == Backend::Cuda && so.evolution.batch_size > 1;
  so.stop = limits.stop;
  so.deadline = limits.deadline;
  so.after_steps = evaluation_steps(config.select_tasks) + evaluation_steps(config.final_tasks);

  // Marks the run as cut short in `phase`; false when nothing stopped it.
  auto stopped = [&](Phase phase, StopReason why) {
    summary.stop = why;
    summary.stopped_in = phase;
  };
  auto evaluate_candidate = [&](Phase phase, const TaskSet& tasks, const Algorithm& a, uint32_t seed) {
    StopReason why = StopReason::Budget;
    const auto f = evaluate_algorithm(
        evaluator, tasks, a, seed, config.max_abs_error, limits,
        [&](size_t done, size_t total) { reporter.evaluation_progress(phase, done, total); }, &why);
    if (!f) stopped(phase, why);
    return f;
  };

  // Task sets of a big config take a while to build: progress is reported and a stop request is honoured.
  auto build_tasks = [&](Phase phase, const TaskSpec& spec) -> std::optional<TaskSet> {
    try {
      return make_task_set(
          spec, {limits.stop, [&](size_t done, size_t total) { reporter.building_tasks(phase, done, total); }});
    } catch (const Interrupted&) {
      stopped(phase, StopReason::Interrupted);
      return std::nullopt;
    }
  };

  uint64_t fec_hits = 0, fec_lookups = 0;
  bool have_best = false;
  if (resume) {
    summary.experiments = static_cast<int>(resume->experiment - 1);
    summary.individuals = resume->individuals;
    summary.train_steps = resume->train_steps;
    summary.steps_avoided = resume->steps_avoided;
    fec_hits = resume->fec_hits;
    fec_lookups = resume->fec_lookups;
    have_best = resume->have_best;
    summary.best = resume->best;
    summary.best_search_fitness = resume->best_search_fitness;
    summary.best_select_fitness = resume->best_select_fitness;
  }
  // What a checkpoint taken in the experiment in progress records besides the search's state.
  int64_t experiment = resume ? resume->experiment : 1;
  SearchRng rng_at_start = rng;
  std::optional<RunStateSink> sink;
  if (checkpoints.sink)
    sink.emplace(*checkpoints.sink, [&] {
      RunCheckpoint c;
      c.experiment = experiment;
      c.rng_state = rng_at_start.state();
      c.rng_stream = rng_at_start.stream();
      c.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      c.individuals = summary.individuals;
      c.train_steps = summary.train_steps;
      c.steps_avoided = summary.steps_avoided;
      c.fec_hits = fec_hits;
      c.fec_lookups = fec_lookups;
      c.have_best = have_best;
      c.best = summary.best;
      c.best_search_fitness = summary.best_search_fitness;
      c.best_select_fitness = summary.best_select_fitness;
      return c;
    });
  so.checkpoints = sink ? &*sink : nullptr;
  so.resume = resume ? &resume->search : nullptr;
  for (;; ++experiment) {
    rng_at_start = rng;
    TaskSpec search_spec = config.search_tasks;
    if (config.experiment.randomize_task_seeds) randomize_task_seeds(search_spec, draw_random_seed(rng));
    const std::optional<TaskSet> built = build_tasks(Phase::Search, search_spec);
    // A stop request while building ends every process's run (the others would wait for this one in the search).
    if (processes.ranks() > 1 && processes.agree(0, built ? 0 : 2).stop != 0 && built)
      stopped(Phase::Search, StopReason::Interrupted);
    if (!built || summary.stopped_in != Phase::Done) break;
    const TaskSet& search_tasks = *built;
    CandidateEvalOptions eo;
    eo.combination = config.combination;
    eo.max_abs_error = config.max_abs_error;
    eo.fec = config.fec;
    eo.host_threads = config.threads;  // prepare() and the FEC keys; results do not depend on it
    if (config.train_budget.enabled) {
      SearchRng baseline_rng(0);  // the hard-coded baselines are deterministic; the generator needs one anyway
      eo.budget.emplace(make_algorithm(config.train_budget.baseline, config.algorithm.init_sizes, config.algorithm.ops,
                                       config.memory, baseline_rng),
                        config.train_budget.threshold_factor);
    }
    const size_t local_islands =
        processes.local_islands(static_cast<uint32_t>(std::max(1, config.islands.count))).size();
    CandidateEvaluator candidates(evaluator, search_tasks, eo, local_islands);
    reporter.experiment_started(static_cast<int>(experiment));
    reporter.line("Running evolution experiment (on the T_search tasks)...");
    const SearchResult result = run_search(so, candidates, rng, &reporter);
    so.resume = nullptr;
    summary.experiments = static_cast<int>(experiment);
    summary.individuals += result.individuals;
    summary.train_steps += result.train_steps;
    // Counted by each process for its islands (the training steps are agreed already).
    std::vector<double> counts = {static_cast<double>(result.steps_avoided), static_cast<double>(candidates.fec_hits()),
                                  static_cast<double>(candidates.fec_lookups())},
                        no_maxima;
    processes.reduce(counts, no_maxima);
    summary.steps_avoided += static_cast<uint64_t>(counts[0]);
    fec_hits += static_cast<uint64_t>(counts[1]);
    fec_lookups += static_cast<uint64_t>(counts[2]);
    if (result.stop != StopReason::Budget) stopped(Phase::Search, result.stop);
    if (result.individuals == 0) break;  // stopped before anything was evaluated
    // A run cut short before its candidate was selected still has a result: the search's best, unless an
    // earlier experiment's selected one exists.
    auto keep_unselected = [&](const std::string& why) {
      if (have_best) return;
      have_best = true;
      summary.best = result.best.algorithm;
      summary.best_search_fitness = result.best.fitness;
      reporter.best_so_far(summary.best, "experiment " + std::to_string(experiment) + ": search fitness " +
                                             fixed6(result.best.fitness) + " (" + why + ")");
    };
    if (result.stop == StopReason::Interrupted) {  // asked to stop (any process): no select evaluation
      keep_unselected("stopped before selection");
      break;
    }
    // Rank 0 evaluates the candidates and decides whether another experiment runs (false: the run ends); the other
    // processes draw from the run's generator what it draws, so that every generator stays in step, and follow.
    auto select_and_decide = [&]() -> bool {
      TaskSpec select_spec = config.select_tasks;
      if (config.experiment.randomize_task_seeds) randomize_task_seeds(select_spec, draw_random_seed(rng));
      if (!leader) {
        draw_random_seed(rng);  // the select seed
        return true;            // rank 0's decision is broadcast
      }
      reporter.line("Experiment done. Retrieving candidate algorithm.");
      reporter.line("Search fitness for candidate algorithm = " + fixed6(result.best.fitness));
      reporter.line("Evaluating candidate algorithm from experiment (on T_select tasks)... ");
      const std::optional<TaskSet> select_tasks = build_tasks(Phase::Select, select_spec);
      // The candidates: the best of each island (with one island, the search's best), all on one select seed.
      const uint32_t select_seed = select_tasks ? draw_random_seed(rng) : 0;
      const Individual* chosen = nullptr;
      std::optional<double> select;
      for (size_t i = 0; select_tasks && i < result.island_bests.size(); ++i) {
        const Individual& candidate = result.island_bests[i];
        const auto f = evaluate_candidate(Phase::Select, *select_tasks, candidate.algorithm, select_seed);
        if (!f) {
          select.reset();
          break;
        }
        if (result.island_bests.size() > 1)
          reporter.line("Select fitness of island " + std::to_string(i) + "'s best (search fitness " +
                        fixed6(candidate.fitness) + ") = " + fixed6(*f));
        if (!select || *f > *select) select = f, chosen = &candidate;
      }
      if (!select) {
        keep_unselected("select evaluation cut short");
        return false;
      }
      reporter.line("Select fitness for candidate algorithm = " + fixed6(*select));
      if (!have_best || *select >= summary.best_select_fitness) {
        have_best = true;
        summary.best = chosen->algorithm;
        summary.best_search_fitness = chosen->fitness;
        summary.best_select_fitness = *select;
        reporter.line("Select fitness is the best so far. ");
        reporter.best_so_far(summary.best, "experiment " + std::to_string(experiment) + ": search fitness " +
                                               fixed6(chosen->fitness) + ", select fitness " + fixed6(*select));
      }
      const double sufficient = config.experiment.sufficient_fitness;
      if (sufficient > 0 && std::isfinite(sufficient) && summary.best_select_fitness > sufficient) {  // spec §11.3f
        summary.success = true;
        return false;
      }
      if (result.stop != StopReason::Budget) return false;
      return config.experiment.max_experiments == 0 || experiment < config.experiment.max_experiments;
    };
    if (!processes.broadcast(select_and_decide())) break;
  }
  summary.fec_hits = fec_hits;
  summary.fec_lookups = fec_lookups;
  summary.fec_hit_rate = fec_lookups ? static_cast<double>(fec_hits) / static_cast<double>(fec_lookups) : 0.0;

  // The final evaluation runs after a time limit in the search (the limit left it its share of time), but not after
  // a stop request or a cut in select: the user asked to stop, or there is no time left.
  const bool may_finish = summary.stopped_in == Phase::Done ||
                          (summary.stopped_in == Phase::Search && summary.stop == StopReason::TimeLimit);
  if (leader && have_best && may_finish) {
    reporter.line("");
    reporter.line("Final evaluation of best algorithm (on unseen tasks)...");
    const std::optional<TaskSet> final_tasks = build_tasks(Phase::Final, config.final_tasks);
    const auto final_fitness = final_tasks
                                   ? evaluate_candidate(Phase::Final, *final_tasks, summary.best, draw_random_seed(rng))
                                   : std::nullopt;
    if (final_fitness) {
      summary.final_fitness = *final_fitness;
      summary.final_done = true;
      reporter.line("Final evaluation fitness (on unseen data) = " + fixed6(summary.final_fitness));
    }
  }
  if (sink && summary.stop == StopReason::Interrupted) sink->save_stop();
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

}  // namespace amlz
