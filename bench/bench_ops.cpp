// SPDX-License-Identifier: Apache-2.0
// Nanoseconds per executed instruction of the CPU interpreters, per op and F: BM_Op is the scalar reference (one
// task; the basis of the train budget's cost classes, src/search/train_budget.cpp), BM_VectorOp the vector
// interpreter on a lane group of 16 tasks at once (its ns_per_instruction counter; divide by 16 for the cost per
// task), with the SIMD target dispatch picks here. Run: build/bench/amlz_bench_ops --benchmark_filter=VectorOp<16>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "amlz/core/ops.h"
#include "eval/cpu_interpreter.h"
#include "eval/vector_interpreter.h"

namespace {

template <int F>
void BM_Op(benchmark::State& state) {
  const auto op = static_cast<amlz::Op>(state.range(0));
  amlz::ProgramDesc d{};
  d.n_scalars = 4;
  d.n_vectors = 4;
  d.n_matrices = 4;
  amlz::cpu::Interpreter<float, F> it;
  it.reset(d);
  for (int i = 0; i < 4; ++i) {
    it.s(i) = 0.5f + i;
    it.v(i).setConstant(0.25f * (i + 1));
    it.m(i).setConstant(0.125f * (i + 1));
  }
  // Ops read addresses 1 and 2 and write 3: no aliasing, values stay finite for a few iterations.
  const amlz::Instr in{op, 3, 1, 2, 0.25f, 0.5f, 0.75f};
  uint32_t step = 0;
  for (auto _ : state) {
    it.run(&in, 1, {1u, 0u, amlz::kPhaseTrain, step++});
    benchmark::DoNotOptimize(it.s(3));
  }
  state.SetLabel(amlz::op_name(op));
}

template <int F>
void BM_VectorOp(benchmark::State& state) {
  constexpr int L = amlz::cpu::kVectorLanes;
  const auto op = static_cast<amlz::Op>(state.range(0));
  amlz::ProgramDesc d{};
  d.n_scalars = 4;
  d.n_vectors = 4;
  d.n_matrices = 4;
  const size_t rows = 4 + 4 * size_t{F} + 4 * size_t{F} * F;
  std::vector<float> storage(rows * L + 16);
  float* memory = storage.data() + (16 - reinterpret_cast<uintptr_t>(storage.data()) / sizeof(float) % 16) % 16;
  // The same values as BM_Op, in every lane: address i holds 0.5 + i (scalars), 0.25 (i + 1) (vectors), 0.125 (i + 1).
  for (int i = 0; i < 4; ++i)
    for (int l = 0; l < L; ++l) {
      memory[i * L + l] = 0.5f + i;
      for (int e = 0; e < F; ++e) memory[(4 + i * F + e) * L + l] = 0.25f * (i + 1);
      for (int e = 0; e < F * F; ++e) memory[(4 + 4 * F + i * F * F + e) * L + l] = 0.125f * (i + 1);
    }
  uint32_t tasks[L];
  for (int l = 0; l < L; ++l) tasks[l] = static_cast<uint32_t>(l);
  // 64 instructions per call, so the per-call cost of this test entry point (dispatch, setup) is spread thin.
  constexpr int kRepeat = 64;
  const std::vector<amlz::Instr> code(kRepeat, amlz::Instr{op, 3, 1, 2, 0.25f, 0.5f, 0.75f});
  uint32_t step = 0;
  for (auto _ : state) {
    amlz::cpu::execute_for_test(d, F, code.data(), kRepeat, memory, L, tasks, {1u, 0u, amlz::kPhaseTrain, step++});
    benchmark::DoNotOptimize(memory[3 * L]);
  }
  state.counters["ns_per_instruction"] =
      benchmark::Counter(kRepeat, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(std::string(amlz::op_name(op)) + " x16 lanes (" + amlz::cpu::vector_target() + ")");
}

void all_ops(benchmark::internal::Benchmark* b) {
  for (int op = 1; op < amlz::kNumOps; ++op) b->Arg(op);
}

BENCHMARK_TEMPLATE(BM_Op, 4)->Apply(all_ops);
BENCHMARK_TEMPLATE(BM_Op, 16)->Apply(all_ops);
BENCHMARK_TEMPLATE(BM_VectorOp, 4)->Apply(all_ops);
BENCHMARK_TEMPLATE(BM_VectorOp, 16)->Apply(all_ops);

}  // namespace
