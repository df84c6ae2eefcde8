// SPDX-License-Identifier: Apache-2.0
// The vector backend's interpreter (vector_interpreter.h). Highway's foreach_target includes this file once per SIMD
// target (AVX-512, AVX2, SSE4, portable); HWY_DYNAMIC_DISPATCH picks the best the machine runs at the first call.
//
// Memory of a lane group: every scalar, vector element and matrix element is a row of kVectorLanes floats, one per
// task: s[addr][lane], v[addr][element][lane], m[addr][row][col][lane]. An op is then the reference's loop with each
// scalar operation replaced by the same IEEE operation on whole rows (N lanes per SIMD register, L/N registers per
// row); sums keep the reference's index order, so every lane computes bit for bit what the reference computes for
// its task. What cannot be vectorised exactly (transcendentals, st.dev. in double, random draws, the sigmoid) calls
// the reference's own scalar function lane by lane.
#include "eval/vector_interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "amlz/core/hash.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
#include "amlz/error.h"
#include "eval/cpu_numerics.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "eval/vector_interpreter.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace amlz::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr int L = kVectorLanes;
using DF = hn::CappedTag<float, L>;       // one register of floats (N lanes)
using DU = hn::RebindToUnsigned<DF>;      // the same lanes as uint32
using DD = hn::CappedTag<double, L>;      // doubles: the validation loss
using DFD = hn::Rebind<float, DD>;        // floats with as many lanes as DD
using DU64 = hn::CappedTag<uint64_t, L>;  // FEC fingerprint hashes
using DU32 = hn::Rebind<uint32_t, DU64>;  // uint32 with as many lanes as DU64
constexpr size_t N = hn::MaxLanes(DF());
constexpr size_t ND = hn::MaxLanes(DD());
constexpr size_t N64 = hn::MaxLanes(DU64());
static_assert(L % N == 0 && L % ND == 0 && L % N64 == 0, "a lane group must be whole registers");

// hash_combine (core/hash.h) on N64 lanes at once: the same four mixing rounds in 64-bit integer arithmetic.
HWY_INLINE hn::Vec<DU64> hash_combine_lanes(hn::Vec<DU64> h, hn::Vec<DU64> x) {
  const DU64 du;
  auto a = hn::Set(du, uint64_t{0x9e3779b9u});
  auto b = h, c = x;
#define AMLZ_MIX_ROUND_LANES(r1, r2, r3) \
  a = hn::Sub(hn::Sub(a, b), c);         \
  a = hn::Xor(a, hn::ShiftRight<r1>(c)); \
  b = hn::Sub(hn::Sub(b, c), a);         \
  b = hn::Xor(b, hn::ShiftLeft<r2>(a));  \
  c = hn::Sub(hn::Sub(c, a), b);         \
  c = hn::Xor(c, hn::ShiftRight<r3>(b));
  AMLZ_MIX_ROUND_LANES(43, 9, 8)
  AMLZ_MIX_ROUND_LANES(38, 23, 5)
  AMLZ_MIX_ROUND_LANES(35, 49, 11)
  AMLZ_MIX_ROUND_LANES(12, 18, 22)
#undef AMLZ_MIX_ROUND_LANES
  return c;
}

// Floats of lane memory a program needs (every scalar, vector element and matrix element is a row of L floats).
template <int F>
size_t memory_rows(const ProgramDesc& d) {
  return d.n_scalars + size_t{d.n_vectors} * F + size_t{d.n_matrices} * F * F;
}

// The memory of one lane group and the ops on it.
template <int F>
class Lanes {
 public:
  static constexpr int FF = F * F;

  // `memory`: memory_rows<F>(d) * L floats, 64-byte aligned; `scratch`: F * F * L floats (M*v, matmul and transpose
  // build their result there, so out may alias an input). Random ops draw with (seed, task_index[l]) in lane l.
  Lanes(const ProgramDesc& d, float* memory, float* scratch, int lanes, uint32_t seed, const uint32_t* task_index)
      : n_(lanes), seed_(seed), s_(memory), tmp_(scratch) {
    v_ = s_ + size_t{d.n_scalars} * L;
    m_ = v_ + size_t{d.n_vectors} * F * L;
    for (int l = 0; l < L; ++l) task_index_[l] = l < n_ ? task_index[l] : 0;
  }

  float* S(int i) const { return s_ + size_t(i) * L; }
  float* V(int i) const { return v_ + size_t(i) * F * L; }
  float* M(int i) const { return m_ + size_t(i) * FF * L; }

  HWY_INLINE void run_code(const Instr* code, int n, uint32_t phase, uint32_t step) {
    for (const Instr* end = code + n; code != end; ++code) execute(*code, phase, step);
  }

 private:
  // ---- ops ----------------------------------------------------------------------------------------------------------

