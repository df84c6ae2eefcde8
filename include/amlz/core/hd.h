// SPDX-License-Identifier: Apache-2.0
// AMLZ_HD marks functions that both the host compiler and nvcc compile. Nothing else CUDA-specific lives in include/.
#pragma once

#if defined(__CUDACC__)
#define AMLZ_HD __host__ __device__
#define AMLZ_FORCEINLINE __forceinline__
#else
#define AMLZ_HD
#define AMLZ_FORCEINLINE inline __attribute__((always_inline))
#endif
