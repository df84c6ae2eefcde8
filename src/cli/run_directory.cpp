// SPDX-License-Identifier: Apache-2.0
#include "cli/run_directory.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"

namespace amlz {

namespace fs = std::filesystem;

std::string default_run_directory(uint32_t seed) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return std::string("runs/") + buf + "-seed" + std::to_string(seed);
}

RunDirectory::RunDirectory(std::string path) : path_(std::move(path)) {
  const std::string shown = printable(path_);
  std::error_code ec;
  const fs::path leaf(path_);
  if (leaf.has_parent_path()) fs::create_directories(leaf.parent_path(), ec);
  if (ec) throw Error("cannot create the parent of run directory '" + shown + "': " + ec.message());
  if (::mkdir(path_.c_str(), 0777) == 0) {
    created_ = true;
  } else if (errno != EEXIST) {
    throw Error("cannot create run directory '" + shown + "': " + std::strerror(errno));
  } else if (!fs::is_directory(path_, ec)) {
    throw Error("--out '" + shown + "' exists and is not a directory");
  } else if (!fs::is_empty(path_, ec) || ec) {
    // A user's files (an earlier run's summary, their own notes) are never overwritten.
    throw Error("run directory '" + shown + "' already exists and is not empty; choose another --out or remove it");
  }
  // Created exclusively: of two runs started on the same empty directory, the second stops here.
  const int fd = ::open(file("progress.csv").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (fd < 0)
    throw Error(errno == EEXIST ? "run directory '" + shown + "' is being used by another run"
                                : "cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  ::close(fd);
  written_.push_back("progress.csv");
  progress_.open(file("progress.csv"), std::ios::app);
  if (!progress_) throw Error("cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  progress_ << "experiment,individuals,elapsed_s,train_steps,best_fitness,mean_fitness,stdev_fitness,"
               "individuals_per_s,train_steps_per_s,fec_hit_rate\n"
            << std::flush;
}

void RunDirectory::write(const std::string& name, const std::string& content) {
  const std::string tmp = file("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw Error("cannot write '" + printable(tmp) + "': " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, file(name), ec);
  if (ec) throw Error("cannot replace '" + printable(file(name)) + "': " + ec.message());
  if (std::find(written_.begin(), written_.end(), name) == written_.end()) written_.push_back(name);
}

void RunDirectory::discard() {
  progress_.close();
  std::error_code ec;
  if (created_) {
    fs::remove_all(path_, ec);
    return;
  }
  for (const std::string& name : written_) fs::remove(file(name), ec);
}

void RunDirectory::append_progress(int experiment, const SearchProgress& p) {
  char line[512];
  std::snprintf(line, sizeof line, "%d,%lld,%.3f,%llu,%.9f,%.9f,%.9f,%.6g,%.6g,%.6f\n", experiment,
                static_cast<long long>(p.individuals), p.elapsed_seconds,
                static_cast<unsigned long long>(p.train_steps), p.best, p.mean, p.stdev, p.individuals_per_second,
                p.train_steps_per_second, p.fec_hit_rate);
  progress_ << line << std::flush;
  if (!progress_) throw Error("cannot write '" + printable(file("progress.csv")) + "': " + std::strerror(errno));
  // The plot's x axis counts individuals over all experiments: each experiment continues where the last ended.
  if (!rows_.empty() && rows_.back().experiment != experiment) experiment_base_ = rows_.back().individuals;
  rows_.push_back({experiment, experiment_base_ + static_cast<double>(p.individuals), p.best, p.mean});
  // Rewriting the whole SVG is O(rows): at most every few seconds during a run, and once more at the end.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_plot_ >= std::chrono::seconds(5)) {
    last_plot_ = now;
    write_plot();
  }
}

void RunDirectory::write_best(const Algorithm& a, const std::string& note) {
  write("best_algorithm.txt", "# " + note + "\n" + to_text(a));
}

void RunDirectory::write_plot() {
  const double w = 720, h = 360, left = 60, right = 20, top = 20, bottom = 40;
  double max_x = 1;
  for (const Row& r : rows_) max_x = std::max(max_x, r.individuals);
  auto x = [&](double v) { return left + (w - left - right) * v / max_x; };
  auto y = [&](double v) { return top + (h - top - bottom) * (1.0 - v); };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double v = i / 4.0;
    svg << "<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\"" << y(v) << "\" y2=\"" << y(v)
        << "\" stroke=\"#ddd\"/><text x=\"" << left - 8 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">" << v
        << "</text>\n";
  }
  svg << "<text x=\"" << (w + left) / 2 << "\" y=\"" << h - 8 << "\" text-anchor=\"middle\">individuals ("
      << static_cast<long long>(max_x) << " at the right edge)</text>\n";
  auto polyline = [&](const char* colour, auto value) {
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (const Row& r : rows_) svg << x(r.individuals) << "," << y(value(r)) << " ";
    svg << "\"/>\n";
  };
  polyline("#1f77b4", [](const Row& r) { return r.best; });
  polyline("#ff7f0e", [](const Row& r) { return r.mean; });
  svg << "<text x=\"" << left + 10 << "\" y=\"" << top + 14 << "\" fill=\"#1f77b4\">best fitness</text>\n"
      << "<text x=\"" << left + 110 << "\" y=\"" << top + 14 << "\" fill=\"#ff7f0e\">mean fitness</text>\n"
      << "</svg>\n";
  write("progress.svg", svg.str());
}

}  // namespace amlz