  template <int kRows, class Fn>
  static HWY_INLINE void map1(float* out, const float* a, Fn f) {
    const DF d;
    for (size_t k = 0; k < size_t{kRows} * L; k += N) hn::Store(f(hn::Load(d, a + k)), d, out + k);
  }
  template <int kRows, class Fn>
  static HWY_INLINE void map2(float* out, const float* a, const float* b, Fn f) {
    const DF d;
    for (size_t k = 0; k < size_t{kRows} * L; k += N) hn::Store(f(hn::Load(d, a + k), hn::Load(d, b + k)), d, out + k);
  }
  // Every lane of out[i] = scale * sum_{k < count} x[k * x_stride] * y[k * y_stride] (strides in rows), summed in
  // index order from +0; `square` uses x for y.
  static HWY_INLINE void dot_rows(float* out, const float* x, size_t x_stride, const float* y, size_t y_stride,
                                  int count) {
    const DF d;
    for (size_t c = 0; c < L; c += N) {
      auto acc = hn::Zero(d);
      for (int k = 0; k < count; ++k)
        acc = hn::Add(acc, hn::Mul(hn::Load(d, x + k * x_stride * L + c), hn::Load(d, y + k * y_stride * L + c)));
      hn::Store(acc, d, out + c);
    }
  }
  static HWY_INLINE void sum_rows(float* out, const float* x, size_t stride, int count) {
    const DF d;
    for (size_t c = 0; c < L; c += N) {
      auto acc = hn::Zero(d);
      for (int k = 0; k < count; ++k) acc = hn::Add(acc, hn::Load(d, x + k * stride * L + c));
      hn::Store(acc, d, out + c);
    }
  }
  static HWY_INLINE void mean_rows(float* out, const float* x, size_t stride, int count) {
    const DF d;
    sum_rows(out, x, stride, count);
    for (size_t c = 0; c < L; c += N) hn::Store(hn::Div(hn::Load(d, out + c), hn::Set(d, float(count))), d, out + c);
  }
  static HWY_INLINE void norm_rows(float* out, const float* x, size_t stride, int count) {
    const DF d;
    dot_rows(out, x, stride, x, stride, count);
    for (size_t c = 0; c < L; c += N) hn::Store(hn::Sqrt(hn::Load(d, out + c)), d, out + c);
  }
  // Lane by lane through a scalar function (the C library's transcendentals).
  template <class Fn>
  void per_lane(float* out, const float* a, Fn f) const {
    for (int l = 0; l < n_; ++l) out[l] = f(a[l]);
  }
  void stdev_lanes(float* out, const float* x, int count) const {
    for (int l = 0; l < n_; ++l) out[l] = stdev_of(x + l, count, L);
  }
  void random_lanes(const Instr& in, float* out, int count, uint32_t phase, uint32_t step) const {
    for (int l = 0; l < n_; ++l) fill_random(out + l, count, L, in, RandomStream{seed_, task_index_[l], phase, step});
  }
  static void broadcast(float* out, float value, int rows) {
    const DF d;
    for (size_t k = 0; k < size_t(rows) * L; k += N) hn::Store(hn::Set(d, value), d, out + k);
  }

