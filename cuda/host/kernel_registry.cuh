// SPDX-License-Identifier: Apache-2.0
// Which evaluation kernels this build has: the compiled (F, L) pairs (kernels/instantiations.cuh) and their entry
// points, looked up at run time. Host code only; private to cuda/.
#pragma once
#include <vector>

namespace amlz::cuda {

// The kernel compiled for feature size F by (lanes, path), or nullptr when that pair is not compiled. Defined in
// kernels/evaluate_f<F>.cu, one file per F so that a parallel build compiles them side by side.
template <int F>
const void* compiled_kernel_for(int lanes, bool global_memory);
template <>
const void* compiled_kernel_for<2>(int lanes, bool global_memory);
template <>
const void* compiled_kernel_for<4>(int lanes, bool global_memory);
template <>
const void* compiled_kernel_for<8>(int lanes, bool global_memory);
template <>
const void* compiled_kernel_for<16>(int lanes, bool global_memory);
template <>
const void* compiled_kernel_for<32>(int lanes, bool global_memory);

// The same for a run-time F; nullptr for an unsupported F too.
const void* find_kernel(int features, int lanes, bool global_memory);
// The lane counts with a shared-memory kernel for F, ascending.
std::vector<int> compiled_lanes(int features);
// The one lane count with a global-memory kernel for F.
int global_memory_lanes(int features);

}  // namespace amlz::cuda
