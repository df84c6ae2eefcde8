// SPDX-License-Identifier: Apache-2.0
// The executor loop of the reference backend (cpu_interpreter.h, execute_task) with the predictions kept; beside
// it because it runs that private interpreter.
// The instructions run through the reference Interpreter itself; `amlz eval --predictions` checks that the fitness
// this loop computes equals the evaluator's for every task, so the loop cannot drift from execute_task unnoticed.
#include "amlz/eval/prediction_trace.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "amlz/error.h"
#include "eval/cpu_interpreter.h"

namespace amlz {
namespace {

template <class T, int F>
TaskTrace trace(const Program& p, uint32_t seed, const Task& task, float max_abs_error) {
  cpu::Interpreter<T, F> it;
  const ProgramDesc& d = p.desc;
  const Instr* setup = p.code.data();
  const Instr* predict = setup + d.n_setup;
  const Instr* learn = predict + d.n_predict;
  const bool accuracy = task.eval == EvalType::Accuracy;
  const T max_err = static_cast<T>(max_abs_error);
  TaskTrace t;
  TaskResult& r = t.result;
  it.reset(d);
  it.run(setup, d.n_setup, {seed, task.index, kPhaseSetup, 0});
  const uint32_t n_valid = static_cast<uint32_t>(task.n_valid);
  const uint32_t per_epoch = static_cast<uint32_t>(task.n_train);
  uint32_t step = 0;
  double best = 0.0;
  auto stop = [](T abs_err) { return std::isnan(abs_err) ? EvalStatus::NonFinite : EvalStatus::Diverged; };
  for (uint32_t epoch = 0; epoch < static_cast<uint32_t>(task.n_epochs); ++epoch) {
    const uint32_t* order = &task.epoch_order[static_cast<size_t>(epoch) * per_epoch];
    for (uint32_t j = 0; j < per_epoch; ++j, ++step) {
      const float* x = &task.train_x[static_cast<size_t>(order[j]) * F];
      const T y = static_cast<T>(task.train_y[order[j]]);
      it.set_features(x);
      it.s(kLabelScalar) = T(0);
      it.run(predict, d.n_predict, {seed, task.index, kPhaseTrain, step});
      if (accuracy) it.s(kPredictionScalar) = sigmoid(it.s(kPredictionScalar));
      t.train_predictions.push_back(static_cast<float>(it.s(kPredictionScalar)));
      const T err = std::abs(y - it.s(kPredictionScalar));
      ++r.train_steps;
      if (error_is_bad(err, max_err)) {
        r.status = stop(err);
        r.fitness = best;  // 0 in the first epoch
        return t;
      }
      it.set_features(x);
      it.s(kLabelScalar) = y;
      it.run(learn, d.n_learn, {seed, task.index, kPhaseTrain, step});
    }
    std::vector<float>& predictions = t.valid_predictions.emplace_back();
    double loss = 0.0;
    bool failed = false;
    for (uint32_t j = 0; j < n_valid; ++j) {
      it.set_features(&task.valid_x[static_cast<size_t>(j) * F]);
      it.s(kLabelScalar) = T(0);
      it.run(predict, d.n_predict, {seed, task.index, kPhaseValid, epoch * n_valid + j});
      const T y = static_cast<T>(task.valid_y[j]);
      const T s1 = it.s(kPredictionScalar);
      predictions.push_back(static_cast<float>(s1));
      const T e = accuracy ? accuracy_error(y, s1) : y - s1;
      if (error_is_bad(T(std::abs(e)), max_err)) {
        if (r.status == EvalStatus::Ok) r.status = stop(std::abs(e));
        failed = true;
        break;
      }
      loss += static_cast<double>(e) * static_cast<double>(e);
    }
    if (!failed) {
      const double mean = loss / static_cast<double>(task.n_valid);
      best = std::max(best, accuracy ? 1.0 - mean : flip_and_squash(std::sqrt(mean)));
    }
  }
  r.fitness = best;
  return t;
}

template <class T>
TaskTrace trace_f(const Program& p, uint32_t seed, const Task& task, float max_abs_error) {
  switch (task.features) {
    case 2: return trace<T, 2>(p, seed, task, max_abs_error);
    case 4: return trace<T, 4>(p, seed, task, max_abs_error);
    case 8: return trace<T, 8>(p, seed, task, max_abs_error);
    case 16: return trace<T, 16>(p, seed, task, max_abs_error);
    case 32: return trace<T, 32>(p, seed, task, max_abs_error);
    default: break;
  }
  throw Error("feature size " + std::to_string(task.features) + " is not one of 2, 4, 8, 16, 32");
}

void floats(std::ostream& out, const char* key, const float* x, size_t n) {
  out << key;
  char buf[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, " %.9g", static_cast<double>(x[i]));
    out << buf;
  }
  out << "\n";
}

}  // namespace

