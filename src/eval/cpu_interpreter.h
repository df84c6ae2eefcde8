// SPDX-License-Identifier: Apache-2.0
// The CPU reference interpreter: executes bytecode on one task exactly as spec §4 says. Vector and matrix ops go
// through Eigen fixed-size maps; only the per-element edge rules (op_semantics.h) and the random draws (core/philox.h)
// are shared with the GPU. Private to src/eval.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "amlz/core/bytecode.h"
#include "amlz/core/hash.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
#include "amlz/eval/evaluator.h"
#include "amlz/tasks/task.h"

namespace amlz::cpu {

template <class T, int F>
class Interpreter {
 public:
  using Vec = Eigen::Matrix<T, F, 1>;
  using Mat = Eigen::Matrix<T, F, F, Eigen::RowMajor>;
  using VecMap = Eigen::Map<Vec>;
  using MatMap = Eigen::Map<Mat>;

  // Memory for a program's compacted address counts, zeroed. The buffer is reused between calls. The vector and
  // matrix regions start 64-byte aligned, so every slot has the same alignment whatever its address: Eigen's
  // vectorised reductions then sum in the same order wherever compaction puts an operand.
  void reset(const ProgramDesc& d) {
    constexpr size_t kAlign = 64 / sizeof(T);
    auto round_up = [](size_t x) { return (x + kAlign - 1) / kAlign * kAlign; };
    const size_t scalars = round_up(d.n_scalars), vectors = round_up(static_cast<size_t>(d.n_vectors) * F);
    const size_t n = scalars + vectors + static_cast<size_t>(d.n_matrices) * F * F;
    memory_.assign(n + kAlign, T(0));
    T* base = memory_.data();
    base += (kAlign - (reinterpret_cast<uintptr_t>(base) / sizeof(T)) % kAlign) % kAlign;
    s_ = base;
    v_ = s_ + scalars;
    m_ = v_ + vectors;
  }

  T& s(int i) { return s_[i]; }
  VecMap v(int i) { return VecMap(v_ + static_cast<size_t>(i) * F); }
  MatMap m(int i) { return MatMap(m_ + static_cast<size_t>(i) * F * F); }

  void set_features(const float* x) {
    if constexpr (std::is_same_v<T, float>) {
      std::memcpy(v_, x, sizeof(float) * F);
    } else {
      for (int j = 0; j < F; ++j) v_[j] = static_cast<T>(x[j]);
    }
  }

  // The hot loop: execute() is forced inline so each instruction costs one indexed jump, not a call.
  AMLZ_FORCEINLINE void run(const Instr* code, int n, const RandomStream& rc) {
    for (const Instr* end = code + n; code != end; ++code) execute(*code, rc);
  }

 private:
  static T mean_of(const T* x, int count) {
    T sum = 0;
    for (int i = 0; i < count; ++i) sum += x[i];
    return sum / T(count);
  }
  // Population st.dev. as the original: sqrt(mean of squares - square of mean), no clamp.
  static T stdev_of(const T* x, int count) {
    T sum = 0, sq = 0;
    for (int i = 0; i < count; ++i) {
      sum += x[i];
      sq += x[i] * x[i];
    }
    const T mean = sum / T(count);
    return std::sqrt(sq / T(count) - mean * mean);
  }

  template <class Draw>
  void fill_random(T* out, int count, const Instr& in, const RandomStream& rc, Draw draw) {
    const uint32_t key = random_key(in);
    for (int e = 0; e < count; ++e) {
      const Philox4 r = random_op_draw(rc, key, static_cast<uint32_t>(e));
      out[e] = static_cast<T>(draw(r));
    }
  }

