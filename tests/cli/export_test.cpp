// SPDX-License-Identifier: Apache-2.0
// `amlz export` against `amlz eval`: the exported C++ (compiled here with the system's C++ compiler) and NumPy code
// (run with a python3 that has NumPy) run every task of a config through their own driver, and every prediction —
// each training step's and each validation example's, epoch by epoch — must match what the reference interpreter
// predicted (`amlz eval --predictions`). C++ must match to the bit (same operations in the same order, same C
// library); NumPy within a float tolerance, because its float32 sin/exp/log are not the C library's. Cases: the
// hand-written algorithms of configs/algorithms on regression and classification tasks (one with 3 epochs, so the
// shuffled epoch orders and memory carried across validation count), and random programs from the real Generator
// over all 64 ops, whose live code must cover every op.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/generator.h"
#include "amlz/core/search_rng.h"
#include "cli_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;
using test::run_shell;
using test::shell_quote;
using test::TempDir;

// What one run predicted on one task: from a trace (`amlz eval --predictions`) or a harness's output.
struct TaskPredictions {
  std::vector<float> train;
  std::vector<std::vector<float>> valid;
  double fitness = -1;
};

std::vector<float> floats(std::istringstream& in) {
  std::vector<float> out;
  std::string word;
  while (in >> word) out.push_back(std::strtof(word.c_str(), nullptr));
  return out;
}

std::vector<TaskPredictions> read_predictions(const fs::path& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file) << "cannot read " << path;
  std::vector<TaskPredictions> tasks;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "task") {
      tasks.emplace_back();
    } else if (key == "train_predictions") {
      tasks.back().train = floats(in);
    } else if (key == "valid_predictions") {
      size_t epoch = 0;
      in >> epoch;
      EXPECT_EQ(epoch, tasks.back().valid.size());
      tasks.back().valid.push_back(floats(in));
    } else if (key == "result") {
      std::string fitness;
      in >> fitness;
      tasks.back().fitness = std::strtod(fitness.c_str(), nullptr);
    }
  }
  return tasks;
}

