// SPDX-License-Identifier: Apache-2.0
// CudaEvaluator: owns the device, a stream, the uploaded task set and the per-call buffers. One evaluate() call =
// one upload of the packed batch (code, descriptors, work items, warp jobs), one launch per feature size, one
// download of the results. Thrust/CUB are not needed: grouping the work items by program is a host sort of at
// most a few hundred thousand indices, which the upload dwarfs.
#include "cuda_evaluator.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "amlz/error.h"
#include "amlz/core/ops.h"
#include "cuda_check.cuh"
#include "device_buffer.cuh"
#include "kernel_args.cuh"
#include "launch.cuh"

#ifndef AMLZ_CUDA_ARCHITECTURES
#define AMLZ_CUDA_ARCHITECTURES "unknown"
#endif

namespace amlz {

void throw_cuda_error(cudaError_t code, const char* expr, const char* file, int line) {
  throw CudaError(code, std::string("CUDA error ") + cudaGetErrorName(code) + " (" + cudaGetErrorString(code) +
                            ") in " + expr + " at " + file + ":" + std::to_string(line));
}

void print_cuda_error(cudaError_t code, const char* expr, const char* file, int line) noexcept {
  std::fprintf(stderr, "amlz: CUDA error %s (%s) in %s at %s:%d\n", cudaGetErrorName(code), cudaGetErrorString(code),
               expr, file, line);
}

namespace {

struct DeviceCensus {
  int count = 0;
  std::string why;
};

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// Asked once per process: devices do not come and go under a running program, and the kernel-image probe creates
// a context, which takes a moment.
DeviceCensus take_census() {
  DeviceCensus c;
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    int runtime = 0;
    (void)cudaRuntimeGetVersion(&runtime);
    switch (e) {
      case cudaErrorNoDevice: c.why = "no CUDA device is present"; break;
      case cudaErrorInsufficientDriver:
        c.why = "no NVIDIA driver is loaded, or it is older than the CUDA " + version_text(runtime) +
                " runtime amlz was built with";
        break;
      default: c.why = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(e); break;
    }
    return c;
  }
  if (n <= 0) {
    c.why = "no CUDA device is present";
    return c;
  }
  // A device this build has no code for (e.g. sm_80 with CMAKE_CUDA_ARCHITECTURES=90) counts as none, so that
  // --backend auto falls back to the CPU instead of failing at the first launch.
  cudaFuncAttributes attr{};
  const cudaError_t k = cudaFuncGetAttributes(&attr, cuda::find_kernel(4, 1, false));
  if (k != cudaSuccess) {
    (void)cudaGetLastError();
    cudaDeviceProp p{};
    (void)cudaGetDeviceProperties(&p, 0);
    c.why = std::string("CUDA device 0 (") + p.name + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) +
            ") cannot run this build's kernels: " + cudaGetErrorString(k) +
            " (built for CMAKE_CUDA_ARCHITECTURES=" AMLZ_CUDA_ARCHITECTURES ")";
    return c;
  }
  c.count = n;
  return c;
}

bool is_pow2_lanes(int l) { return l >= 1 && l <= 32 && (l & (l - 1)) == 0; }

size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

// Canary bytes around the results: a kernel writing outside its slots is caught on the host (STYLE.md §E).
constexpr size_t kGuardBytes = 256;
constexpr unsigned char kCanary = 0xA5;

class CudaEvaluator final : public Evaluator {
 public:
  explicit CudaEvaluator(const CudaEvaluatorOptions& options) : device_(options.device) {
    int n = 0;
    AMLZ_CUDA_CHECK(cudaGetDeviceCount(&n));
    if (device_ < 0 || device_ >= n)
      throw Error("CUDA device " + std::to_string(device_) + " does not exist (" + std::to_string(n) +
                  " device(s) present)");
    lanes_ = options.lanes_per_task;
    verbose_ = options.verbose;
    if (lanes_ != 0 && !is_pow2_lanes(lanes_))
      throw ConfigError("lanes_per_task must be 0 (automatic) or 1, 2, 4, 8, 16, 32 (got " +
                        std::to_string(lanes_) + ")");

    AMLZ_CUDA_CHECK(cudaSetDevice(device_));
    AMLZ_CUDA_CHECK(cudaGetDeviceProperties(&props_, device_));
    limits_.sm_count = props_.multiProcessorCount;
    limits_.smem_per_sm = props_.sharedMemPerMultiprocessor;
    limits_.smem_per_block_max = props_.sharedMemPerBlockOptin;
    size_t total = 0;
    AMLZ_CUDA_CHECK(cudaMemGetInfo(&limits_.free_memory, &total));
    AMLZ_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }

