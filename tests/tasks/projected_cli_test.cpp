// SPDX-License-Identifier: Apache-2.0
// The shipped real-data configs through the `amlz` binary: they parse, their tasks build, the baselines score on
// them, and a missing data directory is one clear message and exit code 2.
#include "amlz/tasks/dataset.h"
#include "cli_util.h"
#include "tasks/data_test_util.h"

namespace amlz {
namespace {

using test::run_amlz;
using test::shell_quote;

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

TEST(ProjectedConfigs, CifarWithoutDataSaysHowToGetIt) {
  const test::CommandResult r =
      run_amlz("eval --config configs/cifar10_basic.toml --algorithm configs/algorithms/nn_2layer.txt",
               test::Streams::Separate, AMLZ_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 2);
  expect_has(r.err, "search_tasks.data_dir: cifar10 needs data_dir");
  expect_has(r.err, "cifar-10-batches-bin");
}

TEST(ProjectedConfigs, CifarConfigRunsOnACifarDirectory) {
  test::ScratchDir data, cache;
  test::write_cifar_dir(data.path(), 20, 40);  // 10 training and 4 test images per class
  const test::CommandResult r = run_amlz(
      "eval --backend cpu --json --tasks final --config configs/cifar10_basic.toml --algorithm "
      "configs/algorithms/logistic_regression.txt --search_tasks.data_dir " +
          shell_quote(data.path()) + " --search_tasks.num_train 12 --search_tasks.num_valid 6 " +
          "--search_tasks.cache_dir " + shell_quote(cache.path()),
      test::Streams::Separate, AMLZ_SOURCE_DIR);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "\"task_type\":\"projected_binary\"");
  expect_has(r.out, "\"tasks\":\"final\"");
}

TEST(ProjectedConfigs, UnknownDatasetIsNamed) {
  const test::CommandResult r = run_amlz(
      "eval --config configs/fashion_mnist_basic.toml --algorithm configs/algorithms/nn_2layer.txt "
      "--search_tasks.dataset imagenet",
      test::Streams::Separate, AMLZ_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 2);
  expect_has(r.err, "imagenet");
  expect_has(r.err, "fashion_mnist, mnist, cifar10, csv, npy");
}

// Every Fashion-MNIST config builds its select and final tasks, and both baselines learn them.
TEST(ProjectedConfigs, FashionMnistConfigsScoreTheBaselines) {
  if (auto problem = data_source_problem(DataSource{})) GTEST_SKIP() << *problem;
  test::ScratchDir cache;
  for (const char* config : {"fashion_mnist_basic", "fashion_mnist_few_examples", "fashion_mnist_fast_training"})
    for (const char* algorithm : {"logistic_regression", "nn_2layer"})
      for (const char* tasks : {"select", "final"}) {
        SCOPED_TRACE(std::string(config) + " " + algorithm + " " + tasks);
        const test::CommandResult r =
            run_amlz(std::string("eval --backend cpu --json --config configs/") + config +
                         ".toml --algorithm configs/algorithms/" + algorithm + ".txt --tasks " + tasks +
                         " --search_tasks.cache_dir " + shell_quote(cache.path()),
                     test::Streams::Separate, AMLZ_SOURCE_DIR);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const size_t at = r.out.find("\"fitness\":");
        ASSERT_NE(at, std::string::npos) << r.out;
        EXPECT_GT(std::stod(r.out.substr(at + 10)), 0.9) << r.out;
      }
}

// The 10-class config: both 10-class baselines learn its select and final tasks on every CPU backend (chance is 0.1;
// bench/RESULTS.md has the figures), and `amlz show` compiles for vector labels.
TEST(ProjectedConfigs, TenClassConfigScoresTheBaselines) {
  if (auto problem = data_source_problem(DataSource{})) GTEST_SKIP() << *problem;
  test::ScratchDir cache;
  for (const char* algorithm : {"logistic_regression_10class", "nn_2layer_10class"})
    for (const char* tasks : {"select", "final"})
      for (const char* backend : {"cpu", "cpu-reference"}) {
        SCOPED_TRACE(std::string(algorithm) + " " + tasks + " " + backend);
        const test::CommandResult r =
            run_amlz(std::string("eval --backend ") + backend +
                         " --json --config configs/fashion_mnist_10class.toml --algorithm configs/algorithms/" +
                         algorithm + ".txt --tasks " + tasks + " --search_tasks.cache_dir " + shell_quote(cache.path()),
                     test::Streams::Separate, AMLZ_SOURCE_DIR);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        expect_has(r.out, "\"task_type\":\"projected_multiclass\"");
        const size_t at = r.out.find("\"fitness\":");
        ASSERT_NE(at, std::string::npos) << r.out;
        EXPECT_GT(std::stod(r.out.substr(at + 10)), 0.6) << r.out;
      }
  const test::CommandResult show =
      run_amlz("show --bytecode --config configs/fashion_mnist_10class.toml configs/algorithms/nn_2layer_10class.txt",
               test::Streams::Separate, AMLZ_SOURCE_DIR);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  expect_has(show.out, "3 setup, 5 predict, 12 learn instructions; 20 live after dead-code removal");
}

TEST(ProjectedConfigs, TenClassConfigErrors) {
  auto error_of = [](const std::string& command) {
    const test::CommandResult r = run_amlz(command, test::Streams::Separate, AMLZ_SOURCE_DIR);
    EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.out;
    return r.err;
  };
  const std::string eval =
      "eval --config configs/fashion_mnist_10class.toml --algorithm configs/algorithms/nn_2layer_10class.txt ";
  // K <= F: the labels and predictions are F-element vectors.
  expect_has(error_of(eval + "--search_tasks.features 8"),
             "search_tasks.classes: must lie in [2, features] (got 10 with features = 8)");
  if (auto problem = data_source_problem(DataSource{})) GTEST_SKIP() << *problem;
  expect_has(error_of(eval + "--final_tasks.type projected_binary"),
             "final_tasks.type: is \"projected_binary\" but search_tasks.type is \"projected_multiclass\"");
  expect_has(error_of(eval + "--memory.vectors 2"), "memory.vectors: must be at least 3 for projected_multiclass");
  expect_has(error_of(eval + "--search_tasks.classes 11 --search_tasks.features 16"),
             "11 classes asked for, but fashion_mnist has 10");
  expect_has(error_of("search --config configs/fashion_mnist_10class.toml --algorithm.initial neural_net"),
             "algorithm.initial: \"neural_net\" is written for tasks of scalar labels");
  expect_has(error_of("search --config configs/fashion_mnist_basic.toml --algorithm.initial neural_net_multiclass"),
             "\"neural_net_multiclass\" is written for projected_multiclass tasks (vector labels)");
  expect_has(error_of("show --simplify --config configs/fashion_mnist_10class.toml "
                      "configs/algorithms/nn_2layer_10class.txt"),
             "--simplify names variables by the roles of scalar labels");
  expect_has(error_of("export --config configs/fashion_mnist_10class.toml --algorithm "
                      "configs/algorithms/nn_2layer_10class.txt"),
             "projected_multiclass tasks (vector labels) are not supported by export");
}

}  // namespace
}  // namespace amlz
