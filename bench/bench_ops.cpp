// SPDX-License-Identifier: Apache-2.0
// Nanoseconds per executed instruction of the CPU interpreter, per op and F: the basis of the train budget's cost
// classes (src/search/train_budget.cpp). Run: build/bench/amlz_bench_ops --benchmark_filter=F16
#include <benchmark/benchmark.h>

#include "amlz/core/ops.h"
#include "eval/cpu_interpreter.h"

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

void all_ops(benchmark::internal::Benchmark* b) {
  for (int op = 1; op < amlz::kNumOps; ++op) b->Arg(op);
}

BENCHMARK_TEMPLATE(BM_Op, 4)->Apply(all_ops);
BENCHMARK_TEMPLATE(BM_Op, 16)->Apply(all_ops);

}  // namespace
