// SPDX-License-Identifier: Apache-2.0
// `amlz bench`: evaluator throughput per workload and backend, one JSON line each plus a readable table.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "amlz/error.h"
#include "amlz/eval/backend.h"
#include "amlz/tasks/dataset.h"
#include "bench/workloads.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/islands_bench.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/search_bench.h"
#include "cli/search_workloads.h"
#include "cli/stop_signals.h"
#include "cli/value_parse.h"
#include "dist/launch.h"

namespace amlz::cli {
namespace {

// The JSON line of one (workload, backend) measurement.
JsonObject to_json(const bench::Workload& w, const Evaluator& evaluator, const bench::Measurement& m, int threads) {
  JsonObject j;
  j.add("bench", w.name)
      .add("backend", enum_name(evaluator.backend()))
      .add("device", evaluator.describe())
      .add("threads", threads)
      .add("features", w.tasks.features())
      .add("programs", static_cast<uint64_t>(w.batch.size()))
      .add("tasks", static_cast<uint64_t>(w.tasks.size()))
      .add("seconds", m.seconds)
      .add("train_steps_per_s", m.train_steps / m.seconds)
      .add("evals_per_s", m.evaluations / m.seconds)
      .add("instructions_per_s", m.instructions / m.seconds)
      .add("train_steps", m.train_steps)
      .add("fitness_checksum", m.fitness_checksum);
  return j;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int cmd_bench(int argc, const char* const* argv) {
  CLI::App app{
      "Measure evaluator throughput (train steps/s, evaluations/s, instructions/s) on every available "
      "backend. Prints one JSON line per workload and backend on stdout, a table on stderr.",
      "amlz bench"};
  std::string workloads = "random,population,seed_nn,paper,fmnist", backends = "all", cpu_threads = "1,0", out,
              search_config = "configs/linear_regression.toml", populations = "bench/populations", save_populations_to;
  int repeats = 3, cpu_programs = 0, gpu_programs = 0, search_seeds = 3, cuda_lanes = 0;
  bool quick = false;
  app.add_option(
      "--workloads", workloads,
      "comma list of: random (random demo-space programs: flattering, ~3 live instructions; alias demo), "
      "population (populations saved from real searches), seed_nn, paper, fmnist, experiment (the demo "
      "experiment, FEC off and on), host (host costs per individual), search (rediscovery time), islands "
      "(islands over mpirun ranks: individuals/s and scaling; rediscovery time with 1, 4, 16 islands; each part alone: "
      "islands_throughput, islands_rediscovery)");
  app.add_option("--backends", backends,
                 "comma list of cpu (vector interpreter), cpu-reference (scalar reference), cuda, or all (cpu, cuda)");
  app.add_option("--populations", populations, "directory of the saved populations (bench/populations)");
  app.add_option("--save-populations", save_populations_to,
                 "run the searches that make the saved populations, write them into this directory, and stop");
  app.add_option("--cpu-threads", cpu_threads, "CPU thread counts to measure, comma list (0 = all cores)");
  add_integer_option(app, "--repeats", repeats, 1, 1000, "timed repeats per measurement (median reported)");
  add_integer_option(app, "--cpu-programs", cpu_programs, 0, 1'000'000, "programs per CPU batch (0: per workload)");
  add_integer_option(app, "--gpu-programs", gpu_programs, 0, 10'000'000, "programs per GPU batch (0: per workload)");
  add_integer_option(app, "--search-seeds", search_seeds, 1, 1000, "seeds for the whole-search workloads");
  double islands_max_seconds = 600;
  int islands_max_experiments = 10;
  add_integer_option(app, "--islands-max-experiments", islands_max_experiments, 1, 1000,
                     "islands workload: experiments each rediscovery run may use (a run without success fails)");
  app.add_option("--islands-max-seconds", islands_max_seconds,
                 "islands workload: time limit of each rediscovery run (a run cut short counts as a failure)")
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--search-config", search_config, "config of the whole-search workload");
  app.add_option("--out", out, "also append the JSON lines to this file");
  app.add_flag("--quick", quick, "small batches: a smoke run, not a measurement");
  add_integer_option(app, "--cuda-lanes", cuda_lanes, 0, 32, "CUDA lanes per task, a power of two 1..32 (0: automatic)")
      ->check(CLI::IsMember({"0", "1", "2", "4", "8", "16", "32"}));
  // Under mpirun (the islands workload only) every rank measures, rank 0 alone prints.
  std::unique_ptr<dist::ProcessGroup> group;
  try {
    group = dist::join_launched_group();
  } catch (const Error& e) {
    print_error(app.get_name(), e.what());
    return kExitBadInput;
  }
  const bool quiet_rank = group && group->rank() > 0;
  if (quiet_rank) app.name(app.get_name() + " [" + dist::rank_label(group.get()) + "]");
  return run_app(app, argc, argv, [&] {
    if (group)
      for (const std::string& w : split(workloads))
        if (w.rfind("islands", 0) != 0) {
          if (quiet_rank) return kExitBadInput;  // rank 0 says why
          throw ConfigError("under mpirun, amlz bench measures the islands workloads only (not '" + w + "')");
        }
    std::vector<BenchRun> runs;
    const std::vector<Backend> available = available_backends();
    for (const std::string& b : split(backends == "all" ? "cpu,cuda" : backends)) {
      if (b == "cpu" || b == "cpu-reference") {
        for (const std::string& t : split(cpu_threads))
          runs.push_back({Backend::Cpu, static_cast<int>(parse_integer(t, 0, limits::kThreads, "--cpu-threads")),
                          cpu_interpreter_for(b)});
      } else if (b == "cuda") {
        if (std::find(available.begin(), available.end(), Backend::Cuda) != available.end())
          runs.push_back({Backend::Cuda, 0});
        else if (backends != "all")
          throw Error("--backends cuda: " + cuda_unavailable_reason());
        else if (!quiet_rank)
          std::cerr << "bench: skipping cuda (" << cuda_unavailable_reason() << ")\n";
      } else {
        throw ConfigError("--backends: unknown backend '" + b + "'");
      }
    }
    std::optional<std::ofstream> file;
    if (!out.empty()) {
      file.emplace(out, std::ios::app);
      if (!*file) throw Error("cannot write '" + out + "'");
    }
    // SIGINT/SIGTERM/SIGHUP end the benchmark between measurements: the lines already printed stand.
    const StopSignals signals;
    auto emit = [&](const std::string& line) {
      if (quiet_rank) return;
      print_line(line);
      if (file) *file << line << std::endl;
    };
    if (!quiet_rank)
      std::fprintf(stderr, "%-20s %-46s %12s %12s %12s %9s\n", "workload", "backend", "steps/s", "evals/s", "instr/s",
                   "seconds");

    if (!save_populations_to.empty()) {
      save_populations(save_populations_to, runs.empty() ? 0 : runs.front().threads, emit);  // same files whatever
      return kExitOk;
    }
    for (std::string name : split(workloads)) {
      if (signals.flag()) break;
      if (name == "islands" || name == "islands_throughput" || name == "islands_rediscovery") {
        run_islands_bench(name,
                          {search_config, search_seeds, repeats, islands_max_experiments, islands_max_seconds, quick},
                          group.get(), emit, &signals.flag());
        continue;
      }
      if (name == "search") {
        run_search_bench(runs, search_config, search_seeds, emit, &signals.flag());
        continue;
      }
      if (name == "experiment") {
        run_experiment_bench(runs, search_config, search_seeds, emit);
        continue;
      }
      if (name == "host") {
        std::vector<int> host_threads;
        for (const BenchRun& run : runs)
          if (run.backend == Backend::Cpu &&
              std::find(host_threads.begin(), host_threads.end(), run.threads) == host_threads.end())
            host_threads.push_back(run.threads);
        if (host_threads.empty()) host_threads.push_back(1);
        run_host_costs_bench(search_config, populations, quick ? 1 : repeats, host_threads, quick, emit);
        continue;
      }
      if (name == "demo") name = "random";
      const bool population = name == "population";
      if (name != "random" && name != "seed_nn" && name != "paper" && name != "fmnist" && !population)
        throw ConfigError("--workloads: unknown workload '" + name + "'");
      // Real data: skipped with a note when the dataset is missing, unless the user asked for it by name.
      if (name == "fmnist") {
        if (auto problem = data_source_problem(DataSource{})) {
          if (app.count("--workloads") > 0) throw Error("--workloads fmnist: " + *problem);
          std::cerr << "bench: skipping fmnist (" << *problem << ")\n";
          continue;
        }
      }
      // seed_nn: F = 4, 8, 16; population: each saved population.
      const std::vector<int> features = name == "seed_nn" ? std::vector<int>{4, 8, 16}
                                        : population      ? std::vector<int>{0, 1, 2}
                                                          : std::vector<int>{0};
      for (int f : features) {
        double cpu_rate = 0;  // the last CPU run's steps/s, for the GPU/CPU ratio
        for (const BenchRun& run : runs) {
          if (signals.flag()) break;
          const bool gpu = run.backend == Backend::Cuda;
          int n = gpu ? gpu_programs : cpu_programs;
          if (n == 0) {
            // Enough work that one measurement of the CPU vector interpreter takes ~0.1 s per thread (the
            // reference takes 2-8 times longer), and thousands of candidates for a GPU.
            if (name == "random")
              n = gpu ? 20000 : 40000;
            else if (population)  // demo population (1000), nn F=8 and nn F=16 (100 each), repeated
              n = f == 0 ? (gpu ? 20000 : 40000) : f == 1 ? (gpu ? 4096 : 16000) : (gpu ? 2048 : 800);
            else if (name == "seed_nn")
              n = gpu ? 4096 : (f >= 16 ? 128 : 256);
            else if (name == "fmnist")
              n = gpu ? 2048 : 48;
            else
              n = gpu ? 2048 : 128;
            if (quick) n = std::max(1, n / 8);
          }
          const bench::Workload w = population ? saved_population_workload(saved_populations()[f], populations, n)
                                    : name == "random"  ? bench::demo_workload(n)
                                    : name == "seed_nn" ? bench::seed_nn_workload(f, n)
                                    : name == "fmnist"  ? bench::fashion_mnist_workload(n)
                                                        : bench::paper_scale_workload(n);
          EvaluatorOptions o;
          o.cpu_threads = run.threads;
          o.cpu_interpreter = run.interpreter;
          o.cuda_lanes_per_task = cuda_lanes;
          auto ev = make_evaluator(run.backend, o);
          const bench::Measurement m = bench::measure(*ev, w, quick ? 1 : repeats);
          JsonObject j = to_json(w, *ev, m, gpu ? 0 : run.threads);
          const double rate = m.train_steps / m.seconds;
          if (gpu && cpu_rate > 0) j.add("gpu_cpu_ratio", rate / cpu_rate);
          if (!gpu) cpu_rate = rate;
          emit(j.str());
          std::fprintf(stderr, "%-20s %-46s %12.3g %12.3g %12.3g %9.3f\n", w.name.c_str(), ev->describe().c_str(), rate,
                       m.evaluations / m.seconds, m.instructions / m.seconds, m.seconds);
        }
      }
    }
    if (signals.signal() != 0) std::cerr << "bench: stopped by signal " << signals.signal() << "\n";
    return signals.exit_code();
  });
}

}  // namespace amlz::cli
