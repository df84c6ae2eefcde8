// Host emulation of the CUDA features the amlz kernel uses: one warp = 32 cooperative fibers (ucontext).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ucontext.h>
#include <vector>

#define __device__
#define __global__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __shared__

struct float4 {
  float x, y, z, w;
};
struct float2 {
  float x, y;
};
struct uint4 {
  unsigned x, y, z, w;
};
struct dim3 {
  unsigned x, y, z;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
inline float2 make_float2(float a, float b) { return {a, b}; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline float __uint_as_float(unsigned u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float __int_as_float(int u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
template <class T>
inline T __ldg(const T* p) {
  return *p;
}
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }

namespace emu {
enum Kind { kSync = 1, kShflXor = 2, kShfl = 3, kAny = 4 };
struct Warp {
  ucontext_t sched;
  ucontext_t ctx[32];
  std::vector<char> stacks[32];
  bool done[32], waiting[32];
  uint64_t slot[32], snap[32];
  int kind[32], arg[32];
  int current = 0;
  unsigned block = 0, block_dim = 32, warp_in_block = 0;
  long collectives = 0;
};
extern Warp* g_warp;
inline dim3 thread_idx() { return dim3(g_warp->warp_in_block * 32u + static_cast<unsigned>(g_warp->current)); }
inline dim3 block_idx() { return dim3(g_warp->block); }
inline dim3 block_dim() { return dim3(g_warp->block_dim); }
inline void arrive(uint64_t v, int kind, int arg, unsigned mask) {
  if (mask != 0xffffffffu) {
    std::fprintf(stderr, "emu: partial mask\n");
    std::abort();
  }
  Warp* w = g_warp;
  const int l = w->current;
  w->slot[l] = v;
  w->kind[l] = kind;
  w->arg[l] = arg;
  w->waiting[l] = true;
  swapcontext(&w->ctx[l], &w->sched);
}
}  // namespace emu
#define threadIdx (::emu::thread_idx())
#define blockIdx (::emu::block_idx())
#define blockDim (::emu::block_dim())

inline void __syncwarp(unsigned mask = 0xffffffffu) { emu::arrive(0, emu::kSync, 0, mask); }
inline float __shfl_xor_sync(unsigned mask, float x, int m) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  emu::arrive(u, emu::kShflXor, m, mask);
  const uint32_t r = static_cast<uint32_t>(emu::g_warp->snap[emu::g_warp->current ^ m]);
  float f;
  std::memcpy(&f, &r, 4);
  return f;
}
inline unsigned __shfl_sync(unsigned mask, unsigned v, int src) {
  emu::arrive(v, emu::kShfl, src, mask);
  return static_cast<unsigned>(emu::g_warp->snap[src]);
}
inline bool __any_sync(unsigned mask, bool p) {
  emu::arrive(p ? 1 : 0, emu::kAny, 0, mask);
  for (int i = 0; i < 32; ++i)
    if (emu::g_warp->snap[i]) return true;
  return false;
}

// ---- runtime API (host emulation) ----
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorNoDevice = 100,
  cudaErrorInsufficientDriver = 35,
  cudaErrorInvalidValue = 1
};
typedef struct CUstream_st* cudaStream_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };
enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
  cudaFuncAttributePreferredSharedMemoryCarveout = 9
};
enum { cudaSharedmemCarveoutMaxShared = 100 };
#define cudaStreamNonBlocking 1
struct cudaDeviceProp {
  char name[256];
  int multiProcessorCount;
  size_t sharedMemPerMultiprocessor;
  size_t sharedMemPerBlockOptin;
  int major, minor;
};
struct cudaFuncAttributes {
  int numRegs;
};
cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaGetLastError();
cudaError_t cudaRuntimeGetVersion(int* v);
const char* cudaGetErrorString(cudaError_t e);
const char* cudaGetErrorName(cudaError_t e);
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, const void* f);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaMemGetInfo(size_t* f, size_t* t);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaMalloc(void** p, size_t n);
cudaError_t cudaFree(void* p);
cudaError_t cudaMallocHost(void** p, size_t n);
cudaError_t cudaFreeHost(void* p);
cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind k, cudaStream_t st);
cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t st);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaFuncSetAttribute(const void* f, cudaFuncAttribute a, int v);
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, const void* f, int threads, size_t smem);
cudaError_t cudaLaunchKernel(const void* f, dim3 grid, dim3 block, void** args, size_t smem, cudaStream_t s);