// The largest difference found, and how many predictions were compared.
struct Agreement {
  double max_abs = 0, max_rel = 0, max_fitness = 0;
  size_t predictions = 0;
};

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Every prediction of `got` against `want`: the same count (the same step stopped training, the same validation
// example ended an epoch) and values equal (tolerance 0: to the bit, NaN equal to NaN) or within
// abs_tol + rel_tol * |want|.
void compare(const std::string& what, const std::vector<TaskPredictions>& want, const std::vector<TaskPredictions>& got,
             double abs_tol, double rel_tol, Agreement& agreement) {
  ASSERT_EQ(want.size(), got.size()) << what << ": number of tasks";
  auto check = [&](float w, float g, const std::string& where) {
    ++agreement.predictions;
    if (same(w, g)) return;
    const double diff = std::abs(static_cast<double>(w) - static_cast<double>(g));
    if (std::isfinite(diff)) {
      agreement.max_abs = std::max(agreement.max_abs, diff);
      agreement.max_rel = std::max(agreement.max_rel, diff / std::max(1e-30, std::abs(static_cast<double>(w))));
    }
    EXPECT_TRUE(abs_tol + rel_tol > 0 && diff <= abs_tol + rel_tol * std::abs(static_cast<double>(w)))
        << what << " " << where << ": amlz predicted " << w << ", the export " << g;
  };
  for (size_t t = 0; t < want.size(); ++t) {
    const std::string task = "task " + std::to_string(t);
    ASSERT_EQ(want[t].train.size(), got[t].train.size()) << what << " " << task << ": training steps run";
    for (size_t i = 0; i < want[t].train.size(); ++i)
      check(want[t].train[i], got[t].train[i], task + " step " + std::to_string(i));
    ASSERT_EQ(want[t].valid.size(), got[t].valid.size()) << what << " " << task << ": epochs validated";
    for (size_t e = 0; e < want[t].valid.size(); ++e) {
      ASSERT_EQ(want[t].valid[e].size(), got[t].valid[e].size()) << what << " " << task << " epoch " << e;
      for (size_t i = 0; i < want[t].valid[e].size(); ++i)
        check(want[t].valid[e][i], got[t].valid[e][i],
              task + " epoch " + std::to_string(e) + " valid " + std::to_string(i));
    }
    const double fitness_diff = std::abs(want[t].fitness - got[t].fitness);
    agreement.max_fitness = std::max(agreement.max_fitness, fitness_diff);
    EXPECT_LE(fitness_diff, abs_tol + rel_tol)
        << what << " " << task << ": fitness " << want[t].fitness << " vs " << got[t].fitness;
  }
}

// A python3 that imports numpy (Debian's python3-numpy, which scripts/setup.sh installs, is /usr/bin/python3 even
// where another python3 comes first on the PATH).
std::string python_with_numpy() {
  for (const char* candidate : {"python3", "/usr/bin/python3"})
    if (run_shell(std::string(candidate) + " -c 'import numpy' 2>/dev/null").exit_code == 0) return candidate;
  return "";
}

struct Case {
  std::string name;       // a C++ namespace too
  std::string algorithm;  // file
  std::string config;     // file
  int features;
  // NumPy must match to the bit too: no live sin, cos, tan, arcsin, arccos, arctan, exp or log, and no sigmoid
  // (regression tasks) — NumPy computes those itself; everything else is the same IEEE operations in the same order.
  bool numpy_exact;
};

bool uses_transcendentals(const Algorithm& a) {
  LiveMarks live;
  mark_live(a, live);
  for (Component c : kAllComponents)
    for (size_t k = 0; k < a.component(c).size(); ++k)
      if (live[static_cast<int>(c)][k] && op_info(a.component(c)[k].op).cost == Cost::Transcendental) return true;
  return false;
}

struct Outcome {
  Agreement cpp, numpy, numpy_exact;               // numpy: the cases with a tolerance
  std::vector<std::vector<TaskPredictions>> amlz;  // per case, per task
};

// Traces, exports, compiles and runs every case; compares both exports with amlz.
Outcome run_cases(const std::vector<Case>& cases, const TempDir& dir, double numpy_abs_tol, double numpy_rel_tol) {
  Outcome outcome;
  const std::string python = python_with_numpy();
  if (python.empty()) {
    ADD_FAILURE() << "no python3 with numpy (apt-get install python3-numpy; scripts/setup.sh does)";
    return outcome;
  }
  const std::string amlz = shell_quote(AMLZ_BINARY);
  bool ok = true;  // every step so far succeeded
  std::ostringstream main_cpp;
  main_cpp << "#include \"export_harness.h\"\n";
  std::string runners, harness_args, python_args;
  for (const Case& c : cases) {
    const std::string trace = dir.path(c.name + ".trace").string();
    const auto eval = run_shell("cd " + shell_quote(AMLZ_SOURCE_DIR) + " && " + amlz + " eval --backend cpu --config " +
                                shell_quote(c.config) + " --algorithm " + shell_quote(c.algorithm) +
                                " --json --predictions " + shell_quote(trace) + " 2>&1");
    ok = ok && eval.exit_code == 0;
    EXPECT_EQ(eval.exit_code, 0) << c.name << ": " << eval.out;
    for (const char* format : {"cpp", "numpy"}) {
      const std::string out = dir.path(c.name + (std::string(format) == "cpp" ? ".h" : ".py")).string();
      const auto ex = run_shell("cd " + shell_quote(AMLZ_SOURCE_DIR) + " && " + amlz + " export --format " + format +
                                " --namespace " + c.name + " --config " + shell_quote(c.config) + " --algorithm " +
                                shell_quote(c.algorithm) + " --out " + shell_quote(out) + " 2>&1");
      ok = ok && ex.exit_code == 0;
      EXPECT_EQ(ex.exit_code, 0) << c.name << ": " << ex.out;
    }
    main_cpp << "#include \"" << c.name << ".h\"\n";
    runners += std::string(runners.empty() ? "" : ",\n") + "AMLZ_HARNESS_RUNNER(" + c.name + ", " +
               std::to_string(c.features) + ")";
    harness_args += " " + shell_quote(trace) + " " + shell_quote(dir.path(c.name + ".cpp.out").string());
    python_args += " " + shell_quote(dir.path(c.name + ".py").string()) + " " + shell_quote(trace) + " " +
                   shell_quote(dir.path(c.name + ".py.out").string());
  }
  main_cpp << "int main(int argc, char** argv) {\n  return amlz_harness::main(argc, argv, {" << runners << "});\n}\n";
  dir.write("main.cpp", main_cpp.str());
  // Warnings are errors: the exported code must compile cleanly. -ffp-contract=off, as its header says.
  const auto compiled = run_shell(
      std::string(AMLZ_TEST_CXX) + " -std=c++17 -O1 -ffp-contract=off -Wall -Wextra -Werror -I" +
      shell_quote(std::string(AMLZ_SOURCE_DIR) + "/tests/cli") + " -I" + shell_quote(dir.path("").string()) + " " +
      shell_quote(dir.path("main.cpp").string()) + " -o " + shell_quote(dir.path("harness").string()) + " 2>&1");
  ok = ok && compiled.exit_code == 0;
  EXPECT_EQ(compiled.exit_code, 0) << compiled.out;
  const auto ran = run_shell(shell_quote(dir.path("harness").string()) + harness_args + " 2>&1");
  ok = ok && ran.exit_code == 0;
  EXPECT_EQ(ran.exit_code, 0) << ran.out;
  const auto py = run_shell(python + " " + shell_quote(std::string(AMLZ_SOURCE_DIR) + "/tests/cli/export_harness.py") +
                            python_args + " 2>&1");
  ok = ok && py.exit_code == 0;
  EXPECT_EQ(py.exit_code, 0) << py.out;
  if (!ok) return outcome;

  for (const Case& c : cases) {
    const auto want = read_predictions(dir.path(c.name + ".trace"));
    compare(c.name + " (C++)", want, read_predictions(dir.path(c.name + ".cpp.out")), 0, 0, outcome.cpp);
    compare(c.name + " (NumPy)", want, read_predictions(dir.path(c.name + ".py.out")),
            c.numpy_exact ? 0 : numpy_abs_tol, c.numpy_exact ? 0 : numpy_rel_tol,
            c.numpy_exact ? outcome.numpy_exact : outcome.numpy);
    outcome.amlz.push_back(want);
  }
  return outcome;
}

void report(const char* what, const Outcome& o) {
  std::printf(
      "%s: C++ %zu predictions, max |diff| %.3g (fitness %.3g); NumPy %zu predictions to the bit (max |diff| %.3g), "
      "%zu through its own transcendentals: max |diff| %.3g, relative %.3g (fitness %.3g)\n",
      what, o.cpp.predictions, o.cpp.max_abs, o.cpp.max_fitness, o.numpy_exact.predictions, o.numpy_exact.max_abs,
      o.numpy.predictions, o.numpy.max_abs, o.numpy.max_rel, o.numpy.max_fitness);
}

std::string source(const std::string& path) { return std::string(AMLZ_SOURCE_DIR) + "/" + path; }

// Two-class data for projected_binary tasks read from CSV: 6 raw features, the class from a noisy linear rule.
void write_csv_dataset(const TempDir& dir) {
  fs::create_directories(dir.path("data"));
  uint64_t state = 12345;
  auto uniform = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
  };
  for (const char* name : {"train.csv", "test.csv"}) {
    std::ofstream out(dir.path("data") / name);
    out << "a,b,c,d,e,f,label\n";
    for (int i = 0; i < (std::string(name) == "train.csv" ? 400 : 100); ++i) {
      double x[6], score = 0;
      for (int j = 0; j < 6; ++j) {
        x[j] = 4 * uniform();
        score += (j % 2 ? -1.0 : 1.0) * (j + 1) * x[j];
      }
      for (double v : x) out << v << ",";
      out << (score + uniform() > 0 ? 1 : 0) << "\n";
    }
  }
}

