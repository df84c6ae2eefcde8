// SPDX-License-Identifier: Apache-2.0
// CudaEvaluator (the CUB "device" level): owns the device, a stream, the device-resident task set and the per-call
// buffers, and runs one evaluate() call as named steps: group the work items, plan one launch per feature size,
// one upload of the packed batch, the launches, one download of the results. The steps live in host/.
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "amlz/error.h"
#include "cuda_evaluator.h"
#include "host/batch_upload.cuh"
#include "host/cuda_check.cuh"
#include "host/device_buffer.cuh"
#include "host/device_census.cuh"
#include "host/device_task_set.cuh"
#include "host/launch.cuh"
#include "host/result_buffer.cuh"
#include "host/warp_jobs.cuh"
#include "kernel_args.cuh"

namespace amlz {

namespace {

bool is_pow2_lanes(int l) { return l >= 1 && l <= 32 && (l & (l - 1)) == 0; }

// One launch: a feature size's plan and its jobs, a range of the batch's job list.
struct Launch {
  cuda::LaunchPlan plan;
  size_t first_job = 0, n_jobs = 0;
};

class CudaEvaluator final : public Evaluator {
 public:
  explicit CudaEvaluator(const CudaEvaluatorOptions& options)
      : device_(options.device), lanes_(options.lanes_per_task), verbose_(options.verbose) {
    int n = 0;
    AMLZ_CUDA_CHECK(cudaGetDeviceCount(&n));
    if (device_ < 0 || device_ >= n)
      throw Error("CUDA device " + std::to_string(device_) + " does not exist (" + std::to_string(n) +
                  " device(s) present)");
    if (lanes_ != 0 && !is_pow2_lanes(lanes_))
      throw ConfigError("lanes_per_task must be 0 (automatic) or 1, 2, 4, 8, 16, 32 (got " + std::to_string(lanes_) +
                        ")");

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
    if (device_ != 0) s += ", device " + std::to_string(device_);
    if (lanes_ > 0) s += ", " + std::to_string(lanes_) + " lanes per task";
    return s + ")";
  }

  std::vector<TaskResult> evaluate(const ProgramBatch& batch, const TaskSet& tasks, const std::vector<WorkItem>& items,
                                   const EvalRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (items.empty()) return {};
    // The kernels trust their input: an out-of-range address would corrupt other warps' memory.
    check_evaluation_input(batch, tasks, items);
    AMLZ_CUDA_CHECK(cudaSetDevice(device_));
    task_set_.use(tasks, stream_);

    const cuda::GroupedItems grouped = cuda::group_work_items(items, task_set_.features(), batch.programs);
    std::vector<cuda::WarpJob> jobs;
    const std::vector<Launch> launches = plan_launches(grouped, jobs);
    upload_.upload(batch, grouped.items, jobs, launches.size(), stream_);
    results_.prepare(items.size(), stream_);
    run_launches(launches, request);
    return results_.download(stream_);
  }

 private:
  // One launch per feature group: its plan (which fixes L), then its jobs cut at 32/L items, appended to `jobs`.
  std::vector<Launch> plan_launches(const cuda::GroupedItems& grouped, std::vector<cuda::WarpJob>& jobs) const {
    std::vector<Launch> launches;
    for (const cuda::FeatureGroup& group : grouped.groups) {
      Launch launch;
      launch.plan = cuda::plan_launch(limits_, group.features, lanes_, group.need, group.median_items_per_program);
      launch.first_job = jobs.size();
      cuda::append_warp_jobs(group, launch.plan.lanes, jobs);
      launch.n_jobs = jobs.size() - launch.first_job;
      cuda::finish_plan(launch.plan, limits_, launch.n_jobs);
      launches.push_back(launch);
    }
    return launches;
  }

  // Enqueues every launch on the stream, after the upload; launch i takes its jobs from job counter i.
  void run_launches(const std::vector<Launch>& launches, const EvalRequest& request) {
    size_t global_words = 0;
    for (const Launch& l : launches) global_words = std::max(global_words, l.plan.global_words);
    if (global_words) global_memory_.reserve_discarding(global_words);  // each launch zeroes what it uses

    for (size_t i = 0; i < launches.size(); ++i) {
      const Launch& l = launches[i];
      cuda::KernelArgs args{};
      args.code = upload_.code();
      args.programs = upload_.programs();
      args.tasks = task_set_.table();
      args.data = task_set_.data();
      args.orders = task_set_.orders();
      args.jobs = upload_.jobs() + l.first_job;
      args.items = upload_.items();
      args.results = results_.slots();
      args.job_counter = upload_.counters() + i;
      args.global_memory = l.plan.global_memory ? global_memory_.data() : nullptr;
      args.n_jobs = static_cast<uint32_t>(l.n_jobs);
      args.words_per_warp = l.plan.words_per_warp;
      args.max_abs_error = request.max_abs_error;
      args.fingerprint = request.mode == EvalMode::Fingerprint ? 1u : 0u;
      args.fingerprint_seed = request.fingerprint_seed;
      if (verbose_) cuda::print_plan(l.plan, l.n_jobs);
      cuda::launch_evaluate(l.plan, args, stream_);
    }
  }

  std::mutex mutex_;
  const int device_;
  const int lanes_;  // 0 = automatic
  const bool verbose_;
  cudaDeviceProp props_{};
  cuda::DeviceLimits limits_;
  cudaStream_t stream_ = nullptr;

  cuda::DeviceTaskSet task_set_;
  cuda::BatchUpload upload_;
  cuda::ResultBuffer results_;
  cuda::DeviceBuffer<float> global_memory_;  // program memory of the global-memory path
};

}  // namespace

int cuda_device_count(std::string* why_none) {
  try {
    const cuda::DeviceCensus& census = cuda::device_census();
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
