// SPDX-License-Identifier: Apache-2.0
// The CPU reference interpreter, the oracle of every other backend: executes bytecode on one task exactly as spec §4
// says, one instruction at a time, with each vector and matrix op a plain loop over the compile-time feature size.
// Shared with the GPU: only the per-element edge rules (op_semantics.h) and the random draws (core/philox.h); shared
// with the CPU vector backend: also the arithmetic contract of cpu_numerics.h. Private to src/eval.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <Eigen/Core>

#include "amlz/core/bytecode.h"
#include "amlz/core/hash.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
#include "amlz/eval/evaluator.h"
#include "amlz/tasks/task.h"
#include "eval/cpu_numerics.h"

namespace amlz::cpu {

template <class T, int F>
class Interpreter {
 public:
  // Views of memory for tests and inspection; the interpreter itself works on the raw arrays.
  using Vec = Eigen::Matrix<T, F, 1>;
  using Mat = Eigen::Matrix<T, F, F, Eigen::RowMajor>;
  using VecMap = Eigen::Map<Vec>;
  using MatMap = Eigen::Map<Mat>;

  // Memory for a program's compacted address counts, zeroed. The buffer is reused between calls.
  void reset(const ProgramDesc& d) {
    const size_t scalars = d.n_scalars, vectors = static_cast<size_t>(d.n_vectors) * F;
    memory_.assign(scalars + vectors + static_cast<size_t>(d.n_matrices) * F * F, T(0));
    s_ = memory_.data();
    v_ = s_ + scalars;
    m_ = v_ + vectors;
  }

  T& s(int i) { return s_[i]; }
  VecMap v(int i) { return VecMap(vec(i)); }
  MatMap m(int i) { return MatMap(mat(i)); }

  void set_features(const float* x) { set_vector(kFeaturesVector, x); }
  // Vector i <- x (F floats), or zeros when x is null.
  void set_vector(int i, const float* x) {
    T* v = vec(i);
    for (int j = 0; j < F; ++j) v[j] = x ? static_cast<T>(x[j]) : T(0);
  }
  T* vector_data(int i) { return vec(i); }

  // The hot loop: execute() is forced inline so each instruction costs one indexed jump, not a call.
  AMLZ_FORCEINLINE void run(const Instr* code, int n, const RandomStream& rc) {
    for (const Instr* end = code + n; code != end; ++code) execute(*code, rc);
  }

 private:
  T* vec(int i) { return v_ + static_cast<size_t>(i) * F; }
  T* mat(int i) { return m_ + static_cast<size_t>(i) * F * F; }

  // The kernels: plain loops over the compile-time size, inlined into the dispatch. Element-wise ops may write
  // their own input (each element is read before it is written); the three ops whose outputs mix elements (M*v,
  // matmul, transpose) build the result first, so out may alias an input. Sums run in index order from +0
  // (cpu_numerics.h): the vector backend sums each lane in the same order and agrees bit for bit.
  template <int N, class Fn>
  static void map1(T* out, const T* a, Fn f) {
    for (int i = 0; i < N; ++i) out[i] = f(a[i]);
  }
  template <int N, class Fn>
  static void map2(T* out, const T* a, const T* b, Fn f) {
    for (int i = 0; i < N; ++i) out[i] = f(a[i], b[i]);
  }
  static T sum(const T* x, int count, int stride = 1) {
    T s = 0;
    for (int i = 0; i < count; ++i) s += x[i * stride];
    return s;
  }
  static T sum_of_squares(const T* x, int count, int stride = 1) {
    T s = 0;
    for (int i = 0; i < count; ++i) s += x[i * stride] * x[i * stride];
    return s;
  }
  static T dot(const T* a, const T* b, int b_stride = 1) {
    T s = 0;
    for (int i = 0; i < F; ++i) s += a[i] * b[i * b_stride];
    return s;
  }
  static void matrix_vector(T* out, const T* m, const T* x) {
    T r[F];
    for (int i = 0; i < F; ++i) r[i] = dot(m + i * F, x);
    std::memcpy(out, r, sizeof r);
  }
  static void matrix_matrix(T* out, const T* a, const T* b) {
    T r[F * F];
    for (int i = 0; i < F; ++i)
      for (int j = 0; j < F; ++j) r[i * F + j] = dot(a + i * F, b + j, F);
    std::memcpy(out, r, sizeof r);
  }
  static void transpose(T* out, const T* a) {
    T r[F * F];
    for (int i = 0; i < F; ++i)
      for (int j = 0; j < F; ++j) r[j * F + i] = a[i * F + j];
    std::memcpy(out, r, sizeof r);
  }