  HWY_INLINE void execute(const Instr& in, uint32_t phase, uint32_t step) {
    const int o = in.out, a = in.in1, b = in.in2;
    if (!is_valid_op(static_cast<uint8_t>(in.op))) __builtin_unreachable();
    const DF d;
    const auto one = hn::Set(d, 1.0f);
    const auto zero = hn::Zero(d);
    const auto add = [](auto x, auto y) HWY_ATTR { return hn::Add(x, y); };
    const auto sub = [](auto x, auto y) HWY_ATTR { return hn::Sub(x, y); };
    const auto mul = [](auto x, auto y) HWY_ATTR { return hn::Mul(x, y); };
    const auto div = [](auto x, auto y) HWY_ATTR { return hn::Div(x, y); };
    const auto recip = [one](auto x) HWY_ATTR { return hn::Div(one, x); };
    const auto abs = [](auto x) HWY_ATTR { return hn::Abs(x); };
    const auto heaviside = [one, zero](auto x) HWY_ATTR { return hn::IfThenElseZero(x > zero, one); };
    // op_semantics.h's NaN orders: scalar/vector keep the first operand unless the second is strictly smaller
    // (larger); matrix min/max are written the other way round.
    const auto min_sv = [](auto x, auto y) HWY_ATTR { return hn::IfThenElse(y < x, y, x); };
    const auto max_sv = [](auto x, auto y) HWY_ATTR { return hn::IfThenElse(x < y, y, x); };
    const auto min_m = [](auto x, auto y) HWY_ATTR { return hn::IfThenElse(x < y, x, y); };
    const auto max_m = [](auto x, auto y) HWY_ATTR { return hn::IfThenElse(x > y, x, y); };
    switch (in.op) {
      case Op::NoOp: break;
      case Op::ScalarSum: map2<1>(S(o), S(a), S(b), add); break;
      case Op::ScalarDiff: map2<1>(S(o), S(a), S(b), sub); break;
      case Op::ScalarProduct: map2<1>(S(o), S(a), S(b), mul); break;
      case Op::ScalarDivision: map2<1>(S(o), S(a), S(b), div); break;
      case Op::ScalarAbs: map1<1>(S(o), S(a), abs); break;
      case Op::ScalarReciprocal: map1<1>(S(o), S(a), recip); break;
      case Op::ScalarSin: per_lane(S(o), S(a), [](float x) { return std::sin(x); }); break;
      case Op::ScalarCos: per_lane(S(o), S(a), [](float x) { return std::cos(x); }); break;
      case Op::ScalarTan: per_lane(S(o), S(a), [](float x) { return std::tan(x); }); break;
      case Op::ScalarArcSin: per_lane(S(o), S(a), [](float x) { return std::asin(x); }); break;
      case Op::ScalarArcCos: per_lane(S(o), S(a), [](float x) { return std::acos(x); }); break;
      case Op::ScalarArcTan: per_lane(S(o), S(a), [](float x) { return std::atan(x); }); break;
      case Op::ScalarExp: per_lane(S(o), S(a), [](float x) { return std::exp(x); }); break;
      case Op::ScalarLog: per_lane(S(o), S(a), [](float x) { return std::log(x); }); break;
      case Op::ScalarHeaviside:
        map1<1>(S(o), S(a), [one, zero](auto x) HWY_ATTR { return hn::IfThenElseZero(x >= zero, one); });
        break;
      case Op::VectorHeaviside: map1<F>(V(o), V(a), heaviside); break;
      case Op::MatrixHeaviside: map1<FF>(M(o), M(a), heaviside); break;
      case Op::ScalarVectorProduct:
        for (size_t c = 0; c < L; c += N) {
          const auto x = hn::Load(d, S(a) + c);
          for (int e = 0; e < F; ++e) hn::Store(hn::Mul(x, hn::Load(d, V(b) + e * L + c)), d, V(o) + e * L + c);
        }
        break;
      case Op::ScalarBroadcast:
        for (int e = 0; e < F; ++e) std::memcpy(V(o) + e * L, S(a), sizeof(float) * L);
        break;
      case Op::VectorReciprocal: map1<F>(V(o), V(a), recip); break;
      case Op::VectorNorm: norm_rows(S(o), V(a), 1, F); break;
      case Op::VectorAbs: map1<F>(V(o), V(a), abs); break;
      case Op::VectorSum: map2<F>(V(o), V(a), V(b), add); break;
      case Op::VectorDiff: map2<F>(V(o), V(a), V(b), sub); break;
      case Op::VectorProduct: map2<F>(V(o), V(a), V(b), mul); break;
      case Op::VectorDivision: map2<F>(V(o), V(a), V(b), div); break;
      case Op::VectorInnerProduct: dot_rows(S(o), V(a), 1, V(b), 1, F); break;
      case Op::VectorOuterProduct:
        for (size_t c = 0; c < L; c += N)
          for (int i = 0; i < F; ++i) {
            const auto x = hn::Load(d, V(a) + i * L + c);
            for (int j = 0; j < F; ++j)
              hn::Store(hn::Mul(x, hn::Load(d, V(b) + j * L + c)), d, M(o) + (i * F + j) * L + c);
          }
        break;
      case Op::ScalarMatrixProduct:
        for (size_t c = 0; c < L; c += N) {
          const auto x = hn::Load(d, S(a) + c);
          for (int e = 0; e < FF; ++e) hn::Store(hn::Mul(x, hn::Load(d, M(b) + e * L + c)), d, M(o) + e * L + c);
        }
        break;
      case Op::MatrixReciprocal: map1<FF>(M(o), M(a), recip); break;
      case Op::MatrixVectorProduct:  // out may be the input vector: build the result in tmp_
        for (int i = 0; i < F; ++i) dot_rows(tmp_ + i * L, M(a) + i * F * L, 1, V(b), 1, F);
        std::memcpy(V(o), tmp_, sizeof(float) * F * L);
        break;
      case Op::VectorColumnBroadcast:  // M(i, j) = v(i)
        for (int i = 0; i < F; ++i)
          for (int j = 0; j < F; ++j) std::memcpy(M(o) + (i * F + j) * L, V(a) + i * L, sizeof(float) * L);
        break;
      case Op::VectorRowBroadcast:  // M(i, j) = v(j)
        for (int i = 0; i < F; ++i) std::memcpy(M(o) + i * F * L, V(a), sizeof(float) * F * L);
        break;
      case Op::MatrixNorm: norm_rows(S(o), M(a), 1, FF); break;
      case Op::MatrixColumnNorm:
        for (int j = 0; j < F; ++j) norm_rows(V(o) + j * L, M(a) + j * L, F, F);
        break;
      case Op::MatrixRowNorm:
        for (int i = 0; i < F; ++i) norm_rows(V(o) + i * L, M(a) + i * F * L, 1, F);
        break;
      case Op::MatrixTranspose:  // in place when out == in1
        for (int i = 0; i < F; ++i)
          for (int j = 0; j < F; ++j) std::memcpy(tmp_ + (j * F + i) * L, M(a) + (i * F + j) * L, sizeof(float) * L);
        std::memcpy(M(o), tmp_, sizeof(float) * FF * L);
        break;
      case Op::MatrixAbs: map1<FF>(M(o), M(a), abs); break;
      case Op::MatrixSum: map2<FF>(M(o), M(a), M(b), add); break;
      case Op::MatrixDiff: map2<FF>(M(o), M(a), M(b), sub); break;
      case Op::MatrixProduct: map2<FF>(M(o), M(a), M(b), mul); break;
      case Op::MatrixDivision: map2<FF>(M(o), M(a), M(b), div); break;
      case Op::MatrixMatrixProduct:  // out may be either operand: build the result in tmp_
        for (int i = 0; i < F; ++i)
          for (int j = 0; j < F; ++j) dot_rows(tmp_ + (i * F + j) * L, M(a) + i * F * L, 1, M(b) + j * L, F, F);
        std::memcpy(M(o), tmp_, sizeof(float) * FF * L);
        break;
      case Op::ScalarMin: map2<1>(S(o), S(a), S(b), min_sv); break;
      case Op::VectorMin: map2<F>(V(o), V(a), V(b), min_sv); break;
      case Op::MatrixMin: map2<FF>(M(o), M(a), M(b), min_m); break;
      case Op::ScalarMax: map2<1>(S(o), S(a), S(b), max_sv); break;
      case Op::VectorMax: map2<F>(V(o), V(a), V(b), max_sv); break;
      case Op::MatrixMax: map2<FF>(M(o), M(a), M(b), max_m); break;
      case Op::VectorMean: mean_rows(S(o), V(a), 1, F); break;
      case Op::MatrixMean: mean_rows(S(o), M(a), 1, FF); break;
      case Op::MatrixRowMean:
        for (int i = 0; i < F; ++i) mean_rows(V(o) + i * L, M(a) + i * F * L, 1, F);
        break;
      case Op::MatrixRowStDev:
        for (int i = 0; i < F; ++i) stdev_lanes(V(o) + i * L, M(a) + i * F * L, F);
        break;
      case Op::VectorStDev: stdev_lanes(S(o), V(a), F); break;
      case Op::MatrixStDev: stdev_lanes(S(o), M(a), FF); break;
      case Op::ScalarConstSet: broadcast(S(o), in.d0, 1); break;
      case Op::VectorConstSet: broadcast(V(o) + decode_index(in.d0, F) * L, in.d1, 1); break;
      case Op::MatrixConstSet:
        broadcast(M(o) + (decode_index(in.d0, F) * F + decode_index(in.d1, F)) * L, in.d2, 1);
        break;
      case Op::ScalarUniformSet:
      case Op::ScalarGaussianSet: random_lanes(in, S(o), 1, phase, step); break;
      case Op::VectorUniformSet:
      case Op::VectorGaussianSet: random_lanes(in, V(o), F, phase, step); break;
      case Op::MatrixUniformSet:
      case Op::MatrixGaussianSet: random_lanes(in, M(o), FF, phase, step); break;
    }
  }

