// SPDX-License-Identifier: Apache-2.0
// cuda/cuda_evaluator.cu compiled by the host compiler against the emulated runtime (cuda_runtime.h here).
#include "cuda_evaluator.cu"