std::string accuracy_config(const TempDir& dir, int epochs, const char* memory) {
  return std::string(memory) +
         "[search_tasks]\n"
         "type = \"projected_binary\"\n"
         "eval = \"accuracy\"\n"
         "dataset = [\"csv\"]\n"
         "data_dir = [\"" +
         dir.path("data").string() +
         "\"]\n"
         "pairs = \"1-0\"\n"
         "held_out_pairs = \"\"\n"
         "cache_dir = \"off\"\n"
         "features = 4\n"
         "num_tasks = 2\n"
         "num_train = 120\n"
         "num_valid = 60\n"
         "num_epochs = " +
         std::to_string(epochs) + "\n";
}

TEST(ExportTest, HandWrittenAlgorithmsReproduceAmlzEval) {
  TempDir dir("amlz_export");
  write_csv_dataset(dir);
  const std::string classification =
      dir.write("classification.toml", accuracy_config(dir, 3, "[memory]\nscalars = 5\nvectors = 9\nmatrices = 2\n"));
  // The paper's evolved network with a learning rate that trains on teacher tasks (4.1 diverges: see below).
  std::string seed_nn = test::read_file(source("configs/algorithms/seed_nn.txt"));
  seed_nn.replace(seed_nn.find("s3 = 4.1"), 8, "s3 = 0.01");
  const std::string trainable_seed_nn = dir.write("seed_nn_trains.txt", seed_nn);
  // Teacher-network regression as configs/seed_nn_eval.toml has it, smaller, with a scalar more for nn_2layer.txt.
  const std::string teacher = dir.write("teacher.toml",
                                        "[memory]\nscalars = 5\nvectors = 10\nmatrices = 2\n"
                                        "[search_tasks]\ntype = \"nn_teacher\"\nfeatures = 8\nnum_tasks = 4\n"
                                        "num_train = 400\nnum_valid = 50\n");
  const std::vector<Case> cases = {
      {"linear", source("configs/algorithms/linear.txt"), source("configs/linear_regression.toml"), 4, true},
      {"seed_nn_diverges", source("configs/algorithms/seed_nn.txt"), source("configs/seed_nn_eval.toml"), 8, true},
      {"seed_nn", trainable_seed_nn, teacher, 8, true},
      {"nn_2layer_rms", source("configs/algorithms/nn_2layer.txt"), teacher, 8, true},
      {"logistic", source("configs/algorithms/logistic_regression.txt"), classification, 4, false},
      {"nn_2layer", source("configs/algorithms/nn_2layer.txt"), classification, 4, false},
  };
  const Outcome o = run_cases(cases, dir, 1e-5, 1e-4);
  report("hand-written", o);
  ASSERT_EQ(o.amlz.size(), cases.size());
  // The cases do what they are here for: the paper's learning rate stops training early on every task, the others
  // train through and learn (a fitness no constant predictor reaches).
  for (const TaskPredictions& t : o.amlz[1]) EXPECT_LT(t.train.size(), 1000u);  // of 1000
  const size_t steps[] = {100, 0, 400, 400, 3 * 120, 3 * 120};
  for (size_t c : {0, 2, 3, 4, 5})
    for (const TaskPredictions& t : o.amlz[c]) {
      EXPECT_EQ(t.train.size(), steps[c]) << cases[c].name;
      EXPECT_EQ(t.valid.size(), c >= 4 ? 3u : 1u) << cases[c].name;
    }
  for (const TaskPredictions& t : o.amlz[0]) EXPECT_GT(t.fitness, 0.99);  // linear regression learns its tasks
  for (const TaskPredictions& t : o.amlz[4]) EXPECT_GT(t.fitness, 0.75);  // so does logistic regression
  EXPECT_GT(o.cpp.predictions, 7000u);
  EXPECT_GT(o.numpy_exact.predictions, 5000u);
}

