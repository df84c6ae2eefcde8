// SPDX-License-Identifier: Apache-2.0
// progress.svg of a real (small) search: it parses as XML (python3's xml.etree, a parser apart from ours) and has its
// title, two panels with axes, ticks and labels, the best and mean series, experiment boundaries and the labelled
// improvements recorded in best_history.csv; `amlz plot` redraws the same figure from the directory.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/progress_plot.h"
#include "cli_util.h"

namespace amlz {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::run_shell;
using test::shell_quote;
using test::TempDir;

// Parses the SVG with xml.etree and prints what it found, one "key value" per line.
const char* kSvgSummary = R"(
import sys
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
print("root", root.tag)
def count(group, tag):
    return sum(len(g.findall(".//" + ns + tag)) for g in root.iter(ns + "g") if group in (g.get("class") or "").split())
print("best_paths", count("best", "path"))
print("mean_polylines", count("mean", "polyline"))
print("boundaries", count("experiments", "line"))
print("improvement_dots", count("improvements", "circle"))
print("improvement_labels", count("improvements", "text"))
print("axis_lines", count("axes", "line"))
for t in root.iter(ns + "text"):
    print("text", "".join(t.itertext()))
print("title", root.find(ns + "title").text)
def is_number(t):
    try:
        float(t.rstrip("kMG"))
        return True
    except ValueError:
        return False
print("tick_labels", sum(1 for t in root.iter(ns + "text") if is_number("".join(t.itertext()))))
)";

std::map<std::string, std::vector<std::string>> svg_summary(const fs::path& svg, const TempDir& dir) {
  const std::string script = dir.write("svg_summary.py", kSvgSummary);
  const auto r = run_shell("python3 " + shell_quote(script) + " " + shell_quote(svg.string()) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << "not well-formed XML: " << r.out;
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const size_t space = line.find(' ');
    out[line.substr(0, space)].push_back(space == std::string::npos ? "" : line.substr(space + 1));
  }
  return out;
}

int number(const std::map<std::string, std::vector<std::string>>& s, const std::string& key) {
  const auto it = s.find(key);
  return it == s.end() || it->second.empty() ? -1 : std::stoi(it->second.front());
}

bool has_text(const std::map<std::string, std::vector<std::string>>& s, const std::string& part) {
  const auto it = s.find("text");
  if (it == s.end()) return false;
  for (const std::string& t : it->second)
    if (t.find(part) != std::string::npos) return true;
  return false;
}

TEST(PlotTest, ProgressSvgOfARealRun) {
  TempDir dir("amlz_plot");
  const fs::path run = dir.path("run");
  // Two short experiments of the linear demo (the budget ends each one; the select fitness never reaches 0.9999).
  const auto r =
      test::run_amlz("search --config configs/linear_regression.toml --seed 3 --out " + shell_quote(run.string()) +
                         " --evolution.population_size 100 --evolution.progress_every 200"
                         " --experiment.max_experiments 2 --evolution.max_train_steps 400000",
                     test::Streams::Merged, AMLZ_SOURCE_DIR);
  ASSERT_EQ(r.exit_code, 0) << r.out;

  // best_history.csv: one row per new best of an experiment, in run order, sizes consistent.
  std::istringstream history(read_file(run / "best_history.csv"));
  std::string line;
  std::getline(history, line);
  EXPECT_EQ(line,
            "experiment,individuals,elapsed_s,run_individuals,run_elapsed_s,fitness,instructions,live_instructions");
  int rows = 0, experiment = 0;
  double last_individuals = -1, last_fitness = -1;
  while (std::getline(history, line)) {
    int e = 0, instructions = 0, live = 0;
    long long individuals = 0;
    double elapsed = 0, run_individuals = 0, run_elapsed = 0, fitness = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d,%lld,%lf,%lf,%lf,%lf,%d,%d", &e, &individuals, &elapsed, &run_individuals,
                          &run_elapsed, &fitness, &instructions, &live),
              8)
        << line;
    EXPECT_GE(run_individuals, last_individuals) << line;
    if (e == experiment) {
      EXPECT_GT(fitness, last_fitness) << "a row is a new best of its experiment: " << line;
    }
    EXPECT_LE(live, instructions) << line;
    EXPECT_GE(run_individuals, static_cast<double>(individuals)) << line;
    experiment = e;
    last_individuals = run_individuals;
    last_fitness = fitness;
    ++rows;
  }
  EXPECT_GE(rows, 2);
  EXPECT_EQ(experiment, 2);

  const auto s = svg_summary(run / "progress.svg", dir);
  EXPECT_EQ(s.at("root").front(), "{http://www.w3.org/2000/svg}svg");
  // Two panels, two experiments each: a best path and a mean polyline per experiment and panel, one boundary line.
  EXPECT_EQ(number(s, "best_paths"), 4);
  EXPECT_EQ(number(s, "mean_polylines"), 4);
  EXPECT_EQ(number(s, "boundaries"), 2);
  EXPECT_GE(number(s, "improvement_dots"), 2);
  EXPECT_GE(number(s, "improvement_labels"), 2);
  EXPECT_GE(number(s, "axis_lines"), 2 * (2 + 5 + 5));  // per panel: 2 axes, at least 5 ticks and grid lines
  EXPECT_GE(number(s, "tick_labels"), 2 * (3 + 5));     // per panel: at least 3 on the fitness axis, 5 on the other
  for (const char* text : {"linear_regression.toml", "seed 3", "backend cpu", "10 linear tasks, F=4", "P=100",
                           "final fitness", "Fitness against individuals evaluated", "Fitness against time",
                           "individuals (all experiments)", "time since the run started (s)", "fitness", "experiment 2",
                           "best fitness", "mean fitness of the population", " live / "})
    EXPECT_TRUE(has_text(s, text)) << "no text containing '" << text << "'";
  EXPECT_NE(s.at("title").front().find("seed 3"), std::string::npos);

  // `amlz plot` draws the same figure from the directory.
  const auto p =
      test::run_amlz("plot " + shell_quote(run.string()) + " --out " + shell_quote(dir.path("again.svg").string()),
                     test::Streams::Merged);
  ASSERT_EQ(p.exit_code, 0) << p.out;
  EXPECT_EQ(read_file(dir.path("again.svg")), read_file(run / "progress.svg"));
}

TEST(PlotTest, TextIsEscapedAndAnEmptyRunStillDraws) {
  cli::RunData d;
  d.config = "configs/a&b <c>.toml";
  d.backend = "cpu \"x\"";
  TempDir dir("amlz_plot_escape");
  const std::string svg = cli::render_progress_svg(d);
  std::ofstream(dir.path("empty.svg")) << svg;
  const auto s = svg_summary(dir.path("empty.svg"), dir);
  EXPECT_TRUE(has_text(s, "a&b <c>.toml"));
  EXPECT_TRUE(has_text(s, "no progress yet"));
  EXPECT_EQ(number(s, "best_paths"), 0);
}

TEST(PlotTest, PlotRefusesWhatIsNotARunDirectory) {
  TempDir dir("amlz_plot_bad");
  const auto r = test::run_amlz("plot " + shell_quote(dir.path("").string()), test::Streams::Merged);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("has no progress.csv"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace amlz