  const int n_;  // lanes in use; the others compute on zeros and are never read
  const uint32_t seed_;
  float* s_;
  float* v_;
  float* m_;
  float* tmp_;
  uint32_t task_index_[L];
};

// The executor of spec §4 for a lane group: execute_task() of cpu_interpreter.h, lane by lane in lockstep.
template <int F>
class Runner {
 public:
  Runner(const LaneGroup& g, VectorWorkspace& ws)
      : g_(g), d_(*g.desc), n_(g.lanes), rows_(memory_rows<F>(d_)), lanes_(make_lanes(g, ws, rows_)) {
    const EvalRequest& req = *g.request;
    fingerprint_ = req.mode == EvalMode::Fingerprint;
    accuracy_ = g.tasks[0]->eval == EvalType::Accuracy;
    classes_ = g.tasks[0]->classes;  // > 0: multiclass, vector labels (every lane's task has the same K)
    max_err_ = req.max_abs_error;
    saved_ = lanes_.S(0) + (rows_ + size_t{F} * F) * L;
    for (int l = 0; l < L; ++l) y_[l] = 0.0f;
  }

  void run() {
    const Instr* setup = g_.code;
    const Instr* predict = setup + d_.n_setup;
    const Instr* learn = predict + d_.n_predict;
    const bool predict_writes_v0 = (d_.flags & kPredictWritesV0) != 0;
    std::memset(lanes_.S(0), 0, sizeof(float) * rows_ * L);
    run_code(setup, d_.n_setup, kPhaseSetup, 0);

    const uint32_t per_epoch = static_cast<uint32_t>(g_.tasks[0]->n_train);
    const uint32_t n_epochs = static_cast<uint32_t>(g_.tasks[0]->n_epochs);
    const uint32_t n_valid = g_.valid_steps;
    uint32_t active = (1u << n_) - 1;  // lanes still training
    double best[L] = {};
    EvalStatus status[L] = {};
    for (int l = 0; l < L; ++l) hash_[l] = kHashStart;
    uint32_t remaining = g_.train_steps, step = 0;

    for (uint32_t epoch = 0; remaining > 0; ++epoch) {
      const uint32_t n = std::min(per_epoch, remaining);
      const bool hashing = fingerprint_ && epoch == 0;
      const uint32_t* order[L];
      if (!g_.examples)
        for (int l = 0; l < n_; ++l) order[l] = &g_.tasks[l]->epoch_order[size_t{epoch % n_epochs} * per_epoch];
      for (uint32_t j = 0; j < n; ++j, ++step) {
        const float* rows[L];
        const float* label_rows[L];  // multiclass: each lane's one-hot label (F floats)
        const float* arranged = g_.examples ? g_.examples + size_t{step} * (F + 1) * L : nullptr;
        if (arranged) {
          copy_rows(V(kFeaturesVector), arranged, F);
          copy_rows(y_, arranged + F * L, 1);
        } else {
          for (int l = 0; l < n_; ++l) {
            const uint32_t k = order[l][j];
            rows[l] = &g_.tasks[l]->train_x[size_t{k} * F];
            if (classes_ > 0)
              label_rows[l] = &g_.tasks[l]->train_y[size_t{k} * F];
            else
              y_[l] = g_.tasks[l]->train_y[k];
          }
          load_vector(kFeaturesVector, rows);
        }
        if (classes_ > 0) {
          zero_vector(kLabelVector);
          run_code(predict, d_.n_predict, kPhaseTrain, step);
          multiclass_train_errors(label_rows);
        } else {
          set_scalar(kLabelScalar, hn::Zero(DF()));
          run_code(predict, d_.n_predict, kPhaseTrain, step);
          float* s1 = S(kPredictionScalar);
          if (accuracy_)
            for (int l = 0; l < n_; ++l) s1[l] = sigmoid(s1[l]);
          for (size_t c = 0; c < L; c += N) {
            const DF d;
            hn::Store(hn::Abs(hn::Sub(hn::Load(d, y_ + c), hn::Load(d, s1 + c))), d, err_ + c);
          }
        }
        if (hashing) hash_errors();
        if (const uint32_t bad = bad_lanes() & active) {
          for (int l = 0; l < n_; ++l) {
            if (!(bad >> l & 1u)) continue;
            TaskResult& r = *g_.results[l];
            r.train_steps = step + 1;
            r.status = stop_status(err_[l]);
            r.fitness = epoch == 0 ? 0.0 : best[l];
            r.fingerprint = fingerprint_ ? hash_combine(hash_combine(hash_[l], r.train_steps), 0) : kHashStart;
          }
          active &= ~bad;
          if (!active) return;
        }
        if (predict_writes_v0) {
          if (arranged)
            copy_rows(V(kFeaturesVector), arranged, F);
          else
            load_vector(kFeaturesVector, rows);
        }
        if (classes_ > 0)
          load_vector(kLabelVector, label_rows);
        else
          set_scalar(kLabelScalar, y_);
        run_code(learn, d_.n_learn, kPhaseTrain, step);
      }
      remaining -= n;
      if (hashing)
        for (int l = 0; l < n_; ++l) hash_[l] = hash_combine(hash_[l], n);

      // Validation: Predict only, in data order; memory changes persist into the next epoch. A lane whose error is
      // bad stops validating for this epoch (no fitness from it) but trains on in the next: its memory is saved at
      // that point and restored after the loop, as if it had not run the remaining Predicts.
      alignas(64) double loss[L] = {};
      uint32_t validating = active, failed = 0;
      uint64_t frozen_hash[L];
      for (uint32_t j = 0; j < n_valid && validating; ++j) {
        if (g_.examples) {
          const float* arranged = g_.examples + (size_t{g_.train_steps} + j) * (F + 1) * L;
          copy_rows(V(kFeaturesVector), arranged, F);
          copy_rows(y_, arranged + F * L, 1);
        } else {
          const float* rows[L];
          for (int l = 0; l < n_; ++l) {
            rows[l] = &g_.tasks[l]->valid_x[size_t{j} * F];
            if (classes_ == 0) y_[l] = g_.tasks[l]->valid_y[j];
          }
          load_vector(kFeaturesVector, rows);
        }
        if (classes_ > 0)
          zero_vector(kLabelVector);
        else
          set_scalar(kLabelScalar, hn::Zero(DF()));
        run_code(predict, d_.n_predict, kPhaseValid, epoch * n_valid + j);
        const float* s1 = S(kPredictionScalar);
        alignas(64) float e[L];
        if (classes_ > 0) {
          for (int l = 0; l < L; ++l) {
            if (l >= n_) {
              e[l] = 0.0f;
              continue;
            }
            float label[F], logits[F];
            gather_lane(V(kPredictionVector), l, logits);
            const float* y = &g_.tasks[l]->valid_y[size_t{j} * F];
            for (int i = 0; i < F; ++i) label[i] = y[i];
            e[l] = multiclass_accuracy_error(label, logits, classes_);
          }
        } else if (accuracy_) {
          for (int l = 0; l < L; ++l) e[l] = l < n_ ? accuracy_error(y_[l], s1[l]) : 0.0f;
        } else {
          const DF d;
          for (size_t c = 0; c < L; c += N) hn::Store(hn::Sub(hn::Load(d, y_ + c), hn::Load(d, s1 + c)), d, e + c);
        }
        for (size_t c = 0; c < L; c += N) {
          const DF d;
          hn::Store(hn::Abs(hn::Load(d, e + c)), d, err_ + c);
        }
        if (hashing) hash_errors();
        if (const uint32_t bad = bad_lanes() & validating) {
          for (int l = 0; l < n_; ++l) {
            if (!(bad >> l & 1u)) continue;
            if (status[l] == EvalStatus::Ok) status[l] = stop_status(err_[l]);
            if (remaining > 0) save_lane(l);
            frozen_hash[l] = hash_[l];
          }
          validating &= ~bad;
          failed |= bad;
        }
        accumulate_loss(loss, e);
      }
      for (int l = 0; l < n_; ++l) {
        if (!(failed >> l & 1u)) continue;
        if (remaining > 0) restore_lane(l);
        hash_[l] = frozen_hash[l];
      }
      if (hashing)
        for (int l = 0; l < n_; ++l) hash_[l] = hash_combine(hash_[l], n_valid);
      for (int l = 0; l < n_; ++l) {
        if (!(active >> l & 1u) || (failed >> l & 1u)) continue;
        // The loss is divided by the FULL validation size even when fewer examples ran (spec §4).
        const double mean = loss[l] / static_cast<double>(g_.tasks[l]->n_valid);
        const double f = accuracy_ ? 1.0 - mean : flip_and_squash(std::sqrt(mean));
        best[l] = std::max(best[l], f);
      }
    }
    for (int l = 0; l < n_; ++l) {
      if (!(active >> l & 1u)) continue;
      TaskResult& r = *g_.results[l];
      r.fitness = best[l];
      r.fingerprint = fingerprint_ ? hash_[l] : kHashStart;
      r.train_steps = g_.train_steps;
      r.status = status[l];
    }
  }

