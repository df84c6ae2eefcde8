// SPDX-License-Identifier: Apache-2.0
// cuda/kernels/evaluate_f16.cu compiled by the host compiler against the emulated runtime.
#include "kernels/evaluate_f16.cu"
