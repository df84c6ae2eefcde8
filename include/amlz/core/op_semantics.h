// SPDX-License-Identifier: Apache-2.0
// Per-element edge rules of spec §3 that both interpreters must share exactly: heaviside >= vs >, the min/max
// NaN order, index decoding, the sigmoid and the fitness squash. Whole vector/matrix ops are NOT here: the CPU
// (Eigen) and GPU (warp code) compute them independently so that their agreement is evidence.
#pragma once
#include <cmath>

#include "amlz/core/hd.h"
#include "amlz/core/rn_math.h"

namespace amlz {

// Scalar heaviside counts 0 as positive; vector/matrix heaviside does not. NaN gives 0 in both.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T heaviside_scalar(T a) {
  return a >= T(0) ? T(1) : T(0);
}
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T heaviside_elementwise(T a) {
  return a > T(0) ? T(1) : T(0);
}

// Scalar and vector min/max keep the FIRST operand unless the second is strictly smaller/larger:
// min(NaN, 1) = NaN, min(1, NaN) = 1.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T min_sv(T a, T b) {
  return b < a ? b : a;
}
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T max_sv(T a, T b) {
  return a < b ? b : a;
}
// Matrix min/max are written the other way round in the original: min(NaN, 1) = 1, min(1, NaN) = NaN.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T min_m(T a, T b) {
  return a < b ? a : b;
}
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T max_m(T a, T b) {
  return a > b ? a : b;
}

// A vector/matrix position is stored as a float in [0,1) so programs do not depend on F; the product is
// computed in float and truncated, exactly as the original (F=4: 0.2499 -> 0, 0.25 -> 1).
AMLZ_HD AMLZ_FORCEINLINE int decode_index(float f, int features) {
  return static_cast<int>(static_cast<float>(features) * f);
}
inline float encode_index(int index, int features) {
  return (static_cast<float>(index) + 0.5f) / static_cast<float>(features);
}

template <class T>
AMLZ_HD AMLZ_FORCEINLINE T sigmoid(T x) {
  using std::exp;  // float stays float on the host too
  return T(1) / (T(1) + exp(-x));
}

// Training and validation stop when |error| is NaN or strictly above the threshold (+inf counts).
template <class T>
AMLZ_HD AMLZ_FORCEINLINE bool error_is_bad(T abs_err, T max_abs_error) {
  return !(abs_err <= max_abs_error);
}

// 0/1 classification error of an accuracy task (spec §4): the sigmoid is computed, not written back.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T accuracy_error(T label, T logit) {
  const T p = sigmoid(logit);
  return ((label > T(0.5)) == (p > T(0.5))) ? T(0) : T(1);
}

// Multiclass tasks (LabelKind::Vector, K classes; README "10-class tasks"). Every backend calls these on the K
// values of one task in index order, so they agree wherever their exp does (the CPU backends bit for bit).
//
// The training prediction: the first K elements of v2 become softmax(logits), written back so Learn sees
// probabilities (as the sigmoid is for binary tasks). The maximum is subtracted first (a NaN logit then makes every
// probability NaN, an infinite one too: inf - inf); the sum runs in index order from +0.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE void softmax_in_place(T* v, int k) {
  using std::exp;  // float stays float on the host too
  T m = v[0];
  for (int i = 1; i < k; ++i) m = v[i] > m ? v[i] : m;
  T sum = T(0);
  for (int i = 0; i < k; ++i) {
    v[i] = exp(v[i] - m);
    sum += v[i];
  }
  for (int i = 0; i < k; ++i) v[i] = v[i] / sum;
}

// The training error of a multiclass step: the largest |label_i - p_i| over the K classes, NaN if any is NaN. The
// scalar rule of spec §4 then applies to it (NaN or > max_abs_error stops), and FEC folds it as the scalar error.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T multiclass_train_error(const T* label, const T* p, int k) {
  T worst = T(0);
  for (int i = 0; i < k; ++i) {
    const T d = label[i] - p[i];
    const T e = d < T(0) ? -d : d;                   // |d|, NaN stays NaN
    if (!(e <= worst) && worst == worst) worst = e;  // NOLINT(misc-redundant-expression): NaN test for device code
  }
  return worst;
}

// The predicted class: the first index of the largest of the K logits (a NaN never wins, except at index 0, where
// nothing beats it).
template <class T>
AMLZ_HD AMLZ_FORCEINLINE int argmax_of(const T* v, int k) {
  int best = 0;
  for (int i = 1; i < k; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// 0/1 validation error of a multiclass task: 0 when the one-hot label has its 1 at argmax(logits). The softmax is
// not computed (it keeps the order of the logits up to rounding ties), nor written back.
template <class T>
AMLZ_HD AMLZ_FORCEINLINE T multiclass_accuracy_error(const T* label, const T* logits, int k) {
  return label[argmax_of(logits, k)] > T(0.5) ? T(0) : T(1);
}

// FlipAndSquash: RMSE 0 -> 1, RMSE 1 -> 0.5, RMSE -> inf -> 0; NaN or inf -> 0. Computed in double on both
// backends so the fitness of identical losses is bit-identical.
AMLZ_HD inline double flip_and_squash(double x) {
  if (x != x || x == HUGE_VAL || x == -HUGE_VAL) return 0.0;
  return add_rn(1.0, mul_rn(-0.63661977236758134308, std::atan(x)));  // 1 - (2/pi) atan(x)
}

}  // namespace amlz