 private:
  float* S(int i) const { return lanes_.S(i); }
  float* V(int i) const { return lanes_.V(i); }
  void run_code(const Instr* code, int n, uint32_t phase, uint32_t step) { lanes_.run_code(code, n, phase, step); }

  // Workspace: memory, scratch, then room to save every lane's memory (a lane that stops validating keeps its state
  // for the next epoch).
  static Lanes<F> make_lanes(const LaneGroup& g, VectorWorkspace& ws, size_t rows) {
    float* base = ws.reserve((2 * rows + size_t{F} * F) * L);
    const EvalRequest& req = *g.request;
    const uint32_t seed = req.mode == EvalMode::Fingerprint ? req.fingerprint_seed : g.desc->eval_seed;
    uint32_t index[L];
    for (int l = 0; l < g.lanes; ++l) index[l] = g.tasks[l]->index;
    return Lanes<F>(*g.desc, base, base + rows * L, g.lanes, seed, index);
  }

  static EvalStatus stop_status(float abs_err) {
    return std::isnan(abs_err) ? EvalStatus::NonFinite : EvalStatus::Diverged;
  }

  // Vector addr <- each lane's row (rows[l] points at its F floats: the example's features, or its one-hot label).
  void load_vector(int addr, const float* const* rows) {
    float* v = V(addr);
    for (int l = 0; l < n_; ++l) {
      const float* x = rows[l];
      for (int e = 0; e < F; ++e) v[e * L + l] = x[e];
    }
  }
  void zero_vector(int addr) {
    float* v = V(addr);
    for (size_t k = 0; k < size_t{F} * L; k += N) hn::Store(hn::Zero(DF()), DF(), v + k);
  }
  // Lane l's F elements of a vector, and back.
  static void gather_lane(const float* v, int l, float* out) {
    for (int e = 0; e < F; ++e) out[e] = v[e * L + l];
  }
  static void scatter_lane(float* v, int l, const float* in) {
    for (int e = 0; e < F; ++e) v[e * L + l] = in[e];
  }