TEST(ExportTest, RandomProgramsOverEveryOpReproduceAmlzEval) {
  TempDir dir("amlz_export_random");
  write_csv_dataset(dir);
  const char* memory = "[memory]\nscalars = 4\nvectors = 4\nmatrices = 3\n";
  auto regression = [&](int features) {
    return dir.write("linear_f" + std::to_string(features) + ".toml",
                     std::string(memory) +
                         "[search_tasks]\ntype = \"linear\"\nnum_tasks = 2\nnum_train = 12\nnum_epochs = 2\n"
                         "num_valid = 6\nfeatures = " +
                         std::to_string(features) + "\n");
  };
  const std::string configs[] = {regression(4), regression(8),
                                 dir.write("accuracy.toml", accuracy_config(dir, 2, memory))};
  const AddressSpace space{4, 4, 3};
  std::vector<Op> ops;
  for (const OpInfo& info : kOpTable)
    if (info.op != Op::NoOp) ops.push_back(info.op);
  SearchRng rng(20240611);
  std::vector<Case> cases;
  std::set<Op> live_ops;
  for (int i = 0; i < 90; ++i) {
    Algorithm a;
    const size_t sizes[] = {6, 8, 10};
    for (Component c : kAllComponents)
      for (size_t k = 0; k < sizes[static_cast<int>(c)]; ++k)
        a.component(c).push_back(random_instruction(ops, space, rng));
    LiveMarks live;
    mark_live(a, live);
    for (Component c : kAllComponents)
      for (size_t k = 0; k < a.component(c).size(); ++k)
        if (live[static_cast<int>(c)][k]) live_ops.insert(a.component(c)[k].op);
    const std::string name = "random" + std::to_string(i);
    const int config = i % 3;
    cases.push_back({name, dir.write(name + ".txt", to_text(a)), configs[config], config == 1 ? 8 : 4,
                     config != 2 && !uses_transcendentals(a)});
  }
  std::string missing;
  for (Op op : ops)
    if (!live_ops.count(op)) missing += std::string(" ") + op_name(op);
  EXPECT_EQ(missing, "") << "the random programs' live code does not cover every op";
  const Outcome o = run_cases(cases, dir, 1e-5, 1e-4);
  report("random programs", o);
  size_t trained_through = 0;
  for (const auto& c : o.amlz)
    for (const TaskPredictions& t : c) trained_through += t.valid.size() == 2;
  std::printf("random programs: %zu of %zu task runs trained through both epochs\n", trained_through, cases.size() * 2);
  EXPECT_GT(trained_through, cases.size() / 2);  // most runs are compared over every step, not cut short by a NaN
  EXPECT_GT(o.numpy_exact.predictions, 1000u);
  EXPECT_GT(o.numpy.predictions, 4000u);
}

