// SPDX-License-Identifier: Apache-2.0
// Config files: the TOML subset (src/cli/toml_reader.*) bound to Config through CLI11 options
// (src/cli/config_options.*), command-line overrides, select/final inheritance, error messages, validation and
// the to_toml() round trip.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <CLI/CLI.hpp>

#include "amlz/error.h"
#include "cli/config_options.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::expect_contains;

// A file under the temp directory, removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("amlz_config_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".toml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Parses `--config <file holding toml>` plus `flags` the way the commands do, then finish(use).
Config load_file(const std::string& path, const std::vector<std::string>& flags = {},
                 ConfigUse use = ConfigUse::Evaluate) {
  std::vector<std::string> args = {"--config", path};
  args.insert(args.end(), flags.begin(), flags.end());
  return cli::load_config(args, use);
}

Config load(const std::string& toml, const std::vector<std::string>& flags = {}, ConfigUse use = ConfigUse::Evaluate) {
  const TempFile file(toml);
  return load_file(file.path(), flags, use);
}

// The message of the exception E thrown by loading `toml`, or "" with a failure.
template <class E>
std::string load_error(const std::string& toml, ConfigUse use = ConfigUse::Evaluate, std::string* path = nullptr) {
  const TempFile file(toml);
  if (path) *path = file.path();
  try {
    load_file(file.path(), {}, use);
    ADD_FAILURE() << "loaded without error:\n" << toml;
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another exception type: " << e.what() << "\n" << toml;
  }
  return "";
}

