# SPDX-License-Identifier: Apache-2.0
# The CUDA evaluator's translation units, relative to cuda/: ONE list, compiled by nvcc into amlz_cuda
# (cuda/CMakeLists.txt) and by the host compiler against the warp emulator (tests/CMakeLists.txt).
set(AMLZ_CUDA_SOURCES
  cuda_evaluator.cu
  # host/: the dispatch level (host code only)
  host/cuda_check.cu
  host/device_census.cu
  host/kernel_registry.cu
  host/device_task_set.cu
  host/warp_jobs.cu
  host/batch_upload.cu
  host/launch.cu
  host/result_buffer.cu
  # kernels/: one file per feature size, each holding its (F, L) instantiations of kernels/evaluate_kernel.cuh
  kernels/evaluate_f2.cu
  kernels/evaluate_f4.cu
  kernels/evaluate_f8.cu
  kernels/evaluate_f16.cu
  kernels/evaluate_f32.cu
)