  // Multiclass training step, lane by lane with the reference's own functions (op_semantics.h): v2's first K
  // elements become the softmax, written back; err_ gets the largest |label - probability|.
  void multiclass_train_errors(const float* const* label_rows) {
    float* v2 = V(kPredictionVector);
    for (int l = 0; l < L; ++l) {
      if (l >= n_) {
        err_[l] = 0.0f;
        continue;
      }
      float p[F], label[F];
      gather_lane(v2, l, p);
      softmax_in_place(p, classes_);
      scatter_lane(v2, l, p);
      for (int e = 0; e < F; ++e) label[e] = label_rows[l][e];
      err_[l] = multiclass_train_error(label, p, classes_);
    }
  }
  static void copy_rows(float* out, const float* in, int rows) {
    const DF d;
    for (size_t k = 0; k < size_t(rows) * L; k += N) hn::Store(hn::Load(d, in + k), d, out + k);
  }
  void set_scalar(int addr, hn::Vec<DF> x) {
    for (size_t c = 0; c < L; c += N) hn::Store(x, DF(), S(addr) + c);
  }
  void set_scalar(int addr, const float* lanes) { std::memcpy(S(addr), lanes, sizeof(float) * L); }

  // Lanes whose err_ is NaN or above max_abs_error (error_is_bad), as bits; every lane's error is fine nearly always,
  // so that is checked first.
  uint32_t bad_lanes() const {
    const DF d;
    const auto max = hn::Set(d, max_err_);
    bool all_good = true;
    for (size_t c = 0; c < L; c += N) all_good &= hn::AllTrue(d, hn::Load(d, err_ + c) <= max);
    if (all_good) return 0;
    uint32_t good = 0;
    for (size_t c = 0; c < L; c += N) {
      uint8_t bits[8] = {};
      hn::StoreMaskBits(d, hn::Load(d, err_ + c) <= max, bits);
      good |= (uint32_t{bits[0]} | uint32_t{bits[1]} << 8) << c;
    }
    return ~good;
  }