// The message of whatever loading `toml` throws, or "" with a failure.
std::string any_load_error(const std::string& toml, ConfigUse use) {
  try {
    load(toml, {}, use);
    ADD_FAILURE() << "loaded without error:\n" << toml;
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A config touching every section, in the style of configs/*.toml.
const char* kFullConfig = R"(# every section once
seed = 42
backend = "cpu"
threads = 2

[memory]
scalars = 5   # s0..s4
vectors = 9
matrices = 2

[search_tasks]
type = "nn_teacher"
features = 8
num_tasks = 3
num_train = 1_000
num_epochs = 2
num_valid = 100
eval = "rms"
param_seeds = [
  9000,   # first
  9010,
]
data_seeds = [19000, 19010]

[select_tasks]
num_tasks = 5
num_valid = 50

[final_tasks]
type = "linear"
features = 4
param_seeds = [2000000]
data_seeds = [1000000]

[evaluation]
max_abs_error = 50.5
combination = "median"

[algorithm]
initial = "neural_net"
setup_ops = ["SCALAR_CONST_SET_OP", "VECTOR_GAUSSIAN_SET_OP", "matrix_gaussian_set"]
predict_ops = [
  "vector_inner_product",
  "MATRIX_VECTOR_PRODUCT",
  "Vector_Max_Op",
]
learn_ops = ["scalar_diff", "SCALAR_PRODUCT_OP", "scalar_vector_product", "vector_sum"]
setup_size = 6
predict_size = 5
learn_size = 11
setup_min_size = 1
predict_min_size = 2
learn_min_size = 3
setup_max_size = 7
predict_max_size = 11
learn_max_size = 23

[evolution]
search = "evolution"
population_size = 100
tournament_size = 10
mutate_prob = 0.75
mutations = ["alter_param", "RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE", "insert_instruction", "remove_instruction"]
batch_size = 64
max_train_steps = 100_000_000_000
progress_every = 1_000

[fec]
enabled = true
num_train = 10
num_valid = 10
cache_size = 100_000
forget_every = 100

[train_budget]
enabled = true
baseline = "neural_net"
threshold_factor = 2.5

[experiment]
max_experiments = 0
randomize_task_seeds = true
sufficient_fitness = 0.9999
)";

// ---------------------------------------------------------------------------------------------------------------
// Reading

TEST(ConfigFile, EveryKeyLandsInTheConfig) {
  const Config c = load(kFullConfig, {}, ConfigUse::Search);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.backend, "cpu");
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.memory, (AddressSpace{5, 9, 2}));

  EXPECT_EQ(c.search_tasks.type, TaskType::NnTeacher);
  EXPECT_EQ(c.search_tasks.features, 8);
  EXPECT_EQ(c.search_tasks.num_tasks, 3);
  EXPECT_EQ(c.search_tasks.num_train, 1000);
  EXPECT_EQ(c.search_tasks.num_epochs, 2);
  EXPECT_EQ(c.search_tasks.num_valid, 100);
  EXPECT_EQ(c.search_tasks.eval, EvalType::RmsError);
  EXPECT_EQ(c.search_tasks.param_seeds, (std::vector<uint32_t>{9000, 9010}));
  EXPECT_EQ(c.search_tasks.data_seeds, (std::vector<uint32_t>{19000, 19010}));

  EXPECT_EQ(c.max_abs_error, 50.5f);
  EXPECT_EQ(c.combination, Combination::Median);

  EXPECT_EQ(c.algorithm.initial, InitialAlgorithm::NeuralNet);
  EXPECT_EQ(c.algorithm.ops[0], (std::vector<Op>{Op::ScalarConstSet, Op::VectorGaussianSet, Op::MatrixGaussianSet}));
  EXPECT_EQ(c.algorithm.ops[1], (std::vector<Op>{Op::VectorInnerProduct, Op::MatrixVectorProduct, Op::VectorMax}));
  EXPECT_EQ(c.algorithm.ops[2],
            (std::vector<Op>{Op::ScalarDiff, Op::ScalarProduct, Op::ScalarVectorProduct, Op::VectorSum}));
  EXPECT_EQ(c.algorithm.init_sizes.setup, 6);
  EXPECT_EQ(c.algorithm.init_sizes.predict, 5);
  EXPECT_EQ(c.algorithm.init_sizes.learn, 11);
  EXPECT_EQ(c.algorithm.min_sizes.setup, 1);
  EXPECT_EQ(c.algorithm.min_sizes.predict, 2);
  EXPECT_EQ(c.algorithm.min_sizes.learn, 3);
  EXPECT_EQ(c.algorithm.max_sizes.setup, 7);
  EXPECT_EQ(c.algorithm.max_sizes.predict, 11);
  EXPECT_EQ(c.algorithm.max_sizes.learn, 23);

  EXPECT_EQ(c.evolution.search, SearchKind::Evolution);
  EXPECT_EQ(c.evolution.population_size, 100);
  EXPECT_EQ(c.evolution.tournament_size, 10);
  EXPECT_EQ(c.evolution.mutate_prob, 0.75);
  EXPECT_EQ(c.evolution.mutations,
            (std::vector<MutationType>{MutationType::AlterParam, MutationType::RandomizeComponent,
                                       MutationType::InsertInstruction, MutationType::RemoveInstruction}));
  EXPECT_EQ(c.evolution.batch_size, 64);
  EXPECT_EQ(c.evolution.max_train_steps, 100'000'000'000);  // needs 64 bits
  EXPECT_EQ(c.evolution.progress_every, 1000);

  EXPECT_TRUE(c.fec.enabled);
  EXPECT_EQ(c.fec.num_train, 10);
  EXPECT_EQ(c.fec.num_valid, 10);
  EXPECT_EQ(c.fec.cache_size, 100000);
  EXPECT_EQ(c.fec.forget_every, 100);

  EXPECT_TRUE(c.train_budget.enabled);
  EXPECT_EQ(c.train_budget.baseline, InitialAlgorithm::NeuralNet);
  EXPECT_EQ(c.train_budget.threshold_factor, 2.5);

  EXPECT_EQ(c.experiment.max_experiments, 0);
  EXPECT_TRUE(c.experiment.randomize_task_seeds);
  EXPECT_EQ(c.experiment.sufficient_fitness, 0.9999);
}

TEST(ConfigFile, SelectAndFinalInheritWhatTheyDoNotSet) {
  const Config c = load(kFullConfig, {}, ConfigUse::Search);
  // select_tasks sets num_tasks and num_valid; everything else comes from search_tasks.
  EXPECT_EQ(c.select_tasks.type, TaskType::NnTeacher);
  EXPECT_EQ(c.select_tasks.features, 8);
  EXPECT_EQ(c.select_tasks.num_tasks, 5);
  EXPECT_EQ(c.select_tasks.num_train, 1000);
  EXPECT_EQ(c.select_tasks.num_epochs, 2);
  EXPECT_EQ(c.select_tasks.num_valid, 50);
  EXPECT_EQ(c.select_tasks.param_seeds, (std::vector<uint32_t>{9000, 9010}));
  // final_tasks inherits from select_tasks (not search_tasks) what it does not set.
  EXPECT_EQ(c.final_tasks.type, TaskType::Linear);
  EXPECT_EQ(c.final_tasks.features, 4);
  EXPECT_EQ(c.final_tasks.num_tasks, 5);
  EXPECT_EQ(c.final_tasks.num_valid, 50);
  EXPECT_EQ(c.final_tasks.num_epochs, 2);
  EXPECT_EQ(c.final_tasks.param_seeds, (std::vector<uint32_t>{2000000}));
  EXPECT_EQ(c.final_tasks.data_seeds, (std::vector<uint32_t>{1000000}));
}

TEST(ConfigFile, WithoutSelectOrFinalSectionsAllTaskSetsEqualTheSearchTasks) {
  const Config c = load("[search_tasks]\nfeatures = 16\nnum_tasks = 7\nnum_train = 20\ntype = \"affine\"\n");
  for (const TaskSpec* t : {&c.select_tasks, &c.final_tasks}) {
    EXPECT_EQ(t->type, TaskType::Affine);
    EXPECT_EQ(t->features, 16);
    EXPECT_EQ(t->num_tasks, 7);
    EXPECT_EQ(t->num_train, 20);
  }
}

TEST(ConfigFile, CommandLineFlagsOverrideTheFile) {
  const Config c =
      load(kFullConfig, {"--evolution.population_size", "500", "--seed=7", "--select_tasks.features", "16"},
           ConfigUse::Search);
  EXPECT_EQ(c.evolution.population_size, 500);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.evolution.tournament_size, 10);  // untouched keys keep the file's value
  // A flag counts as setting the key: select takes 16, and final (which sets features itself) keeps 4.
  EXPECT_EQ(c.select_tasks.features, 16);
  EXPECT_EQ(c.final_tasks.features, 4);
}

TEST(ConfigFile, FlagOnSelectTasksIsInheritedByFinal) {
  const Config c = load("[search_tasks]\nnum_tasks = 3\n", {"--select_tasks.num_tasks", "9"});
  EXPECT_EQ(c.search_tasks.num_tasks, 3);
  EXPECT_EQ(c.select_tasks.num_tasks, 9);
  EXPECT_EQ(c.final_tasks.num_tasks, 9);
}

TEST(ConfigFile, CommentsStringsAndSeparators) {
  const Config c = load(
      "# leading comment\n"
      "\n"
      "out = \"runs/#1\"   # '#' inside a string is text\n"
      "backend = 'cpu'     # single quotes\n"
      "   [evolution]   \n"
      "max_train_steps = 1_000_000\n"
      "mutations = [ # an array may open a comment\n"
      "  \"identity\",\n"
      "\n"
      "  # and hold blank and comment lines\n"
      "  \"alter_param\",   # trailing comma below\n"
      "]\n");
  EXPECT_EQ(c.out, "runs/#1");
  EXPECT_EQ(c.backend, "cpu");
  EXPECT_EQ(c.evolution.max_train_steps, 1000000);
  EXPECT_EQ(c.evolution.mutations, (std::vector<MutationType>{MutationType::Identity, MutationType::AlterParam}));
}

TEST(ConfigFile, UnitFixedExamplesAsArrays) {
  const Config c = load(
      "[search_tasks]\ntype = \"unit_fixed\"\nfeatures = 2\neval = \"accuracy\"\n"
      "train_features = [0.5, -1, 2e-3, 4]\ntrain_labels = [0, 1]\n"
      "valid_features = [1, 2]\nvalid_labels = [1]\n");
  EXPECT_EQ(c.search_tasks.type, TaskType::UnitFixed);
  EXPECT_EQ(c.search_tasks.eval, EvalType::Accuracy);
  EXPECT_EQ(c.search_tasks.train_features, (std::vector<float>{0.5f, -1.0f, 2e-3f, 4.0f}));
  EXPECT_EQ(c.search_tasks.train_labels, (std::vector<float>{0, 1}));
  EXPECT_EQ(c.search_tasks.valid_labels, (std::vector<float>{1}));
}

// ---------------------------------------------------------------------------------------------------------------
// Errors in the text: amlz::ConfigError naming the file and line.

TEST(ConfigFileErrors, UnknownKeyNamesFileLineAndSuggestsTheKey) {
  std::string path;
  const std::string e =
      load_error<ConfigError>("[evolution]\npopulation_size = 5\npopulaton_size = 5\n", ConfigUse::Evaluate, &path);
  expect_contains(e, path + ":3:");
  expect_contains(e, "unknown key 'evolution.populaton_size'");
  expect_contains(e, "did you mean 'evolution.population_size'");
  // A key in the wrong section gets the hint too.
  expect_contains(load_error<ConfigError>("sed = 3\n"), "did you mean 'seed'");
}

TEST(ConfigFileErrors, UnknownSectionIsAnUnknownKey) {
  expect_contains(load_error<ConfigError>("[evolutions]\npopulation_size = 5\n"), "unknown key");
}

TEST(ConfigFileErrors, DuplicateKey) {
  std::string path;
  const std::string e = load_error<ConfigError>("seed = 1\n\nseed = 2\n", ConfigUse::Evaluate, &path);
  expect_contains(e, path + ":3:");
  expect_contains(e, "given twice");
}

TEST(ConfigFileErrors, BadSectionHeaders) {
  expect_contains(load_error<ConfigError>("[evolution\npopulation_size = 5\n"), "section header");
  expect_contains(load_error<ConfigError>("[evo lution]\n"), "bad section name");
  expect_contains(load_error<ConfigError>("[[tasks]]\n"), "not supported");
}

TEST(ConfigFileErrors, MalformedValues) {
  std::string path;
  const std::string e = load_error<ConfigError>("seed = 1\nbackend = \"cpu\n", ConfigUse::Evaluate, &path);
  expect_contains(e, path + ":2:");
  expect_contains(e, "unterminated string");
  expect_contains(load_error<ConfigError>("seed 1\n"), "expected 'key = value'");
  expect_contains(load_error<ConfigError>("seed =\n"), "seed");
  expect_contains(load_error<ConfigError>("[evolution]\nmutations = [\"identity\" \"alter_param\"]\n"),
                  "expected ',' or ']'");
  expect_contains(load_error<ConfigError>("seed = 1 2\n"), "unexpected text");
}

TEST(ConfigFileErrors, WrongTypeNamesTheFileLineAndKey) {
  std::string path;
  const std::string e =
      load_error<ConfigError>("# comment\n[search_tasks]\nfeatures = \"four\"\n", ConfigUse::Evaluate, &path);
  expect_contains(e, path + ":3: search_tasks.features: 'four' is not an integer");
  expect_contains(load_error<ConfigError>("[evolution]\npopulation_size = 1.5\n"), ":2: evolution.population_size");
  expect_contains(load_error<ConfigError>("[fec]\nenabled = maybe\n"), "'maybe' is not a boolean");
  expect_contains(load_error<ConfigError>("[search_tasks]\ntype = \"cubic\"\n"), "'cubic' is not one of: linear");
  // The same value as a flag names the flag.
  try {
    load("", {"--evolution.population_size", "many"});
    ADD_FAILURE() << "accepted a non-integer";
  } catch (const ConfigError& error) {
    expect_contains(error.what(), "--evolution.population_size: 'many' is not an integer");
  }
}

TEST(ConfigFileErrors, IntegersAreDecimalNeverOctal) {
  // TOML forbids leading zeros; strtol with base 0 would have read 01000 as 512 and 010 as 8.
  std::string path;
  expect_contains(load_error<ConfigError>("[evolution]\npopulation_size = 01000\n", ConfigUse::Search, &path),
                  path + ":2: evolution.population_size: '01000' has a leading zero");
  try {
    load("", {"--seed", "010"});
    ADD_FAILURE() << "accepted --seed 010";
  } catch (const ConfigError& error) {
    expect_contains(error.what(), "--seed: '010' has a leading zero");
  }
  load_error<ConfigError>("seed = 0x10\n");
  EXPECT_EQ(load("seed = 10\n").seed, 10u);
  EXPECT_EQ(load("seed = 0\n").seed, 0u);
  EXPECT_EQ(load("[evolution]\nmax_train_steps = 1_000_000\n").evolution.max_train_steps, 1000000);
}

TEST(ConfigFileErrors, OutOfRangeIntegersSayTheRange) {
  expect_contains(load_error<ConfigError>("seed = 4294967296\n"), "out of range (allowed: 0 to 4294967295)");
  expect_contains(load_error<ConfigError>("seed = -1\n"), "out of range");
  expect_contains(
      load_error<ConfigError>("[evolution]\nmax_train_steps = 99999999999999999999999\n", ConfigUse::Search),
      "out of range");
}

TEST(ConfigFileErrors, NotANumberIsNeverALimit) {
  // max_seconds = nan used to mean "no limit" (every comparison with NaN is false).
  expect_contains(load_error<ConfigError>("max_seconds = nan\n", ConfigUse::Search), "'nan' is not a number");
  expect_contains(load_error<ConfigError>("[evaluation]\nmax_abs_error = nan\n"), "max_abs_error");
  expect_contains(load_error<ConfigError>("max_seconds = inf\n", ConfigUse::Search),
                  "max_seconds: must lie in [0, 1000000000]");
  EXPECT_TRUE(std::isinf(load("[evaluation]\nmax_abs_error = inf\n").max_abs_error));  // never stop early
  load_error<ConfigError>("[evolution]\nmutate_prob = 0x1p-3\n", ConfigUse::Search);   // no hex floats
}

TEST(ConfigFileErrors, LongMultiLineArraysReadInOneLinearPass) {
  // A 40,000-line array took 11 s when every line re-scanned the value so far; it must simply work.
  std::string toml = "[search_tasks]\nnum_tasks = 40000\nparam_seeds = [\n";
  for (int i = 0; i < 40000; ++i) toml += "  " + std::to_string(i + 1) + ",\n";
  toml += "]\n";
  const Config c = load(toml);
  ASSERT_EQ(c.search_tasks.param_seeds.size(), 40000u);
  EXPECT_EQ(c.search_tasks.param_seeds.back(), 40000u);
}

TEST(ConfigFileErrors, AByteOrderMarkIsSkipped) { EXPECT_EQ(load("\xEF\xBB\xBFseed = 5\n").seed, 5u); }

TEST(ConfigFileErrors, HostileTextIsEscapedAndCutInMessages) {
  const std::string e =
      load_error<ConfigError>("[evolution]\npopulation_size = \"" + std::string(20000, 'x') + "\x01\"\n");
  EXPECT_LT(e.size(), 600u) << e;
  expect_contains(e, "(20001 bytes)");
  expect_contains(load_error<ConfigError>("backend = \"a\\u0007b\"\n"), "a\\x07b");
}

TEST(ConfigFileErrors, MissingFileIsACliFileError) {
  EXPECT_THROW(load_file("/nonexistent-dir/config.toml"), CLI::FileError);
}

// ---------------------------------------------------------------------------------------------------------------
// Impossible values: clear errors naming the key.

TEST(ConfigValues, RejectsUnsupportedTaskSpecs) {
  expect_contains(load_error<ConfigError>("[search_tasks]\nfeatures = 5\n"), "features = 5");
  expect_contains(load_error<ConfigError>("[search_tasks]\nnum_train = 0\n"), "num_train");
  // A bad value that only the final tasks inherit is reported for them.
  expect_contains(load_error<ConfigError>("[final_tasks]\nnum_valid = 0\n"), "final_tasks");
}

TEST(ConfigValues, RejectsUnknownOpsAndMutations) {
  expect_contains(load_error<ConfigError>("[algorithm]\nlearn_ops = [\"vector_sum\", \"vector_frobnicate\"]\n"),
                  ":2: algorithm.learn_ops: unknown op 'vector_frobnicate'");
  expect_contains(load_error<ConfigError>("[evolution]\nmutations = [\"alter_param\", \"crossover\"]\n"),
                  "unknown mutation 'crossover'");
}

TEST(ConfigValues, SearchSettingsAreCheckedOnlyForSearch) {
  const std::string toml = "[evolution]\nmutate_prob = 2\n";
  EXPECT_EQ(load(toml).evolution.mutate_prob, 2.0);  // `amlz eval` does not use it
  expect_contains(load_error<ConfigError>(toml, ConfigUse::Search), "evolution.mutate_prob");
}

TEST(ConfigValues, RejectsOtherImpossibleValues) {
  expect_contains(load_error<ConfigError>("backend = \"tpu\"\n"), "backend");
  expect_contains(load_error<ConfigError>("[memory]\nscalars = 1\n"), "memory.scalars");
  expect_contains(load_error<ConfigError>("[evaluation]\nmax_abs_error = 0\n"), "max_abs_error");
  expect_contains(load_error<ConfigError>("[evolution]\npopulation_size = 0\n", ConfigUse::Search),
                  "evolution.population_size");
  // An empty mutation list is refused, by CLI11 ("at least 1 required") or by validation; either names the key.
  expect_contains(any_load_error("[evolution]\nmutations = []\n", ConfigUse::Search), "evolution.mutations");
  // NeuralNet needs 5 scalars, 9 vectors and 2 matrices.
  expect_contains(
      load_error<ConfigError>("[algorithm]\ninitial = \"neural_net\"\n[memory]\nvectors = 3\n", ConfigUse::Search),
      "algorithm.initial");
  // FEC cannot fingerprint more examples than a task has.
  expect_contains(load_error<ConfigError>("[search_tasks]\nnum_train = 5\n[algorithm]\nlearn_ops = [\"vector_sum\"]\n"
                                          "[fec]\nenabled = true\nnum_train = 10\n",
                                          ConfigUse::Search),
                  "fec.num_train");
}

// ---------------------------------------------------------------------------------------------------------------
// to_toml(): the effective config, which --config reads back.

void expect_toml_round_trip(const Config& config) {
  const std::string text = cli::to_toml(config);
  SCOPED_TRACE(text);
  Config back;
  try {
    back = load(text);
  } catch (const std::exception& e) {
    FAIL() << "to_toml output does not read back: " << e.what();
  }
  EXPECT_EQ(cli::to_toml(back), text);
}

TEST(ConfigToToml, FullConfigRoundTrips) {
  const Config c = load(kFullConfig, {}, ConfigUse::Search);
  expect_toml_round_trip(c);
  // Spot-check the text itself: sections and the original's enum names for ops.
  const std::string text = cli::to_toml(c);
  expect_contains(text, "[search_tasks]\n");
  expect_contains(text, "type = \"nn_teacher\"");
  expect_contains(text, "\"VECTOR_INNER_PRODUCT_OP\"");
  expect_contains(text, "max_train_steps = 100000000000");
}

TEST(ConfigToToml, DefaultConfigRoundTrips) {
  // Defaults include empty op and seed lists and an infinite sufficient_fitness.
  expect_toml_round_trip(Config{});
}

TEST(ConfigToToml, UnusualValuesRoundTrip) {
  Config c;
  c.out = "runs/a \"quoted\" \\ path #1\nwith a newline\x01";
  c.max_abs_error = 0.1f;
  c.evolution.mutate_prob = 0.1;
  c.search_tasks.type = TaskType::UnitFixed;
  c.search_tasks.features = 2;
  c.search_tasks.train_features = {0.1f, -2.5e-7f, 3.4e38f, 1.0f};
  c.search_tasks.train_labels = {0.0f, 1.0f};
  c.search_tasks.valid_features = {1, 2};
  c.search_tasks.valid_labels = {1};
  c.select_tasks = c.final_tasks = c.search_tasks;
  c.search_tasks.param_seeds = {0xffffffffu, 0};
  Config without_out = c;
  without_out.out.clear();
  expect_toml_round_trip(without_out);
  const Config back = load(cli::to_toml(c));
  // The run directory is a comment: repeating the run with --config must not aim at the same, existing directory.
  EXPECT_EQ(back.out, "");
  expect_contains(cli::to_toml(c), "# out = \"runs/a \\\"quoted\\\" \\\\ path #1\\nwith a newline\\u0001\"");
  EXPECT_EQ(back.search_tasks.train_features, c.search_tasks.train_features);  // floats exact
  EXPECT_EQ(back.search_tasks.param_seeds, c.search_tasks.param_seeds);
  EXPECT_EQ(back.evolution.mutate_prob, 0.1);
}

}  // namespace
}  // namespace amlz

namespace amlz {
namespace {

std::string load_error_of(const std::string& path) {
  try {
    load_file(path, {}, ConfigUse::Search);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "loaded without error";
}

// Every config the repository ships loads and validates for a search (a renamed key or an impossible value in one
// of them fails here, not in a user's first run); the "full" demo differs from the demo only by islands and hurdles.
TEST(ShippedConfigs, EveryConfigLoadsForASearch) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(AMLZ_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".toml") continue;
    ++seen;
    const std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    if (name == "cifar10_basic") {  // the data are the user's to download: the config says where they go
      EXPECT_NE(load_error_of(entry.path().string()).find("needs data_dir: download the CIFAR-10 binary version"),
                std::string::npos);
      continue;
    }
    const bool eval_only = name.size() > 5 && name.compare(name.size() - 5, 5, "_eval") == 0;
    EXPECT_NO_THROW(load_file(entry.path().string(), {}, eval_only ? ConfigUse::Evaluate : ConfigUse::Search));
  }
  EXPECT_GE(seen, 10);
  const Config demo =
      load_file(std::string(AMLZ_SOURCE_DIR) + "/configs/linear_regression.toml", {}, ConfigUse::Search);
  const Config full =
      load_file(std::string(AMLZ_SOURCE_DIR) + "/configs/linear_regression_full.toml", {}, ConfigUse::Search);
  EXPECT_FALSE(demo.hurdles.enabled);
  EXPECT_EQ(demo.islands.count, 1);
  EXPECT_TRUE(full.hurdles.enabled);
  EXPECT_EQ(full.islands.count, 4);
  EXPECT_EQ(full.islands.count * full.evolution.population_size, demo.evolution.population_size);
  EXPECT_EQ(full.evolution.max_train_steps, demo.evolution.max_train_steps);
}

}  // namespace
}  // namespace amlz
