// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/experiment.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "amlz/error.h"
#include "amlz/tasks/task_seeds.h"

namespace amlz {
namespace {

std::string fixed6(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return buf;
}

// Fitness of one algorithm on a task set: mean over tasks, no FEC, no budget (select and final evaluations).
double plain_fitness(Evaluator& ev, const TaskSet& tasks, const Config& c, const Algorithm& a, uint32_t seed) {
  CandidateEvalOptions o;
  o.combination = Combination::Mean;
  o.max_abs_error = c.max_abs_error;
  CandidateEvaluator evaluator(ev, tasks, o);
  return evaluator.evaluate({&a}, {seed}).front().fitness;
}

}  // namespace

int automatic_batch_size(const Config& config, const Evaluator& evaluator) {
  const int p = config.evolution.population_size;
  // GPU: as many candidates as possible per kernel, in two batches per generation so that making one batch
  // overlaps with evaluating the other (a batch never exceeds the population: parents come from it).
  if (evaluator.backend() == Backend::Cuda) return std::max(1, std::min(4096, (p + 1) / 2));
  // CPU: ~256 (program, task) items per call amortise the thread pool's dispatch. Deliberately independent of the
  // thread count, so a seed gives the same run on every machine.
  const int tasks = std::max(1, config.search_tasks.num_tasks);
  return std::max(1, std::min(p, (256 + tasks - 1) / tasks));
}

RunSummary run_experiments(const Config& config, Evaluator& evaluator, RunReporter& reporter,
                           const std::atomic<bool>* stop) {
  AMLZ_CHECK(config.seed != 0, "the run seed must be fixed before running");
  const auto start = std::chrono::steady_clock::now();
  SearchRng rng(config.seed);
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
  // On a GPU the host makes and compiles the next batch while the kernel runs; on the CPU both compete for the
  // same cores, so the loop stays strictly batched.
  so.overlap = evaluator.backend() == Backend::Cuda && so.evolution.batch_size > 1;
  so.stop = stop;
  if (config.max_seconds > 0)
    so.deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(config.max_seconds));

  uint64_t fec_hits = 0, fec_lookups = 0;
  bool have_best = false;
  for (int64_t experiment = 1;; ++experiment) {
    TaskSpec search_spec = config.search_tasks;
    if (config.experiment.randomize_task_seeds) randomize_task_seeds(search_spec, draw_random_seed(rng));
    const TaskSet search_tasks = make_task_set(search_spec);
    CandidateEvalOptions eo;
    eo.combination = config.combination;
    eo.max_abs_error = config.max_abs_error;
    eo.fec = config.fec;
    if (config.train_budget.enabled) {
      SearchRng baseline_rng(0);  // the hard-coded baselines are deterministic; the generator needs one anyway
      eo.budget.emplace(make_algorithm(config.train_budget.baseline, config.algorithm.init_sizes, config.algorithm.ops,
                                       config.memory, baseline_rng),
                        config.train_budget.threshold_factor);
    }
    CandidateEvaluator candidates(evaluator, search_tasks, eo);
    reporter.experiment_started(static_cast<int>(experiment));
    reporter.line("Running evolution experiment (on the T_search tasks)...");
    const SearchResult result = run_search(so, candidates, rng, &reporter);
    summary.experiments = static_cast<int>(experiment);
    summary.individuals += result.individuals;
    summary.train_steps += result.train_steps;
    summary.stop = result.stop;
    fec_hits += candidates.fec_hits();
    fec_lookups += candidates.fec_lookups();
    if (result.individuals == 0) break;  // stopped before anything was evaluated
    reporter.line("Experiment done. Retrieving candidate algorithm.");
    reporter.line("Search fitness for candidate algorithm = " + fixed6(result.best.fitness));

    TaskSpec select_spec = config.select_tasks;
    if (config.experiment.randomize_task_seeds) randomize_task_seeds(select_spec, draw_random_seed(rng));
    reporter.line("Evaluating candidate algorithm from experiment (on T_select tasks)... ");
    const double select =
        plain_fitness(evaluator, make_task_set(select_spec), config, result.best.algorithm, draw_random_seed(rng));
    reporter.line("Select fitness for candidate algorithm = " + fixed6(select));
    if (!have_best || select >= summary.best_select_fitness) {
      have_best = true;
      summary.best = result.best.algorithm;
      summary.best_search_fitness = result.best.fitness;
      summary.best_select_fitness = select;
      reporter.line("Select fitness is the best so far. ");
      reporter.best_so_far(summary.best, "experiment " + std::to_string(experiment) + ": search fitness " +
                                             fixed6(result.best.fitness) + ", select fitness " + fixed6(select));
    }
    const double sufficient = config.experiment.sufficient_fitness;
    if (sufficient > 0 && std::isfinite(sufficient) && summary.best_select_fitness > sufficient) {  // spec §11.3f
      summary.success = true;
      break;
    }
    if (result.stop != StopReason::Budget) break;
    if (config.experiment.max_experiments != 0 && experiment >= config.experiment.max_experiments) break;
  }
  summary.fec_hits = fec_hits;
  summary.fec_lookups = fec_lookups;
  summary.fec_hit_rate = fec_lookups ? static_cast<double>(fec_hits) / static_cast<double>(fec_lookups) : 0.0;

  if (have_best) {
    reporter.line("");
    reporter.line("Final evaluation of best algorithm (on unseen tasks)...");
    summary.final_fitness =
        plain_fitness(evaluator, make_task_set(config.final_tasks), config, summary.best, draw_random_seed(rng));
    reporter.line("Final evaluation fitness (on unseen data) = " + fixed6(summary.final_fitness));
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace amlz