  AMLZ_FORCEINLINE void execute(const Instr& in, const RandomStream& rc) {
    const int o = in.out, a = in.in1, b = in.in2;
    // verify() admits only the 65 opcodes: this spares the switch a range check per dispatch, and unlike a
    // `default:` it leaves -Wswitch to report an op of the table that has no case.
    if (!is_valid_op(static_cast<uint8_t>(in.op))) __builtin_unreachable();
    constexpr int FF = F * F;
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
      case Op::VectorHeaviside: map1<F>(vec(o), vec(a), heaviside_elementwise<T>); break;
      case Op::MatrixHeaviside: map1<FF>(mat(o), mat(a), heaviside_elementwise<T>); break;
      case Op::ScalarVectorProduct: {
        const T x = s_[a];
        map1<F>(vec(o), vec(b), [x](T y) { return x * y; });
        break;
      }
      case Op::ScalarBroadcast: std::fill_n(vec(o), F, s_[a]); break;
      case Op::VectorReciprocal: map1<F>(vec(o), vec(a), [](T x) { return T(1) / x; }); break;
      case Op::VectorNorm: s_[o] = std::sqrt(sum_of_squares(vec(a), F)); break;
      case Op::VectorAbs: map1<F>(vec(o), vec(a), [](T x) { return std::abs(x); }); break;
      case Op::VectorSum: map2<F>(vec(o), vec(a), vec(b), [](T x, T y) { return x + y; }); break;
      case Op::VectorDiff: map2<F>(vec(o), vec(a), vec(b), [](T x, T y) { return x - y; }); break;
      case Op::VectorProduct: map2<F>(vec(o), vec(a), vec(b), [](T x, T y) { return x * y; }); break;
      case Op::VectorDivision: map2<F>(vec(o), vec(a), vec(b), [](T x, T y) { return x / y; }); break;
      case Op::VectorInnerProduct: s_[o] = dot(vec(a), vec(b)); break;
      case Op::VectorOuterProduct:
        for (int i = 0; i < F; ++i)
          for (int j = 0; j < F; ++j) mat(o)[i * F + j] = vec(a)[i] * vec(b)[j];
        break;
      case Op::ScalarMatrixProduct: {
        const T x = s_[a];
        map1<FF>(mat(o), mat(b), [x](T y) { return x * y; });
        break;
      }
      case Op::MatrixReciprocal: map1<FF>(mat(o), mat(a), [](T x) { return T(1) / x; }); break;
      case Op::MatrixVectorProduct: matrix_vector(vec(o), mat(a), vec(b)); break;
      case Op::VectorColumnBroadcast:  // every column is v: M(i, j) = v(i)
        for (int i = 0; i < F; ++i) std::fill_n(mat(o) + i * F, F, vec(a)[i]);
        break;
      case Op::VectorRowBroadcast:  // every row is v: M(i, j) = v(j)
        for (int i = 0; i < F; ++i) std::memcpy(mat(o) + i * F, vec(a), sizeof(T) * F);
        break;
      case Op::MatrixNorm: s_[o] = std::sqrt(sum_of_squares(mat(a), FF)); break;
      case Op::MatrixColumnNorm:
        for (int j = 0; j < F; ++j) vec(o)[j] = std::sqrt(sum_of_squares(mat(a) + j, F, F));
        break;
      case Op::MatrixRowNorm:
        for (int i = 0; i < F; ++i) vec(o)[i] = std::sqrt(sum_of_squares(mat(a) + i * F, F));
        break;
      case Op::MatrixTranspose: transpose(mat(o), mat(a)); break;
      case Op::MatrixAbs: map1<FF>(mat(o), mat(a), [](T x) { return std::abs(x); }); break;
      case Op::MatrixSum: map2<FF>(mat(o), mat(a), mat(b), [](T x, T y) { return x + y; }); break;
      case Op::MatrixDiff: map2<FF>(mat(o), mat(a), mat(b), [](T x, T y) { return x - y; }); break;
      case Op::MatrixProduct: map2<FF>(mat(o), mat(a), mat(b), [](T x, T y) { return x * y; }); break;
      case Op::MatrixDivision: map2<FF>(mat(o), mat(a), mat(b), [](T x, T y) { return x / y; }); break;
      case Op::MatrixMatrixProduct: matrix_matrix(mat(o), mat(a), mat(b)); break;
      case Op::ScalarMin: s_[o] = min_sv(s_[a], s_[b]); break;
      case Op::VectorMin: map2<F>(vec(o), vec(a), vec(b), min_sv<T>); break;
      case Op::MatrixMin: map2<FF>(mat(o), mat(a), mat(b), min_m<T>); break;
      case Op::ScalarMax: s_[o] = max_sv(s_[a], s_[b]); break;
      case Op::VectorMax: map2<F>(vec(o), vec(a), vec(b), max_sv<T>); break;
      case Op::MatrixMax: map2<FF>(mat(o), mat(a), mat(b), max_m<T>); break;
      case Op::VectorMean: s_[o] = sum(vec(a), F) / T(F); break;
      case Op::MatrixMean: s_[o] = sum(mat(a), FF) / T(FF); break;
      case Op::MatrixRowMean:
        for (int i = 0; i < F; ++i) vec(o)[i] = sum(mat(a) + i * F, F) / T(F);
        break;
      case Op::MatrixRowStDev:
        for (int i = 0; i < F; ++i) vec(o)[i] = stdev_of(mat(a) + i * F, F);
        break;
      case Op::VectorStDev: s_[o] = stdev_of(vec(a), F); break;
      case Op::MatrixStDev: s_[o] = stdev_of(mat(a), FF); break;
      case Op::ScalarConstSet: s_[o] = static_cast<T>(in.d0); break;
      case Op::VectorConstSet: vec(o)[decode_index(in.d0, F)] = static_cast<T>(in.d1); break;
      case Op::MatrixConstSet:
        mat(o)[decode_index(in.d0, F) * F + decode_index(in.d1, F)] = static_cast<T>(in.d2);
        break;
      case Op::ScalarUniformSet: fill_random(&s_[o], 1, 1, in, rc); break;
      case Op::VectorUniformSet: fill_random(vec(o), F, 1, in, rc); break;
      case Op::MatrixUniformSet: fill_random(mat(o), FF, 1, in, rc); break;
      case Op::ScalarGaussianSet: fill_random(&s_[o], 1, 1, in, rc); break;
      case Op::VectorGaussianSet: fill_random(vec(o), F, 1, in, rc); break;
      case Op::MatrixGaussianSet: fill_random(mat(o), FF, 1, in, rc); break;
    }
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
  // Multiclass tasks (LabelKind::Vector, bytecode.h): the one-hot label goes to v1 (zeros during Predict), the K
  // logits are read from v2; op_semantics.h has the softmax, the training error and the 0/1 validation error.
  const bool vector_labels = task.classes > 0;
  const int k = task.classes;
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
  auto stop = [&](T abs_err) { return std::isnan(abs_err) ? EvalStatus::NonFinite : EvalStatus::Diverged; };

