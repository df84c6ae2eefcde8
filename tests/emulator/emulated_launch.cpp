// SPDX-License-Identifier: Apache-2.0
// cuda/launch.cu compiled by the host compiler against the emulated runtime (cuda_runtime.h here).
#include "launch.cu"