  AMLZ_FORCEINLINE void execute(const Instr& in, const RandomStream& rc) {
    using std::abs;
    const int o = in.out, a = in.in1, b = in.in2;
    // verify() admits only the 65 opcodes: this spares the switch a range check per dispatch, and unlike a
    // `default:` it leaves -Wswitch to report an op of the table that has no case.
    if (!is_valid_op(static_cast<uint8_t>(in.op))) __builtin_unreachable();
    switch (in.op) {
      case Op::NoOp: break;
      case Op::ScalarSum: s_[o] = s_[a] + s_[b]; break;
      case Op::ScalarDiff: s_[o] = s_[a] - s_[b]; break;
      case Op::ScalarProduct: s_[o] = s_[a] * s_[b]; break;
      case Op::ScalarDivision: s_[o] = s_[a] / s_[b]; break;
      case Op::ScalarAbs: s_[o] = std::abs(s_[a]); break;
      case Op::ScalarReciprocal: s_[o] = T(1) / s_[a]; break;
      case Op::ScalarSin: s_[o] = std::sin(s_[a]); break;
      case Op::ScalarCos: s_[o] = std::cos(s_[a]); break;
      case Op::ScalarTan: s_[o] = std::tan(s_[a]); break;
      case Op::ScalarArcSin: s_[o] = std::asin(s_[a]); break;
      case Op::ScalarArcCos: s_[o] = std::acos(s_[a]); break;
      case Op::ScalarArcTan: s_[o] = std::atan(s_[a]); break;
      case Op::ScalarExp: s_[o] = std::exp(s_[a]); break;
      case Op::ScalarLog: s_[o] = std::log(s_[a]); break;
      case Op::ScalarHeaviside: s_[o] = heaviside_scalar(s_[a]); break;
      case Op::VectorHeaviside: v(o) = v(a).unaryExpr([](T x) { return heaviside_elementwise(x); }); break;
      case Op::MatrixHeaviside: m(o) = m(a).unaryExpr([](T x) { return heaviside_elementwise(x); }); break;
      case Op::ScalarVectorProduct: v(o) = s_[a] * v(b); break;
      case Op::ScalarBroadcast: v(o).setConstant(s_[a]); break;
      case Op::VectorReciprocal: v(o) = v(a).cwiseInverse(); break;
      case Op::VectorNorm: s_[o] = v(a).norm(); break;
      case Op::VectorAbs: v(o) = v(a).cwiseAbs(); break;
      case Op::VectorSum: v(o) = v(a) + v(b); break;
      case Op::VectorDiff: v(o) = v(a) - v(b); break;
      case Op::VectorProduct: v(o) = v(a).cwiseProduct(v(b)); break;
      case Op::VectorDivision: v(o) = v(a).cwiseQuotient(v(b)); break;
      case Op::VectorInnerProduct: s_[o] = v(a).dot(v(b)); break;
      case Op::VectorOuterProduct: m(o) = v(a) * v(b).transpose(); break;
      case Op::ScalarMatrixProduct: m(o) = s_[a] * m(b); break;
      case Op::MatrixReciprocal: m(o) = m(a).cwiseInverse(); break;
      case Op::MatrixVectorProduct: v(o) = (m(a) * v(b)).eval(); break;  // out may alias the input vector
      case Op::VectorColumnBroadcast: m(o) = v(a).replicate(1, F); break;
      case Op::VectorRowBroadcast: m(o) = v(a).transpose().replicate(F, 1); break;
      case Op::MatrixNorm: s_[o] = m(a).norm(); break;
      case Op::MatrixColumnNorm: v(o) = m(a).colwise().norm().transpose(); break;
      case Op::MatrixRowNorm: v(o) = m(a).rowwise().norm(); break;
      case Op::MatrixTranspose: m(o) = m(a).transpose().eval(); break;  // in place when out == in1
      case Op::MatrixAbs: m(o) = m(a).cwiseAbs(); break;
      case Op::MatrixSum: m(o) = m(a) + m(b); break;
      case Op::MatrixDiff: m(o) = m(a) - m(b); break;
      case Op::MatrixProduct: m(o) = m(a).cwiseProduct(m(b)); break;
      case Op::MatrixDivision: m(o) = m(a).cwiseQuotient(m(b)); break;
      case Op::MatrixMatrixProduct: m(o) = (m(a) * m(b)).eval(); break;
      case Op::ScalarMin: s_[o] = min_sv(s_[a], s_[b]); break;
      case Op::VectorMin: v(o) = v(a).binaryExpr(v(b), [](T x, T y) { return min_sv(x, y); }); break;
      case Op::MatrixMin: m(o) = m(a).binaryExpr(m(b), [](T x, T y) { return min_m(x, y); }); break;
      case Op::ScalarMax: s_[o] = max_sv(s_[a], s_[b]); break;
      case Op::VectorMax: v(o) = v(a).binaryExpr(v(b), [](T x, T y) { return max_sv(x, y); }); break;
      case Op::MatrixMax: m(o) = m(a).binaryExpr(m(b), [](T x, T y) { return max_m(x, y); }); break;
      case Op::VectorMean: s_[o] = mean_of(v(a).data(), F); break;
      case Op::MatrixMean: s_[o] = mean_of(m(a).data(), F * F); break;
      case Op::MatrixRowMean: v(o) = m(a).rowwise().mean(); break;
      case Op::MatrixRowStDev: {
        Vec r;
        for (int i = 0; i < F; ++i) r[i] = stdev_of(m(a).row(i).data(), F);
        v(o) = r;
        break;
      }
      case Op::VectorStDev: s_[o] = stdev_of(v(a).data(), F); break;
      case Op::MatrixStDev: s_[o] = stdev_of(m(a).data(), F * F); break;
      case Op::ScalarConstSet: s_[o] = static_cast<T>(in.d0); break;
      case Op::VectorConstSet: v(o)[decode_index(in.d0, F)] = static_cast<T>(in.d1); break;
      case Op::MatrixConstSet: m(o)(decode_index(in.d0, F), decode_index(in.d1, F)) = static_cast<T>(in.d2); break;
      case Op::ScalarUniformSet: fill_random(&s_[o], 1, in, rc, uniform_draw(in)); break;
      case Op::VectorUniformSet: fill_random(v(o).data(), F, in, rc, uniform_draw(in)); break;
      case Op::MatrixUniformSet: fill_random(m(o).data(), F * F, in, rc, uniform_draw(in)); break;
      case Op::ScalarGaussianSet: fill_random(&s_[o], 1, in, rc, gaussian_draw(in)); break;
      case Op::VectorGaussianSet: fill_random(v(o).data(), F, in, rc, gaussian_draw(in)); break;
      case Op::MatrixGaussianSet: fill_random(m(o).data(), F * F, in, rc, gaussian_draw(in)); break;
    }
  }