TEST(ExportTest, CommandLine) {
  auto amlz = [](const std::string& args) { return test::run_amlz(args, test::Streams::Merged, AMLZ_SOURCE_DIR); };
  // Without --config the arrays are as large as the addresses the live code uses (linear.txt: s0-s3, v0-v2).
  const auto cpp = amlz("export --algorithm configs/algorithms/linear.txt --format cpp");
  ASSERT_EQ(cpp.exit_code, 0) << cpp.out;
  EXPECT_NE(cpp.out.find("kScalars = 4, kVectors = 3, kMatrices = 1;"), std::string::npos) << cpp.out;
  EXPECT_NE(cpp.out.find("(the addresses the code uses)"), std::string::npos);
  EXPECT_NE(cpp.out.find("namespace amlz_export {"), std::string::npos);
  EXPECT_NE(cpp.out.find("s[1] = dot(v[1], v[0], F);  // s1 = dot(v1, v0)"), std::string::npos) << cpp.out;
  const auto py = amlz(
      "export --algorithm configs/algorithms/linear.txt --format numpy --config "
      "configs/linear_regression.toml");
  ASSERT_EQ(py.exit_code, 0) << py.out;
  EXPECT_NE(py.out.find("SCALARS, VECTORS, MATRICES = 4, 3, 1"), std::string::npos) << py.out;
  EXPECT_NE(py.out.find("s[1] = dot(v[1], v[0])  # s1 = dot(v1, v0)"), std::string::npos) << py.out;
  // Dead code is left out and said so.
  TempDir dir("amlz_export_cli");
  const std::string dead = dir.write("dead.txt",
                                     "def Setup():\n  s2 = 0.5\ndef Predict():\n  s3 = s2 * s2\n  s1 = s2\n"
                                     "def Learn():\n");
  const auto d = amlz("export --format cpp --algorithm " + shell_quote(dead));
  EXPECT_EQ(d.exit_code, 2) << d.out;  // "s1 = s2" is no instruction
  dir.write("dead.txt", "def Setup():\n  s2 = 0.5\ndef Predict():\n  s3 = s2 * s2\n  s1 = s2 + s2\ndef Learn():\n");
  const auto e = amlz("export --format numpy --algorithm " + shell_quote(dead));
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_NE(e.out.find("# 1 dead instruction left out"), std::string::npos) << e.out;
  EXPECT_EQ(e.out.find("s[3] = s[2] * s[2]"), std::string::npos) << e.out;
  // Bad input is one message and exit code 2.
  EXPECT_EQ(amlz("export --format cpp --namespace 1x --algorithm configs/algorithms/linear.txt").exit_code, 2);
  EXPECT_EQ(amlz("export --format java --algorithm configs/algorithms/linear.txt").exit_code, 2);
  const auto small =
      amlz("export --algorithm configs/algorithms/nn_2layer.txt --config configs/linear_regression.toml");
  EXPECT_EQ(small.exit_code, 2);
  EXPECT_NE(small.out.find("out of range"), std::string::npos) << small.out;
  EXPECT_EQ(amlz("export --algorithm configs/algorithms/linear.txt --out").exit_code, 2);
  // --out writes the file.
  ASSERT_EQ(
      amlz("export --algorithm configs/algorithms/linear.txt --out " + shell_quote(dir.path("l.h").string())).exit_code,
      0);
  EXPECT_EQ(test::read_file(dir.path("l.h")), cpp.out);
  // `amlz show --simplify` prints the cleaned algorithm.
  const auto show = amlz("show --simplify configs/algorithms/linear.txt");
  ASSERT_EQ(show.exit_code, 0) << show.out;
  EXPECT_NE(show.out.find("  pred = dot(w, x)  # s1 = dot(v1, v0)\n"), std::string::npos) << show.out;
}

}  // namespace
}  // namespace amlz