  // hash_[l] = hash_combine(hash_[l], float_hash_bits(err_[l])) on every lane.
  void hash_errors() {
    alignas(64) uint32_t bits[L];
    const DF d;
    const DU du;
    for (size_t c = 0; c < L; c += N) {
      const auto x = hn::Load(d, err_ + c);
      // As float_hash_bits: -0 and +0 -> 0, every NaN -> one pattern. (Highway's != is an ordered compare, false
      // for NaN, so the NaN test is IsNaN.)
      auto u = hn::IfThenZeroElse(hn::RebindMask(du, x == hn::Zero(d)), hn::BitCast(du, x));
      u = hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(x)), hn::Set(du, 0x7FC00000u), u);
      hn::Store(u, du, bits + c);
    }
    for (size_t c = 0; c < L; c += N64) {
      const DU64 d64;
      const auto x = hn::PromoteTo(d64, hn::Load(DU32(), bits + c));
      hn::Store(hash_combine_lanes(hn::Load(d64, hash_ + c), x), d64, hash_ + c);
    }
  }

  // loss[l] += (double) e[l] * (double) e[l] on every lane, as the reference accumulates its validation loss.
  static void accumulate_loss(double* loss, const float* e) {
    const DD dd;
    for (size_t c = 0; c < L; c += ND) {
      const auto x = hn::PromoteTo(dd, hn::Load(DFD(), e + c));
      hn::Store(hn::Add(hn::Load(dd, loss + c), hn::Mul(x, x)), dd, loss + c);
    }
  }

  void save_lane(int l) {
    const float* memory = lanes_.S(0);
    for (size_t k = 0; k < rows_; ++k) saved_[k * L + l] = memory[k * L + l];
  }
  void restore_lane(int l) {
    float* memory = lanes_.S(0);
    for (size_t k = 0; k < rows_; ++k) memory[k * L + l] = saved_[k * L + l];
  }

  const LaneGroup& g_;
  const ProgramDesc& d_;
  const int n_;
  const size_t rows_;
  Lanes<F> lanes_;
  float* saved_ = nullptr;
  bool fingerprint_ = false, accuracy_ = false;
  int classes_ = 0;  // multiclass tasks: K
  float max_err_ = 0;
  alignas(64) float y_[L];        // each lane's label of the current example
  alignas(64) float err_[L];      // |error| of the current example
  alignas(64) uint64_t hash_[L];  // FEC fingerprints
};

void RunLaneGroup(const LaneGroup& g, VectorWorkspace& ws) {
  switch (g.tasks[0]->features) {
    case 2: Runner<2>(g, ws).run(); break;
    case 4: Runner<4>(g, ws).run(); break;
    case 8: Runner<8>(g, ws).run(); break;
    case 16: Runner<16>(g, ws).run(); break;
    default: Runner<32>(g, ws).run(); break;
  }
}

const char* TargetNameHere() { return hwy::TargetName(HWY_TARGET); }