  static auto uniform_draw(const Instr& in) {
    return [lo = double(in.d0), hi = double(in.d1)](const Philox4& r) { return uniform_open(lo, hi, r.v[0]); };
  }
  static auto gaussian_draw(const Instr& in) {
    return [mu = double(in.d0), sd = double(in.d1)](const Philox4& r) { return gaussian(mu, sd, r.v[0], r.v[1]); };
  }

  std::vector<T> memory_;
  T* s_ = nullptr;
  T* v_ = nullptr;
  T* m_ = nullptr;
};

// Runs one work item: the executor of spec §4 (Setup once, then epochs of Predict/Learn with early stopping,
// validation after each epoch, the best validation fitness over epochs).
template <class T, int F>
TaskResult execute_task(Interpreter<T, F>& it, const Instr* code, const ProgramDesc& d, const Task& task,
                        const WorkItem& w, const EvalRequest& req) {
  const Instr* setup = code;
  const Instr* predict = code + d.n_setup;
  const Instr* learn = predict + d.n_predict;
  const bool fingerprint = req.mode == EvalMode::Fingerprint;
  const uint32_t seed = fingerprint ? req.fingerprint_seed : d.eval_seed;
  const bool accuracy = task.eval == EvalType::Accuracy;
  const T max_err = static_cast<T>(req.max_abs_error);
  // Predict must not leak a changed v0 into Learn; only hand-written programs ever write v0.
  const bool predict_writes_v0 = (d.flags & kPredictWritesV0) != 0;

  TaskResult r;
  it.reset(d);
  it.run(setup, d.n_setup, {seed, task.index, kPhaseSetup, 0});
  if (w.train_steps == 0) {
    r.status = EvalStatus::OverBudget;
    return r;
  }
  const uint32_t n_valid = std::min<uint32_t>(w.valid_steps, static_cast<uint32_t>(task.n_valid));
  const uint32_t per_epoch = static_cast<uint32_t>(task.n_train);
  uint64_t hash = kHashStart;
  uint32_t remaining = std::min(w.train_steps, task.max_train_steps());
  uint32_t step = 0;
  double best = 0.0;
  auto stop = [&](T abs_err) { return abs_err != abs_err ? EvalStatus::NonFinite : EvalStatus::Diverged; };

  for (uint32_t epoch = 0; remaining > 0; ++epoch) {
    const uint32_t n = std::min(per_epoch, remaining);
    const uint32_t* order = &task.epoch_order[static_cast<size_t>(epoch % task.n_epochs) * per_epoch];
    for (uint32_t j = 0; j < n; ++j, ++step) {
      const float* x = &task.train_x[static_cast<size_t>(order[j]) * F];
      const T y = static_cast<T>(task.train_y[order[j]]);
      it.set_features(x);
      it.s(kLabelScalar) = T(0);
      it.run(predict, d.n_predict, {seed, task.index, kPhaseTrain, step});
      if (accuracy) it.s(kPredictionScalar) = sigmoid(it.s(kPredictionScalar));
      const T err = std::abs(y - it.s(kPredictionScalar));
      ++r.train_steps;
      if (fingerprint && epoch == 0) hash = hash_combine(hash, float_hash_bits(static_cast<float>(err)));
      if (error_is_bad(err, max_err)) {
        r.status = stop(err);
        r.fitness = epoch == 0 ? 0.0 : best;
        if (fingerprint) hash = hash_combine(hash_combine(hash, r.train_steps), 0);
        r.fingerprint = hash;
        return r;
      }
      if (predict_writes_v0) it.set_features(x);
      it.s(kLabelScalar) = y;
      it.run(learn, d.n_learn, {seed, task.index, kPhaseTrain, step});
    }
    remaining -= n;
    if (fingerprint && epoch == 0) hash = hash_combine(hash, n);

    // Validation: Predict only, in data order; memory changes persist into the next epoch.
    double loss = 0.0;
    bool failed = false;
    for (uint32_t j = 0; j < n_valid; ++j) {
      it.set_features(&task.valid_x[static_cast<size_t>(j) * F]);
      it.s(kLabelScalar) = T(0);
      it.run(predict, d.n_predict, {seed, task.index, kPhaseValid, epoch * n_valid + j});
      const T y = static_cast<T>(task.valid_y[j]);
      const T s1 = it.s(kPredictionScalar);
      const T e = accuracy ? accuracy_error(y, s1) : y - s1;
      if (fingerprint && epoch == 0) hash = hash_combine(hash, float_hash_bits(static_cast<float>(std::abs(e))));
      if (error_is_bad(T(std::abs(e)), max_err)) {
        if (r.status == EvalStatus::Ok) r.status = stop(std::abs(e));
        failed = true;
        break;
      }
      loss += static_cast<double>(e) * static_cast<double>(e);
    }
    if (fingerprint && epoch == 0) hash = hash_combine(hash, n_valid);
    if (!failed) {
      // The loss is divided by the FULL validation size even when fewer examples ran (spec §4).
      const double mean = loss / static_cast<double>(task.n_valid);
      const double f = accuracy ? 1.0 - mean : flip_and_squash(std::sqrt(mean));
      best = std::max(best, f);
    }
  }
  r.fitness = best;
  r.fingerprint = hash;
  return r;
}

}  // namespace amlz::cpu