TaskTrace trace_task(const Program& program, uint32_t eval_seed, const Task& task, float max_abs_error, bool float64) {
  return float64 ? trace_f<double>(program, eval_seed, task, max_abs_error)
                 : trace_f<float>(program, eval_seed, task, max_abs_error);
}

void write_trace(std::ostream& out, uint32_t eval_seed, const TaskSet& tasks, float max_abs_error,
                 const std::vector<TaskTrace>& traces) {
  AMLZ_CHECK(traces.size() == tasks.size(), "one trace per task");
  char buf[64];
  out << "amlz-predictions 1\nseed " << eval_seed << "\ntasks " << tasks.size() << "\n";
  for (size_t i = 0; i < tasks.size(); ++i) {
    const Task& t = tasks.tasks[i];
    const TaskTrace& tr = traces[i];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(max_abs_error));
    out << "task " << t.index << " features " << t.features << " eval " << enum_name(t.eval) << " epochs " << t.n_epochs
        << " train " << t.n_train << " valid " << t.n_valid << " max_abs_error " << buf << "\n";
    floats(out, "train_x", t.train_x.data(), t.train_x.size());
    floats(out, "train_y", t.train_y.data(), t.train_y.size());
    out << "order";
    for (uint32_t k : t.epoch_order) out << " " << k;
    out << "\n";
    floats(out, "valid_x", t.valid_x.data(), t.valid_x.size());
    floats(out, "valid_y", t.valid_y.data(), t.valid_y.size());
    floats(out, "train_predictions", tr.train_predictions.data(), tr.train_predictions.size());
    for (size_t e = 0; e < tr.valid_predictions.size(); ++e) {
      const std::string key = "valid_predictions " + std::to_string(e);
      floats(out, key.c_str(), tr.valid_predictions[e].data(), tr.valid_predictions[e].size());
    }
    std::snprintf(buf, sizeof buf, "%.17g", tr.result.fitness);
    out << "result " << buf << " " << enum_name(tr.result.status) << "\n";
  }
}

void write_prediction_file(const std::string& path, const Program& program, uint32_t eval_seed, const TaskSet& tasks,
                           float max_abs_error, bool float64, const std::vector<TaskResult>* check) {
  std::vector<TaskTrace> traces;
  for (size_t i = 0; i < tasks.size(); ++i) {
    traces.push_back(trace_task(program, eval_seed, tasks.tasks[i], max_abs_error, float64));
    if (!check) continue;
    const TaskResult& want = (*check)[i];
    const TaskResult& got = traces.back().result;
    AMLZ_CHECK(want.fitness == got.fitness && want.status == got.status && want.train_steps == got.train_steps,
               "task " + std::to_string(i) + ": the prediction trace's fitness " + format_number(got.fitness) + " (" +
                   enum_name(got.status) + ") differs from the evaluator's " + format_number(want.fitness) + " (" +
                   enum_name(want.status) + ")");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) write_trace(out, eval_seed, tasks, max_abs_error, traces);
  out.flush();
  if (!out) throw Error("cannot write '" + printable(path) + "': " + std::strerror(errno));
}

}  // namespace amlz