void ExecuteForTest(const ProgramDesc& d, int features, const Instr* code, int n, float* memory, int lanes,
                    const uint32_t* task_index, const RandomStream& stream) {
  auto go = [&](auto f) HWY_ATTR {
    constexpr int F = decltype(f)::value;
    thread_local std::vector<float> scratch;  // reused: the micro-benchmark calls this once per instruction
    scratch.resize(size_t{F} * F * L + 16);
    float* tmp = scratch.data() + (16 - reinterpret_cast<uintptr_t>(scratch.data()) / sizeof(float) % 16) % 16;
    Lanes<F> lanes_of(d, memory, tmp, lanes, stream.seed, task_index);
    lanes_of.run_code(code, n, stream.phase, stream.step);
  };
  switch (features) {
    case 2: go(std::integral_constant<int, 2>{}); break;
    case 4: go(std::integral_constant<int, 4>{}); break;
    case 8: go(std::integral_constant<int, 8>{}); break;
    case 16: go(std::integral_constant<int, 16>{}); break;
    default: go(std::integral_constant<int, 32>{}); break;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace amlz::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace amlz::cpu {

HWY_EXPORT(RunLaneGroup);
HWY_EXPORT(TargetNameHere);
HWY_EXPORT(ExecuteForTest);

void execute_for_test(const ProgramDesc& desc, int features, const Instr* code, int n, float* memory, int lanes,
                      const uint32_t* task_index, const RandomStream& stream) {
  AMLZ_CHECK(reinterpret_cast<uintptr_t>(memory) % 64 == 0, "lane memory must be 64-byte aligned");
  HWY_DYNAMIC_DISPATCH(ExecuteForTest)(desc, features, code, n, memory, lanes, task_index, stream);
}

void run_lane_group(const LaneGroup& group, VectorWorkspace& workspace) {
  AMLZ_CHECK(group.lanes >= 1 && group.lanes <= kVectorLanes && group.train_steps > 0, "malformed lane group");
  HWY_DYNAMIC_DISPATCH(RunLaneGroup)(group, workspace);
}

std::string vector_target() { return HWY_DYNAMIC_DISPATCH(TargetNameHere)(); }

std::vector<std::string> vector_targets_available() {
  std::vector<std::string> names;
  // SupportedAndGeneratedTargets() lists the lowest bit (the best target) first.
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(t));
  return names;
}

void force_vector_target(const std::string& name) {
  hwy::SetSupportedTargetsForTest(0);  // the machine's own list, to look the name up in
  if (name.empty()) return;
  for (int64_t t : hwy::SupportedAndGeneratedTargets())
    if (name == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(t);
      return;
    }
  AMLZ_CHECK(false, "SIMD target " + name + " is not available here");
}

size_t arranged_examples_size(const LaneGroup& g) {
  const size_t f = static_cast<size_t>(g.tasks[0]->features);
  return (size_t{g.train_steps} + g.valid_steps) * (f + 1) * kVectorLanes;
}

void arrange_examples(const LaneGroup& g, float* out) {
  AMLZ_CHECK(g.tasks[0]->classes == 0, "multiclass lane groups gather their examples: one label row per step here");
  const int F = g.tasks[0]->features, L = kVectorLanes, n = g.lanes;
  const size_t step_floats = size_t(F + 1) * L;
  const uint32_t per_epoch = static_cast<uint32_t>(g.tasks[0]->n_train);
  const uint32_t n_epochs = static_cast<uint32_t>(g.tasks[0]->n_epochs);
  // Step by step, so each step's F + 1 rows are written whole before the next; unused lanes read zeros.
  auto zero_unused_lanes = [&](float* row) {
    for (int e = 0; e <= F; ++e)
      for (int l = n; l < L; ++l) row[e * L + l] = 0.0f;
  };
  float* row = out;
  for (uint32_t first = 0, epoch = 0; first < g.train_steps; first += per_epoch, ++epoch) {
    const uint32_t steps = std::min(per_epoch, g.train_steps - first);
    const uint32_t* order[kVectorLanes];
    const float* x[kVectorLanes];
    const float* y[kVectorLanes];
    for (int l = 0; l < n; ++l) {
      order[l] = g.tasks[l]->epoch_order.data() + size_t{epoch % n_epochs} * per_epoch;
      x[l] = g.tasks[l]->train_x.data();
      y[l] = g.tasks[l]->train_y.data();
    }
    for (uint32_t j = 0; j < steps; ++j, row += step_floats) {
      for (int l = 0; l < n; ++l) {
        const uint32_t k = order[l][j];
        const float* xk = x[l] + size_t{k} * F;
        for (int e = 0; e < F; ++e) row[e * L + l] = xk[e];
        row[F * L + l] = y[l][k];
      }
      zero_unused_lanes(row);
    }
  }
  for (uint32_t j = 0; j < g.valid_steps; ++j, row += step_floats) {
    for (int l = 0; l < n; ++l) {
      const float* xj = g.tasks[l]->valid_x.data() + size_t{j} * F;
      for (int e = 0; e < F; ++e) row[e * L + l] = xj[e];
      row[F * L + l] = g.tasks[l]->valid_y[j];
    }
    zero_unused_lanes(row);
  }
}

VectorWorkspace::VectorWorkspace() = default;
VectorWorkspace::~VectorWorkspace() = default;
VectorWorkspace::VectorWorkspace(VectorWorkspace&&) noexcept = default;
VectorWorkspace& VectorWorkspace::operator=(VectorWorkspace&&) noexcept = default;

void VectorWorkspace::Free::operator()(float* p) const { std::free(p); }

float* VectorWorkspace::reserve(size_t floats) {
  if (floats > size_) {
    const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    buffer_.reset(p);
    size_ = bytes / sizeof(float);
  }
  return buffer_.get();
}

}  // namespace amlz::cpu
#endif  // HWY_ONCE