  for (uint32_t epoch = 0; remaining > 0; ++epoch) {
    const uint32_t n = std::min(per_epoch, remaining);
    const uint32_t* order = &task.epoch_order[static_cast<size_t>(epoch % task.n_epochs) * per_epoch];
    for (uint32_t j = 0; j < n; ++j, ++step) {
      const float* x = &task.train_x[static_cast<size_t>(order[j]) * F];
      const T y = vector_labels ? T(0) : static_cast<T>(task.train_y[order[j]]);
      const float* y_vector = vector_labels ? &task.train_y[static_cast<size_t>(order[j]) * F] : nullptr;
      it.set_features(x);
      if (vector_labels)
        it.set_vector(kLabelVector, nullptr);
      else
        it.s(kLabelScalar) = T(0);
      it.run(predict, d.n_predict, {seed, task.index, kPhaseTrain, step});
      T err;
      if (vector_labels) {
        T* p = it.vector_data(kPredictionVector);
        softmax_in_place(p, k);
        T label[F];
        for (int e = 0; e < F; ++e) label[e] = static_cast<T>(y_vector[e]);
        err = multiclass_train_error(label, p, k);
      } else {
        if (accuracy) it.s(kPredictionScalar) = sigmoid(it.s(kPredictionScalar));
        err = std::abs(y - it.s(kPredictionScalar));
      }
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
      if (vector_labels)
        it.set_vector(kLabelVector, y_vector);
      else
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
      if (vector_labels)
        it.set_vector(kLabelVector, nullptr);
      else
        it.s(kLabelScalar) = T(0);
      it.run(predict, d.n_predict, {seed, task.index, kPhaseValid, epoch * n_valid + j});
      T e;
      if (vector_labels) {
        const float* y_vector = &task.valid_y[static_cast<size_t>(j) * F];
        T label[F];
        for (int i = 0; i < F; ++i) label[i] = static_cast<T>(y_vector[i]);
        e = multiclass_accuracy_error(label, it.vector_data(kPredictionVector), k);
      } else {
        const T y = static_cast<T>(task.valid_y[j]);
        const T s1 = it.s(kPredictionScalar);
        e = accuracy ? accuracy_error(y, s1) : y - s1;
      }
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
