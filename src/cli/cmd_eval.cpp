// SPDX-License-Identifier: Apache-2.0
// `amlz eval`: the fitness of one algorithm file on a config's search, select or final tasks.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/error.h"
#include "amlz/eval/fitness.h"
#include "amlz/eval/prediction_trace.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config_options.h"
#include "cli/json.h"
#include "cli/toml_reader.h"

namespace amlz::cli {

int cmd_eval(int argc, const char* const* argv) {
  CLI::App app{"Evaluate an algorithm file on the tasks of a config.", "amlz eval"};
  std::string file, which = "search", precision = "float32";
  bool json = false;
  app.add_option("--algorithm", file, "algorithm text file")->required();
  app.add_option("--tasks", which, "which task set of the config: search, select or final")
      ->check(CLI::IsMember({"search", "select", "final"}));
  app.add_option("--precision", precision, "CPU evaluation precision: float32 or float64")
      ->check(CLI::IsMember({"float32", "float64"}));
  app.add_flag("--json", json, "print one JSON line instead of the table");
  std::string predictions;
  app.add_option("--predictions", predictions,
                 "also write every prediction the reference interpreter makes, with the tasks' data, to this file "
                 "(for checking code from `amlz export`)");
  Config config;
  ConfigOptions options(app, config, ConfigUse::Evaluate, argc, argv);
  return run_app(app, argc, argv, [&] {
    if (app.get_config_ptr()->count() == 0)
      throw ConfigError("--config is required (e.g. configs/linear_regression.toml)");
    options.finish();
    const Algorithm a = read_algorithm_file(file);
    check_fits(a, config.memory);
    if (!predictions.empty() && config.memory.labels == LabelKind::Vector)
      throw ConfigError(
          "--predictions records scalar predictions (s1); projected_multiclass tasks (vector labels) "
          "are not supported by it");
    CompileOptions compile_options;
    compile_options.labels = config.memory.labels;
    const Program program = compile(a, compile_options);
    if (auto problem = verify(program)) throw std::logic_error("compiled program fails verification: " + *problem);

    const TaskSpec& spec = which == "search"   ? config.search_tasks
                           : which == "select" ? config.select_tasks
                                               : config.final_tasks;
    const TaskSet tasks = make_task_set(spec);
    auto evaluator =
        make_configured_evaluator(config, precision == "float64" ? Precision::Float64 : Precision::Float32, !json);
    ProgramBatch batch;
    batch.add(program, config.seed);
    EvalRequest req;
    req.max_abs_error = config.max_abs_error;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<TaskResult> results = evaluator->evaluate(batch, tasks, full_work_items(1, tasks), req);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!predictions.empty())
      write_prediction_file(predictions, program, config.seed, tasks, config.max_abs_error, precision == "float64",
                            evaluator->backend() == Backend::Cpu ? &results : nullptr);

    std::vector<double> fitnesses;
    uint64_t steps = 0;
    for (const TaskResult& r : results) {
      fitnesses.push_back(r.fitness);
      steps += r.train_steps;
    }
    const double fitness = combine_fitness(fitnesses, config.combination);
    if (json) {
      std::vector<JsonObject> per_task;
      for (size_t i = 0; i < results.size(); ++i)
        per_task.push_back(JsonObject()
                               .add("task", static_cast<uint32_t>(i))
                               .add("param_seed", tasks.tasks[i].param_seed)
                               .add("data_seed", tasks.tasks[i].data_seed)
                               .add("fitness", results[i].fitness)
                               .add("status", enum_name(results[i].status))
                               .add("train_steps", results[i].train_steps));
      std::cout << JsonObject()
                       .add("algorithm", file)
                       .add("tasks", which)
                       .add("task_type", enum_name(spec.type))
                       .add("features", spec.features)
                       .add("backend", evaluator->describe())
                       .add("combination", enum_name(config.combination))
                       .add("fitness", fitness)
                       .add("train_steps", steps)
                       .add("seconds", seconds)
                       .add("per_task", per_task)
                       .str()
                << "\n";
      return kExitOk;
    }
    std::printf("%s on %zu %s tasks (%s, F=%d, %d train x %d epochs, %d valid)\n", file.c_str(), tasks.size(),
                which.c_str(), enum_name(spec.type), spec.features, tasks.tasks[0].n_train, spec.num_epochs,
                tasks.tasks[0].n_valid);
    std::printf("%-5s %-11s %-11s %-10s %-12s %s\n", "task", "param_seed", "data_seed", "fitness", "status",
                "train_steps");
    for (size_t i = 0; i < results.size(); ++i)
      std::printf("%-5zu %-11u %-11u %-10.6f %-12s %u\n", i, tasks.tasks[i].param_seed, tasks.tasks[i].data_seed,
                  results[i].fitness, enum_name(results[i].status), results[i].train_steps);
    std::printf("fitness (%s over %zu tasks) = %.6f\n", enum_name(config.combination), tasks.size(), fitness);
    std::fprintf(stderr, "%llu train steps in %.3f s\n", static_cast<unsigned long long>(steps), seconds);
    return kExitOk;
  });
}

}  // namespace amlz::cli
