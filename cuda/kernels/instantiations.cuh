// SPDX-License-Identifier: Apache-2.0
// The (F, L) pairs compiled: F features, L lanes per task. ONE list, read by the per-F instantiation files
// (kernels/evaluate_f*.cu) and by the kernel registry (host/kernel_registry.cu). Every pair costs compile time
// (about one interpreter's worth of device code each), so the list holds what is worth measuring: L <= F always
// (with L > F lanes would idle on every vector op), small L where a task's memory is small, large L where it is big
// (F = 16, 32 with matrices). To measure another pair, add it here; nothing else changes.
#pragma once

#define AMLZ_CUDA_PAIRS_F2(X) X(2, 1) X(2, 2)
#define AMLZ_CUDA_PAIRS_F4(X) X(4, 1) X(4, 2) X(4, 4)
#define AMLZ_CUDA_PAIRS_F8(X) X(8, 1) X(8, 2) X(8, 4) X(8, 8)
#define AMLZ_CUDA_PAIRS_F16(X) X(16, 1) X(16, 2) X(16, 4) X(16, 8) X(16, 16)
#define AMLZ_CUDA_PAIRS_F32(X) X(32, 4) X(32, 8) X(32, 16) X(32, 32)

// The global-memory path (programs whose memory does not fit in shared memory) is compiled for one L per F: the
// largest, which needs the least memory per warp (one task's worth times 32/L).
#define AMLZ_CUDA_GLOBAL_LANES(F) (F)
