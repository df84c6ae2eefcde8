// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/candidate_evaluator.h"

#include <cmath>
#include <string>
#include <unordered_map>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/error.h"

namespace amlz {

CandidateEvaluator::CandidateEvaluator(Evaluator& evaluator, const TaskSet& tasks, CandidateEvalOptions options,
                                       size_t groups)
    : evaluator_(evaluator), tasks_(tasks), options_(std::move(options)) {
  AMLZ_CHECK(groups >= 1, "at least one cache group");
  if (options_.fec.enabled)
    for (size_t g = 0; g < groups; ++g)
      caches_.emplace_back(static_cast<size_t>(options_.fec.cache_size), options_.fec.forget_every);
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
  AMLZ_CHECK(algorithms.size() == eval_seeds.size(), "one evaluation seed per algorithm");
  AMLZ_CHECK(groups.empty() || groups.size() == algorithms.size(), "one cache group per algorithm");
  const size_t n = algorithms.size(), nt = tasks_.size();
  PreparedBatch prepared;
  CompileOptions compile_options;
  compile_options.labels = tasks_.labels();
  for (size_t i = 0; i < n; ++i) {
    const Program p = compile(*algorithms[i], compile_options);
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
  prepared.groups = groups;
  return prepared;
}

void CandidateEvaluator::evaluate_slots(const PreparedBatch& prepared, const std::vector<size_t>& slots,
                                        std::vector<CandidateResult>& results) {
  const size_t nt = tasks_.size();
  const ProgramBatch& batch = prepared.programs;
  const std::vector<uint32_t>& full_steps = prepared.full_steps;
  auto group_of = [&](size_t candidate) -> size_t {
    if (prepared.groups.empty()) return 0;
    AMLZ_CHECK(prepared.groups[candidate] < caches_.size() || caches_.empty(), "cache group out of range");
    return prepared.groups[candidate];
  };
  EvalRequest full;
  full.max_abs_error = options_.max_abs_error;

  // Per slot (index into `slots`): how its fitness is found.
  enum class Source : uint8_t { Full, Cached, SameAsPending };
  std::vector<Source> source(slots.size(), Source::Full);
  std::vector<uint64_t> keys;
  // A behaviour first seen in this batch, per group: resolved after its one full evaluation.
  std::unordered_map<uint64_t, size_t> pending;
  auto pending_key = [&](size_t k) {
    return keys[k] ^ (static_cast<uint64_t>(group_of(slots[k] / nt)) * 0x9E3779B97F4A7C15ull);
  };

  if (!caches_.empty()) {
    EvalRequest fp = full;
    fp.mode = EvalMode::Fingerprint;
    std::vector<WorkItem> fp_items;
    fp_items.reserve(slots.size());
    for (size_t s : slots)
      fp_items.push_back(
          {static_cast<uint32_t>(s / nt), static_cast<uint32_t>(s % nt),
           std::min<uint32_t>(static_cast<uint32_t>(options_.fec.num_train), tasks_.tasks[s % nt].max_train_steps()),
           static_cast<uint32_t>(options_.fec.num_valid)});
    const std::vector<TaskResult> fps = evaluator_.evaluate(batch, tasks_, fp_items, fp);
    keys.resize(slots.size());
    for (size_t k = 0; k < slots.size(); ++k) {
      const size_t s = slots[k];
      results[s / nt].train_steps += fps[k].train_steps;
      keys[k] = fec_key(fps[k].fingerprint, static_cast<uint32_t>(s % nt), full_steps[s]);
      caches_[group_of(s / nt)].prefetch(keys[k]);
    }
    for (size_t k = 0; k < slots.size(); ++k) {
      const size_t s = slots[k];
      if (auto hit = caches_[group_of(s / nt)].lookup(keys[k])) {
        source[k] = Source::Cached;
        results[s / nt].task_fitness[s % nt] = *hit;
        ++results[s / nt].fec_hits;
      } else if (pending.count(pending_key(k))) {
        source[k] = Source::SameAsPending;
      } else {
        pending.emplace(pending_key(k), k);
      }
    }
  }
  std::vector<WorkItem> items;
  std::vector<size_t> item_slot;  // index into `slots` of each full work item
  for (size_t k = 0; k < slots.size(); ++k) {
    if (source[k] != Source::Full) continue;
    const size_t s = slots[k];
    items.push_back({static_cast<uint32_t>(s / nt), static_cast<uint32_t>(s % nt), full_steps[s],
                     static_cast<uint32_t>(tasks_.tasks[s % nt].n_valid)});
    item_slot.push_back(k);
  }
  const std::vector<TaskResult> evaluated = evaluator_.evaluate(batch, tasks_, items, full);
  if (!caches_.empty())
    for (size_t k : item_slot) caches_[group_of(slots[k] / nt)].prefetch(keys[k]);
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t k = item_slot[i], s = slots[k];
    results[s / nt].task_fitness[s % nt] = evaluated[i].fitness;
    results[s / nt].train_steps += evaluated[i].train_steps;
    if (!caches_.empty()) caches_[group_of(s / nt)].insert(keys[k], evaluated[i].fitness);
  }
  // Later copies of a behaviour first seen in this batch (in the same group) are cache hits, as they would be one
  // child at a time (the entry may already have been forgotten or evicted again; the fitness is the one computed).
  for (size_t k = 0; k < slots.size(); ++k) {
    if (source[k] != Source::SameAsPending) continue;
    const size_t s = slots[k], first = slots[pending.at(pending_key(k))];
    (void)caches_[group_of(s / nt)].lookup(keys[k]);
    results[s / nt].task_fitness[s % nt] = results[first / nt].task_fitness[first % nt];
    ++results[s / nt].fec_hits;
  }
}

std::vector<CandidateResult> CandidateEvaluator::evaluate(const PreparedBatch& prepared, const StagePlan* plan) {
  const size_t n = prepared.size(), nt = tasks_.size();
  std::vector<CandidateResult> results(n);
  for (CandidateResult& r : results) r.task_fitness.assign(nt, 0.0);
  const StagePlan everything{{nt}, {}};
  const StagePlan& stages = plan ? *plan : everything;
  AMLZ_CHECK(stages.stages() >= 1 && stages.stage_ends.back() == nt, "a stage plan covers the tasks once");
  for (const auto& h : stages.hurdles) AMLZ_CHECK(h.size() + 1 == stages.stages(), "a hurdle between stages");

  std::vector<bool> active(n, true);
  size_t begin = 0;
  for (size_t stage = 0; stage < stages.stages(); ++stage) {
    const size_t end = stages.stage_ends[stage];
    AMLZ_CHECK(end > begin && end <= nt, "stages must grow");
    std::vector<size_t> slots;
    for (size_t i = 0; i < n; ++i)
      if (active[i])
        for (size_t t = begin; t < end; ++t) slots.push_back(i * nt + t);
    evaluate_slots(prepared, slots, results);
    const bool last = stage + 1 == stages.stages();
    for (size_t i = 0; i < n; ++i) {
      if (!active[i]) continue;
      CandidateResult& r = results[i];
      r.fitness = combine_fitness(std::vector<double>(r.task_fitness.begin(), r.task_fitness.begin() + end),
                                  options_.combination);
      if (last) continue;
      r.stage_fitness.push_back(r.fitness);
      // Below the hurdle: stop here, keeping the fitness so far; the tasks not run are the work saved.
      const size_t group = prepared.groups.empty() ? 0 : prepared.groups[i];
      if (r.fitness < stages.hurdles.at(group)[stage]) {
        active[i] = false;
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
  return results;
}

}  // namespace amlz
