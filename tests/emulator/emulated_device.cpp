// The emulated device: runtime API on host memory, kernels run warp by warp on 32 fibers.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <cuda_runtime.h>

#include "kernel_args.cuh"

namespace emu {
Warp* g_warp = nullptr;
long g_collectives = 0, g_launches = 0;
}  // namespace emu
namespace amlz::cuda {
alignas(64) float4 amlz_program_memory[1 << 16];  // 1 MB of "shared memory" for the block being run
}

cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaGetLastError() { return cudaSuccess; }
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
const char* cudaGetErrorString(cudaError_t) { return "emulated error"; }
const char* cudaGetErrorName(cudaError_t) { return "cudaErrorEmulated"; }
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, const void* f) {
  a->numRegs = 80;
  return f ? cudaSuccess : cudaErrorInvalidValue;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::memset(p, 0, sizeof *p);
  std::strcpy(p->name, "Emulated H100");
  p->multiProcessorCount = 2;
  p->sharedMemPerMultiprocessor = 233472;
  p->sharedMemPerBlockOptin = 232448;
  p->major = 9;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaMemGetInfo(size_t* f, size_t* t) {
  *f = size_t{8} << 30;
  *t = size_t{16} << 30;
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = reinterpret_cast<cudaStream_t>(0x1);
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaMalloc(void** p, size_t n) {
  *p = std::aligned_alloc(256, (n + 255) / 256 * 256);
  std::memset(*p, 0xCD, n);
  return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** p, size_t n) { return cudaMalloc(p, n); }
cudaError_t cudaFreeHost(void* p) {
  std::free(p);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) {
  std::memcpy(d, s, n);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t) {
  std::memset(d, v, n);
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaFuncSetAttribute(const void*, cudaFuncAttribute, int) { return cudaSuccess; }
// 80 registers: 24 warps per SM; shared memory: 228 KB per SM with 1 KB reserved per block; at most 32 blocks.
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, const void*, int threads, size_t smem) {
  const int warps = threads / 32;
  int b = 24 / warps;
  if (b > 32) b = 32;
  const int by_smem = static_cast<int>(233472 / (smem + 1024));
  if (by_smem < b) b = by_smem;
  *blocks = b;
  return cudaSuccess;
}

namespace {
using KernelFn = void (*)(amlz::cuda::KernelArgs);
KernelFn g_fn = nullptr;
amlz::cuda::KernelArgs g_args;

void fiber_main() {
  g_fn(g_args);
  emu::g_warp->done[emu::g_warp->current] = true;
}

void run_warp(unsigned block, unsigned warp_in_block, unsigned block_dim) {
  static emu::Warp w;  // big: keep off the stack
  for (int l = 0; l < 32; ++l) {
    if (w.stacks[l].empty()) w.stacks[l].resize(4 << 20);
    getcontext(&w.ctx[l]);
    w.ctx[l].uc_stack.ss_sp = w.stacks[l].data();
    w.ctx[l].uc_stack.ss_size = w.stacks[l].size();
    w.ctx[l].uc_link = &w.sched;
    makecontext(&w.ctx[l], fiber_main, 0);
    w.done[l] = w.waiting[l] = false;
  }
  w.block = block;
  w.warp_in_block = warp_in_block;
  w.block_dim = block_dim;
  emu::g_warp = &w;
  for (;;) {
    for (int l = 0; l < 32; ++l)
      if (!w.done[l] && !w.waiting[l]) {
        w.current = l;
        swapcontext(&w.sched, &w.ctx[l]);
      }
    int n_done = 0;
    for (int l = 0; l < 32; ++l) n_done += w.done[l];
    if (n_done == 32) break;
    if (n_done > 0) {
      std::fprintf(stderr, "emu: %d lanes returned while others wait at a collective\n", n_done);
      std::abort();
    }
    for (int l = 1; l < 32; ++l)
      if (w.kind[l] != w.kind[0] || w.arg[l] != w.arg[0]) {
        std::fprintf(stderr, "emu: divergent collectives: lane 0 kind %d arg %d, lane %d kind %d arg %d\n", w.kind[0],
                     w.arg[0], l, w.kind[l], w.arg[l]);
        std::abort();
      }
    std::memcpy(w.snap, w.slot, sizeof w.slot);
    for (int l = 0; l < 32; ++l) w.waiting[l] = false;
    ++emu::g_collectives;
  }
}
}  // namespace

cudaError_t cudaLaunchKernel(const void* f, dim3 grid, dim3 block, void** args, size_t smem, cudaStream_t) {
  if (smem > sizeof(amlz::cuda::amlz_program_memory)) {
    std::fprintf(stderr, "emu: smem %zu too big\n", smem);
    std::abort();
  }
  if (block.x % 32 || block.x > 256) {
    std::fprintf(stderr, "emu: bad block %u\n", block.x);
    std::abort();
  }
  ++emu::g_launches;
  g_fn = reinterpret_cast<KernelFn>(const_cast<void*>(f));
  g_args = *static_cast<amlz::cuda::KernelArgs*>(args[0]);
  // Poison shared memory between launches: the kernel must zero what it uses.
  std::memset(amlz::cuda::amlz_program_memory, 0x7F, sizeof(amlz::cuda::amlz_program_memory));
  // Warps in reverse order: the last warp of block 0 takes the jobs, so non-zero per-warp offsets are used.
  for (unsigned b = 0; b < grid.x; ++b)
    for (unsigned w = block.x / 32; w-- > 0;) run_warp(b, w, block.x);
  // Nothing may be written past the dynamic shared memory the launch asked for.
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(amlz::cuda::amlz_program_memory);
  for (size_t i = smem; i < sizeof(amlz::cuda::amlz_program_memory); ++i)
    if (bytes[i] != 0x7F) {
      std::fprintf(stderr, "emu: shared memory written at byte %zu past %zu\n", i, smem);
      std::abort();
    }
  return cudaSuccess;
}
