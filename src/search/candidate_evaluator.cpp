// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/candidate_evaluator.h"

#include <string>
#include <unordered_map>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/error.h"

namespace amlz {

CandidateEvaluator::CandidateEvaluator(Evaluator& evaluator, const TaskSet& tasks, CandidateEvalOptions options)
    : evaluator_(evaluator), tasks_(tasks), options_(std::move(options)) {
  if (options_.fec.enabled) cache_.emplace(static_cast<size_t>(options_.fec.cache_size), options_.fec.forget_every);
}

PreparedBatch CandidateEvaluator::prepare(const std::vector<const Algorithm*>& algorithms,
                                          const std::vector<uint32_t>& eval_seeds) const {
  AMLZ_CHECK(algorithms.size() == eval_seeds.size(), "one evaluation seed per algorithm");
  const size_t n = algorithms.size(), nt = tasks_.size();
  PreparedBatch prepared;
  for (size_t i = 0; i < n; ++i) {
    const Program p = compile(*algorithms[i]);
    if (auto problem = verify(p))
      throw std::logic_error("compiled program fails verification (" + *problem + "):\n" + to_text(*algorithms[i]));
    prepared.programs.add(p, eval_seeds[i]);
  }
  // Training steps each (candidate, task) may use: all, or 0 when the budget rejects it there.
  prepared.full_steps.resize(n * nt);
  for (size_t i = 0; i < n; ++i)
    for (size_t t = 0; t < nt; ++t)
      prepared.full_steps[i * nt + t] = options_.budget ? options_.budget->train_steps(*algorithms[i], tasks_.tasks[t])
                                                        : tasks_.tasks[t].max_train_steps();
  return prepared;
}

std::vector<CandidateResult> CandidateEvaluator::evaluate(const PreparedBatch& prepared) {
  const size_t n = prepared.size(), nt = tasks_.size();
  const ProgramBatch& batch = prepared.programs;
  const std::vector<uint32_t>& full_steps = prepared.full_steps;

  std::vector<CandidateResult> results(n);
  for (CandidateResult& r : results) r.task_fitness.assign(nt, 0.0);
  EvalRequest full;
  full.max_abs_error = options_.max_abs_error;

  std::vector<WorkItem> items;
  std::vector<size_t> item_slot;  // candidate * nt + task of each full work item
  std::vector<uint64_t> keys;
  // A fingerprint first seen in this batch: resolved after its one full evaluation.
  enum class Source : uint8_t { Full, Cached, SameAsPending };
  std::vector<Source> source(n * nt, Source::Full);
  std::unordered_map<uint64_t, size_t> pending;  // key -> the slot evaluated in full in this batch

  if (cache_) {
    EvalRequest fp = full;
    fp.mode = EvalMode::Fingerprint;
    std::vector<WorkItem> fp_items;
    for (size_t i = 0; i < n; ++i)
      for (size_t t = 0; t < nt; ++t)
        fp_items.push_back(
            {static_cast<uint32_t>(i), static_cast<uint32_t>(t),
             std::min<uint32_t>(static_cast<uint32_t>(options_.fec.num_train), tasks_.tasks[t].max_train_steps()),
             static_cast<uint32_t>(options_.fec.num_valid)});
    const std::vector<TaskResult> fps = evaluator_.evaluate(batch, tasks_, fp_items, fp);
    keys.resize(n * nt);
    for (size_t s = 0; s < n * nt; ++s) {
      results[s / nt].train_steps += fps[s].train_steps;
      keys[s] = fec_key(fps[s].fingerprint, static_cast<uint32_t>(s % nt), full_steps[s]);
      cache_->prefetch(keys[s]);
    }
    for (size_t s = 0; s < n * nt; ++s) {
      if (auto hit = cache_->lookup(keys[s])) {
        source[s] = Source::Cached;
        results[s / nt].task_fitness[s % nt] = *hit;
        ++results[s / nt].fec_hits;
      } else if (pending.count(keys[s])) {
        source[s] = Source::SameAsPending;
      } else {
        pending.emplace(keys[s], s);
      }
    }
  }
  for (size_t s = 0; s < n * nt; ++s) {
    if (source[s] != Source::Full) continue;
    items.push_back({static_cast<uint32_t>(s / nt), static_cast<uint32_t>(s % nt), full_steps[s],
                     static_cast<uint32_t>(tasks_.tasks[s % nt].n_valid)});
    item_slot.push_back(s);
  }
  const std::vector<TaskResult> evaluated = evaluator_.evaluate(batch, tasks_, items, full);
  if (cache_)
    for (size_t k = 0; k < items.size(); ++k) cache_->prefetch(keys[item_slot[k]]);
  for (size_t k = 0; k < items.size(); ++k) {
    const size_t s = item_slot[k];
    results[s / nt].task_fitness[s % nt] = evaluated[k].fitness;
    results[s / nt].train_steps += evaluated[k].train_steps;
    if (cache_) cache_->insert(keys[s], evaluated[k].fitness);
  }
  // Later copies of a behaviour first seen in this batch are cache hits, as they would be one child at a time
  // (the entry may already have been forgotten or evicted again; the fitness is the one just computed).
  for (size_t s = 0; s < n * nt; ++s) {
    if (source[s] != Source::SameAsPending) continue;
    const size_t first = pending.at(keys[s]);
    (void)cache_->lookup(keys[s]);
    results[s / nt].task_fitness[s % nt] = results[first / nt].task_fitness[first % nt];
    ++results[s / nt].fec_hits;
  }
  for (CandidateResult& r : results) {
    r.fitness = combine_fitness(r.task_fitness, options_.combination);
    train_steps_ += r.train_steps;
  }
  return results;
}

}  // namespace amlz