  ~CudaEvaluator() override {
    if (stream_) AMLZ_CUDA_CHECK_NOTHROW(cudaStreamDestroy(stream_));
  }

  Backend backend() const override { return Backend::Cuda; }

  std::string describe() const override {
    std::string s = std::string("cuda (") + props_.name + ", " + std::to_string(props_.multiProcessorCount) + " SMs";
    if (lanes_ > 0) s += ", " + std::to_string(lanes_) + " lanes per task";
    return s + ")";
  }

  std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                                   const EvalRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<TaskResult> out(items.size());
    if (items.empty()) return out;
    // The kernels trust their input: an out-of-range address would corrupt other warps' memory.
    check_evaluation_input(batch, tasks, items);
    AMLZ_CUDA_CHECK(cudaSetDevice(device_));
    upload_tasks(tasks);

    // Group the items by feature size (one launch each), then by program (one instruction stream per warp). The
    // sort is stable, so a program's items keep the caller's order inside their warps.
    const size_t n = items.size();
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      return std::make_tuple(task_features_[items[x].task], items[x].program) <
             std::make_tuple(task_features_[items[y].task], items[y].program);
    });

    struct Group {
      cuda::LaunchPlan plan;
      size_t first_job = 0, n_jobs = 0;
    };
    std::vector<Group> groups;
    std::vector<cuda::DeviceItem> dev_items(n);
    std::vector<cuda::WarpJob> jobs;
    for (size_t k = 0; k < n; ++k) {
      const WorkItem& w = items[order[k]];
      dev_items[k] = {w.task, w.train_steps, w.valid_steps, order[k]};
    }
    for (size_t g0 = 0; g0 < n;) {
      const int features = task_features_[items[order[g0]].task];
      size_t g1 = g0;
      while (g1 < n && task_features_[items[order[g1]].task] == features) ++g1;
      // Runs of one program inside the group.
      std::vector<std::pair<size_t, size_t>> runs;
      for (size_t r0 = g0; r0 < g1;) {
        size_t r1 = r0;
        while (r1 < g1 && items[order[r1]].program == items[order[r0]].program) ++r1;
        runs.emplace_back(r0, r1);
        r0 = r1;
      }
      cuda::MemoryNeed need;
      std::vector<uint32_t> counts;
      for (const auto& [r0, r1] : runs) {
        const uint32_t p = items[order[r0]].program;
        const ProgramDesc& d = batch.programs[p];
        need.programs.push_back({d.n_scalars, d.n_vectors, d.n_matrices + ((d.flags & kMatmulIntoRightOperand) ? 1u : 0u)});
        counts.push_back(static_cast<uint32_t>(r1 - r0));
      }
      std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
      Group group;
      group.plan = cuda::plan_launch(limits_, features, lanes_, need, counts[counts.size() / 2]);
      const size_t tiles = static_cast<size_t>(32 / group.plan.lanes);
      group.first_job = jobs.size();
      for (const auto& [r0, r1] : runs) {
        const uint32_t p = items[order[r0]].program;
        for (size_t k = r0; k < r1; k += tiles)
          jobs.push_back({p, static_cast<uint32_t>(k), static_cast<uint32_t>(std::min(tiles, r1 - k)), 0u});
      }
      group.n_jobs = jobs.size() - group.first_job;
      cuda::finish_plan(group.plan, limits_, group.n_jobs);
      groups.push_back(group);
      g0 = g1;
    }

    // One upload: code | program descriptors | items | jobs | job counters (zeros), each 256-byte aligned.
    const size_t code_bytes = batch.code.size() * sizeof(Instr);
    const size_t desc_bytes = batch.programs.size() * sizeof(ProgramDesc);
    const size_t item_bytes = n * sizeof(cuda::DeviceItem);
    const size_t job_bytes = jobs.size() * sizeof(cuda::WarpJob);
    const size_t counter_bytes = groups.size() * sizeof(unsigned int);
    const size_t off_desc = align_up(code_bytes, 256);
    const size_t off_items = off_desc + align_up(desc_bytes, 256);
    const size_t off_jobs = off_items + align_up(item_bytes, 256);
    const size_t off_counters = off_jobs + align_up(job_bytes, 256);
    const size_t upload_bytes = off_counters + align_up(counter_bytes, 256);
    upload_host_.reserve(upload_bytes);
    upload_dev_.reserve(upload_bytes);
    unsigned char* h = upload_host_.data();
    if (code_bytes) std::memcpy(h, batch.code.data(), code_bytes);
    if (desc_bytes) std::memcpy(h + off_desc, batch.programs.data(), desc_bytes);
    std::memcpy(h + off_items, dev_items.data(), item_bytes);
    std::memcpy(h + off_jobs, jobs.data(), job_bytes);
    std::memset(h + off_counters, 0, counter_bytes);
    AMLZ_CUDA_CHECK(cudaMemcpyAsync(upload_dev_.data(), h, upload_bytes, cudaMemcpyHostToDevice, stream_));

    const size_t result_bytes = n * sizeof(cuda::DeviceResult);
    const size_t download_bytes = kGuardBytes + result_bytes + kGuardBytes;
    results_dev_.reserve(download_bytes);
    results_host_.reserve(download_bytes);
    AMLZ_CUDA_CHECK(cudaMemsetAsync(results_dev_.data(), kCanary, download_bytes, stream_));

    size_t global_words = 0;
    for (const Group& g : groups) global_words = std::max(global_words, g.plan.global_words);
    if (global_words) global_memory_.reserve(global_words);

    unsigned char* dev = upload_dev_.data();
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const Group& g = groups[gi];
      cuda::KernelArgs args{};
      args.code = reinterpret_cast<const Instr*>(dev);
      args.programs = reinterpret_cast<const ProgramDesc*>(dev + off_desc);
      args.tasks = task_table_.data();
      args.data = task_data_.data();
      args.orders = task_orders_.data();
      args.jobs = reinterpret_cast<const cuda::WarpJob*>(dev + off_jobs) + g.first_job;
      args.items = reinterpret_cast<const cuda::DeviceItem*>(dev + off_items);
      args.results = reinterpret_cast<cuda::DeviceResult*>(results_dev_.data() + kGuardBytes);
      args.job_counter = reinterpret_cast<unsigned int*>(dev + off_counters) + gi;
      args.global_memory = g.plan.global_memory ? global_memory_.data() : nullptr;
      args.n_jobs = static_cast<uint32_t>(g.n_jobs);
      args.words_per_warp = g.plan.words_per_warp;
      args.max_abs_error = request.max_abs_error;
      args.fingerprint = request.mode == EvalMode::Fingerprint ? 1u : 0u;
      args.fingerprint_seed = request.fingerprint_seed;
      if (verbose_) print_plan(g.plan, g.n_jobs);
      cuda::launch_evaluate(g.plan, args, stream_);
    }

    AMLZ_CUDA_CHECK(cudaMemcpyAsync(results_host_.data(), results_dev_.data(), download_bytes, cudaMemcpyDeviceToHost,
                                    stream_));
    AMLZ_CUDA_CHECK(cudaStreamSynchronize(stream_));

    const unsigned char* r = results_host_.data();
    for (size_t k = 0; k < kGuardBytes; ++k)
      AMLZ_CHECK(r[k] == kCanary && r[kGuardBytes + result_bytes + k] == kCanary,
                 "CUDA evaluator: a kernel wrote outside its results buffer");
    const auto* res = reinterpret_cast<const cuda::DeviceResult*>(r + kGuardBytes);
    for (size_t k = 0; k < n; ++k) {
      AMLZ_CHECK(res[k].status <= static_cast<uint32_t>(EvalStatus::OverBudget),
                 "CUDA evaluator: work item " + std::to_string(k) + " got no result");
      out[k].fitness = res[k].fitness;
      out[k].fingerprint = res[k].fingerprint;
      out[k].train_steps = res[k].train_steps;
      out[k].status = static_cast<EvalStatus>(res[k].status);
    }
    return out;
  }

 private:
  void print_plan(const cuda::LaunchPlan& p, size_t n_jobs) const {
    std::fprintf(stderr,
                 "amlz cuda: F=%d L=%d %s, %zu jobs, %d blocks x %d warps, %d warps/SM, %u floats/warp, %zu B shared "
                 "per block, carve-out %d%% [%s]\n",
                 p.features, p.lanes, p.global_memory ? "global memory" : "shared memory", n_jobs, p.blocks,
                 p.warps_per_block, p.warps_per_sm, p.words_per_warp, p.smem_bytes, p.carveout_percent,
                 p.why.c_str());
  }

  // Uploads the task set when it is not the one on the device. TaskSet::id identifies a materialisation; the sizes
  // are compared too, as a cheap guard against a reused id (id 0 means "unknown": always upload).
  void upload_tasks(const TaskSet& ts) {
    std::vector<uint64_t> signature;
    signature.reserve(ts.size() * 6);
    for (const Task& t : ts.tasks)
      signature.insert(signature.end(), {static_cast<uint64_t>(t.features), static_cast<uint64_t>(t.n_train),
                                         static_cast<uint64_t>(t.n_epochs), static_cast<uint64_t>(t.n_valid),
                                         static_cast<uint64_t>(t.index), static_cast<uint64_t>(t.eval)});
    if (ts.id != 0 && ts.id == task_set_id_ && signature == task_signature_) return;

    std::vector<cuda::DeviceTask> table(ts.size());
    std::vector<int> features(ts.size());
    size_t data_words = 0, order_words = 0;
    auto reserve = [](size_t& total, size_t count) {
      const size_t at = total;
      total += align_up(count, 32);  // 128-byte aligned rows: vector loads of the features stay aligned
      return at;
    };
    for (size_t i = 0; i < ts.size(); ++i) {
      const Task& t = ts.tasks[i];
      const int f = t.features;
      AMLZ_CHECK(t.n_train >= 0 && t.n_valid >= 0 && t.n_epochs >= 1, "task " + std::to_string(i) + " sizes");
      const size_t nt = static_cast<size_t>(t.n_train), nv = static_cast<size_t>(t.n_valid);
      AMLZ_CHECK(t.train_x.size() == nt * f && t.train_y.size() == nt && t.valid_x.size() == nv * f &&
                     t.valid_y.size() == nv && t.epoch_order.size() == nt * static_cast<size_t>(t.n_epochs),
                 "task " + std::to_string(i) + ": data sizes do not match n_train/n_valid/n_epochs");
      for (uint32_t e : t.epoch_order) AMLZ_CHECK(e < nt, "task " + std::to_string(i) + ": epoch order out of range");
      cuda::DeviceTask& d = table[i];
      d.train_x = static_cast<uint32_t>(reserve(data_words, t.train_x.size()));
      d.train_y = static_cast<uint32_t>(reserve(data_words, t.train_y.size()));
      d.valid_x = static_cast<uint32_t>(reserve(data_words, t.valid_x.size()));
      d.valid_y = static_cast<uint32_t>(reserve(data_words, t.valid_y.size()));
      d.order = static_cast<uint32_t>(reserve(order_words, t.epoch_order.size()));
      d.index = t.index;
      d.n_train = static_cast<uint32_t>(t.n_train);
      d.n_epochs = static_cast<uint32_t>(t.n_epochs);
      d.n_valid = static_cast<uint32_t>(t.n_valid);
      d.features = static_cast<uint32_t>(f);
      d.accuracy = t.eval == EvalType::Accuracy ? 1u : 0u;
      d.identity_epochs = 0;
      for (int e = 0; e < t.n_epochs; ++e) {
        const uint32_t* o = t.epoch_order.data() + static_cast<size_t>(e) * nt;
        bool identity = true;
        for (size_t k = 0; k < nt && identity; ++k) identity = o[k] == k;
        if (!identity) break;
        ++d.identity_epochs;
      }
      d.reserved = 0;
      features[i] = f;
    }
    AMLZ_CHECK(data_words < (size_t{1} << 32) && order_words < (size_t{1} << 32),
               "task set too large for the CUDA evaluator's 32-bit offsets (" + std::to_string(data_words) + " floats)");
    std::vector<float> data(std::max<size_t>(data_words, 1), 0.0f);
    std::vector<uint32_t> orders(std::max<size_t>(order_words, 1), 0u);
    for (size_t i = 0; i < ts.size(); ++i) {
      const Task& t = ts.tasks[i];
      const cuda::DeviceTask& d = table[i];
      std::copy(t.train_x.begin(), t.train_x.end(), data.begin() + static_cast<ptrdiff_t>(d.train_x));
      std::copy(t.train_y.begin(), t.train_y.end(), data.begin() + static_cast<ptrdiff_t>(d.train_y));
      std::copy(t.valid_x.begin(), t.valid_x.end(), data.begin() + static_cast<ptrdiff_t>(d.valid_x));
      std::copy(t.valid_y.begin(), t.valid_y.end(), data.begin() + static_cast<ptrdiff_t>(d.valid_y));
      std::copy(t.epoch_order.begin(), t.epoch_order.end(), orders.begin() + static_cast<ptrdiff_t>(d.order));
    }
    task_data_.reserve(data.size());
    task_orders_.reserve(orders.size());
    task_table_.reserve(std::max<size_t>(table.size(), 1));
    AMLZ_CUDA_CHECK(cudaMemcpyAsync(task_data_.data(), data.data(), data.size() * sizeof(float),
                                    cudaMemcpyHostToDevice, stream_));
    AMLZ_CUDA_CHECK(cudaMemcpyAsync(task_orders_.data(), orders.data(), orders.size() * sizeof(uint32_t),
                                    cudaMemcpyHostToDevice, stream_));
    if (!table.empty())
      AMLZ_CUDA_CHECK(cudaMemcpyAsync(task_table_.data(), table.data(), table.size() * sizeof(cuda::DeviceTask),
                                      cudaMemcpyHostToDevice, stream_));
    AMLZ_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the host vectors above die at return
    task_set_id_ = ts.id;
    task_signature_ = std::move(signature);
    task_features_ = std::move(features);
  }

  std::mutex mutex_;
  int device_ = 0;
  int lanes_ = 0;  // 0 = automatic
  bool verbose_ = false;
  cudaDeviceProp props_{};
  cuda::DeviceLimits limits_;
  cudaStream_t stream_ = nullptr;

  uint64_t task_set_id_ = 0;
  std::vector<uint64_t> task_signature_;
  std::vector<int> task_features_;
  cuda::DeviceBuffer<float> task_data_;
  cuda::DeviceBuffer<uint32_t> task_orders_;
  cuda::DeviceBuffer<cuda::DeviceTask> task_table_;

  cuda::PinnedBuffer<unsigned char> upload_host_;
  cuda::DeviceBuffer<unsigned char> upload_dev_;
  cuda::PinnedBuffer<unsigned char> results_host_;
  cuda::DeviceBuffer<unsigned char> results_dev_;
  cuda::DeviceBuffer<float> global_memory_;
};

}  // namespace

int cuda_device_count(std::string* why_none) {
  try {
    static const DeviceCensus census = take_census();
    if (why_none) *why_none = census.why;
    return census.count;
  } catch (const std::exception& e) {
    if (why_none) *why_none = std::string("CUDA device query failed: ") + e.what();
  } catch (...) {
    if (why_none) *why_none = "CUDA device query failed";
  }
  return 0;
}

std::unique_ptr<Evaluator> make_cuda_evaluator(const CudaEvaluatorOptions& options) {
  return std::make_unique<CudaEvaluator>(options);
}

}  // namespace amlz
