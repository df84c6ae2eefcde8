// SPDX-License-Identifier: Apache-2.0
// Double arithmetic with explicit round-to-nearest and no FMA contraction (nvcc contracts a*b+c by default), so
// the few computations both backends must round identically (random draws, fitness squash) do.
#pragma once
#include "amlz/core/hd.h"

namespace amlz {

AMLZ_HD AMLZ_FORCEINLINE double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
AMLZ_HD AMLZ_FORCEINLINE double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

}  // namespace amlz
