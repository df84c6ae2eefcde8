// SPDX-License-Identifier: Apache-2.0
// Reading a run directory's files, and drawing them as two panels of one SVG (fitness against individuals, and
// against time), with nice ticks, step lines for the best fitness and labelled improvements.
#include "cli/progress_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "amlz/error.h"

namespace amlz::cli {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(trim(field));
  return out;
}

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A CSV with a header: each row as a map from column name to value; rows that do not have every column are skipped
// (a file being written may end in half a line).
struct Csv {
  std::vector<std::map<std::string, double>> rows;
  std::vector<std::string> columns;
  size_t skipped = 0;
};
Csv read_csv(const std::string& text) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return csv;
  csv.columns = split(line, ',');
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split(line, ',');
    std::map<std::string, double> row;
    bool ok = fields.size() >= csv.columns.size();
    for (size_t i = 0; ok && i < csv.columns.size(); ++i) {
      const auto v = number(fields[i]);
      if (v)
        row[csv.columns[i]] = *v;
      else
        ok = false;
    }
    if (ok)
      csv.rows.push_back(std::move(row));
    else
      ++csv.skipped;
  }
  return csv;
}
bool has_column(const Csv& csv, const char* name) {
  return std::find(csv.columns.begin(), csv.columns.end(), name) != csv.columns.end();
}

// The value of "key" in a one-object JSON file: a string (unescaped), or a number / true / false / null as text.
std::optional<std::string> json_field(const std::string& text, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  size_t at = text.find(quoted);
  if (at == std::string::npos) return std::nullopt;
  at = text.find(':', at + quoted.size());
  if (at == std::string::npos) return std::nullopt;
  at = text.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string::npos) return std::nullopt;
  std::string value;
  if (text[at] == '"') {
    for (size_t i = at + 1; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      value.push_back(text[i]);
    }
    return value;
  }
  const size_t end = text.find_first_of(",}\n", at);
  return trim(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
}

// The values of an effective config.toml the title needs: "section.key" -> value without quotes.
std::map<std::string, std::string> read_toml_values(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    values[(section.empty() ? "" : section + ".") + trim(line.substr(0, eq))] = value;
  }
  return values;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

RunData read_run_data(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error("'" + printable(dir) + "' is not a directory");
  const auto progress_text = read_text(root / "progress.csv");
  if (!progress_text) throw Error("'" + printable(dir) + "' has no progress.csv: not a run directory of `amlz search`");
  RunData d;
  const Csv progress = read_csv(*progress_text);
  for (const char* column : {"experiment", "individuals", "elapsed_s", "best_fitness", "mean_fitness"})
    if (!has_column(progress, column))
      throw Error("'" + printable((root / "progress.csv").string()) + "' has no column '" + column + "'");
  // Runs written before run_individuals/run_elapsed_s existed: each experiment continues where the last row of the
  // one before ended.
  const bool run_columns = has_column(progress, "run_individuals") && has_column(progress, "run_elapsed_s");
  double base_individuals = 0, base_seconds = 0, last_individuals = 0, last_seconds = 0;
  int experiment = -1;
  for (const auto& row : progress.rows) {
    ProgressPoint p;
    p.experiment = static_cast<int>(row.at("experiment"));
    if (p.experiment != experiment && experiment != -1) {
      base_individuals += last_individuals;
      base_seconds += last_seconds;
    }
    experiment = p.experiment;
    last_individuals = row.at("individuals");
    last_seconds = row.at("elapsed_s");
    p.individuals = run_columns ? row.at("run_individuals") : base_individuals + last_individuals;
    p.seconds = run_columns ? row.at("run_elapsed_s") : base_seconds + last_seconds;
    p.best = row.at("best_fitness");
    p.mean = row.at("mean_fitness");
    // Where this experiment's search began, on both axes.
    if (d.experiments.empty() || d.experiments.back().experiment != p.experiment)
      d.experiments.push_back({p.experiment, p.individuals - last_individuals, p.seconds - last_seconds});
    d.progress.push_back(p);
  }
  if (progress.skipped > 0)
    d.warnings += std::to_string(progress.skipped) + " unreadable line(s) in progress.csv skipped\n";

  if (const auto history_text = read_text(root / "best_history.csv")) {
    const Csv history = read_csv(*history_text);
    bool complete = true;
    for (const char* column :
         {"experiment", "run_individuals", "run_elapsed_s", "fitness", "instructions", "live_instructions"})
      complete = complete && has_column(history, column);
    if (complete)
      for (const auto& row : history.rows)
        d.best_changes.push_back({static_cast<int>(row.at("experiment")), row.at("run_individuals"),
                                  row.at("run_elapsed_s"), row.at("fitness"), static_cast<int>(row.at("instructions")),
                                  static_cast<int>(row.at("live_instructions"))});
    else
      d.warnings += "best_history.csv lacks columns; improvements not drawn\n";
  }

  std::map<std::string, std::string> config;
  if (const auto text = read_text(root / "config.toml")) config = read_toml_values(*text);
  auto value = [&config](const std::string& key) {
    const auto it = config.find(key);
    return it == config.end() ? std::string() : it->second;
  };
  if (const auto text = read_text(root / "seed.txt")) d.seed = trim(*text);
  if (d.seed.empty()) d.seed = value("seed");
  d.backend = value("backend");
  if (const auto text = read_text(root / "run.json")) {
    if (auto v = json_field(*text, "config")) d.config = *v;
    if (auto v = json_field(*text, "backend")) d.backend = *v;
  }
  if (!value("search_tasks.type").empty())
    d.tasks = value("search_tasks.num_tasks") + " " + value("search_tasks.type") + " task" +
              (value("search_tasks.num_tasks") == "1" ? "" : "s") + ", F=" + value("search_tasks.features");
  if (!value("evolution.search").empty()) {
    d.search = value("evolution.search") + ", P=" + value("evolution.population_size");
    if (value("evolution.search") == "evolution") d.search += ", T=" + value("evolution.tournament_size");
  }
  if (const auto text = read_text(root / "summary.json")) {
    if (auto v = json_field(*text, "backend")) d.backend = *v;
    const auto final_fitness = json_field(*text, "final_fitness");
    const auto select = json_field(*text, "best_select_fitness");
    const auto success = json_field(*text, "success");
    const auto experiments = json_field(*text, "experiments");
    std::string outcome;
    if (experiments) outcome = *experiments + " experiment" + (*experiments == "1" ? "" : "s") + "; ";
    // Enough digits to tell 0.99999989 from 1.
    auto shown = [](double f) { return fixed(f, f > 0.999 && f < 1 ? 8 : 6); };
    if (final_fitness && *final_fitness != "null" && number(*final_fitness))
      outcome += "final fitness " + shown(*number(*final_fitness));
    else if (select && number(*select))
      outcome += "select fitness " + shown(*number(*select));
    if (success && *success == "true") outcome += " (success)";
    d.outcome = outcome;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------------
// Drawing

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out.push_back(c);
    }
  }
  return out;
}

std::string num(double v) {  // coordinates: one decimal is finer than a pixel
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them from lo to hi (the axis is stretched to the last).
struct Ticks {
  double lo, hi, step;
};
Ticks nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  const double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step};
}

std::string count_label(double v) {  // 0, 500, 20k, 1.5M
  auto trimmed = [](double x, const char* unit) {
    std::string s = fixed(x, 2);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (std::abs(v) >= 1e9) return trimmed(v / 1e9, "G");
  if (std::abs(v) >= 1e6) return trimmed(v / 1e6, "M");
  if (std::abs(v) >= 1e3) return trimmed(v / 1e3, "k");
  return trimmed(v, "");
}

struct TimeUnit {
  double seconds;
  const char* name;
};
TimeUnit time_unit(double max_seconds) {
  if (max_seconds < 180) return {1, "s"};
  if (max_seconds < 3 * 3600) return {60, "min"};
  return {3600, "h"};
}

constexpr double kWidth = 960, kHeight = 770, kLeft = 72, kRight = 28, kPanelHeight = 250;
constexpr double kPanelTop[2] = {128, 458};
constexpr const char* kBestColour = "#1f5fa8";
constexpr const char* kMeanColour = "#e8862a";
constexpr const char* kBoundaryColour = "#888888";

struct Panel {
  double top;
  Ticks x, y;
  double x_scale = 1;  // data units per axis unit (time: seconds per minute...)
  double px(double v) const { return kLeft + (kWidth - kLeft - kRight) * (v / x_scale - x.lo) / (x.hi - x.lo); }
  double py(double v) const { return top + kPanelHeight * (1.0 - (v - y.lo) / (y.hi - y.lo)); }
};

void draw_axes(std::ostringstream& svg, const Panel& p, const std::string& caption, const std::string& x_label,
               bool counts) {
  const double bottom = p.top + kPanelHeight, right = kWidth - kRight;
  svg << "<g class=\"axes\">\n";
  svg << "<text x=\"" << num(kLeft) << "\" y=\"" << num(p.top - 10) << "\" font-size=\"13\" font-weight=\"bold\">"
      << xml_escape(caption) << "</text>\n";
  for (double v = p.y.lo; v <= p.y.hi + p.y.step * 1e-6; v += p.y.step) {
    const double y = p.py(v);
    svg << "<line x1=\"" << num(kLeft) << "\" x2=\"" << num(right) << "\" y1=\"" << num(y) << "\" y2=\"" << num(y)
        << "\" stroke=\"#e4e4e4\"/>"
        << "<line x1=\"" << num(kLeft - 5) << "\" x2=\"" << num(kLeft) << "\" y1=\"" << num(y) << "\" y2=\"" << num(y)
        << "\" stroke=\"#333\"/>"
        << "<text x=\"" << num(kLeft - 8) << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\">"
        << fixed(v, p.y.step < 0.01  ? 3
                    : p.y.step < 0.1 ? 2
                                     : 1)
        << "</text>\n";
  }
  // Times get the decimals their step needs (0.005 s -> 3); counts are 20k, 1.5M.
  const int decimals = p.x.step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(p.x.step) - 1e-9));
  for (double v = p.x.lo; v <= p.x.hi + p.x.step * 1e-6; v += p.x.step) {
    const double x = p.px(v * p.x_scale);
    svg << "<line x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(bottom) << "\" y2=\"" << num(bottom + 5)
        << "\" stroke=\"#333\"/>"
        << "<text x=\"" << num(x) << "\" y=\"" << num(bottom + 19) << "\" text-anchor=\"middle\">"
        << xml_escape(counts ? count_label(v) : fixed(v, decimals)) << "</text>\n";
  }
  svg << "<line x1=\"" << num(kLeft) << "\" x2=\"" << num(kLeft) << "\" y1=\"" << num(p.top) << "\" y2=\""
      << num(bottom) << "\" stroke=\"#333\"/>\n"
      << "<line x1=\"" << num(kLeft) << "\" x2=\"" << num(right) << "\" y1=\"" << num(bottom) << "\" y2=\""
      << num(bottom) << "\" stroke=\"#333\"/>\n"
      << "<text x=\"" << num((kLeft + right) / 2) << "\" y=\"" << num(bottom + 38)
      << "\" text-anchor=\"middle\" font-size=\"13\">" << xml_escape(x_label) << "</text>\n"
      << "<text transform=\"translate(" << num(kLeft - 48) << "," << num(p.top + kPanelHeight / 2)
      << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">fitness</text>\n";
  svg << "</g>\n";
}

// One panel's data: per experiment a mean polyline and a best step path, dots where the best improved, labels on
// the largest improvements, dashed lines where experiments begin.
void draw_series(std::ostringstream& svg, const Panel& p, const RunData& d, bool by_time) {
  auto x_of = [by_time](const auto& point) { return by_time ? point.seconds : point.individuals; };
  const double bottom = p.top + kPanelHeight;
  svg << "<g class=\"experiments\">\n";
  double last_label_x = -1e9;
  for (size_t k = 1; k < d.experiments.size(); ++k) {
    const double x = p.px(by_time ? d.experiments[k].start_seconds : d.experiments[k].start_individuals);
    svg << "<line x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(p.top) << "\" y2=\"" << num(bottom)
        << "\" stroke=\"" << kBoundaryColour << "\" stroke-dasharray=\"4 3\"/>\n";
    if (x - last_label_x > 64) {
      svg << "<text x=\"" << num(x + 3) << "\" y=\"" << num(bottom - 5) << "\" font-size=\"10\" fill=\"#666\">"
          << "experiment " << d.experiments[k].experiment << "</text>\n";
      last_label_x = x;
    }
  }
  svg << "</g>\n";

  std::map<int, std::vector<const ProgressPoint*>> progress;
  std::map<int, std::vector<const BestChange*>> changes;
  for (const ProgressPoint& q : d.progress) progress[q.experiment].push_back(&q);
  for (const BestChange& c : d.best_changes) changes[c.experiment].push_back(&c);

  svg << "<g class=\"series mean\">\n";
  for (const auto& [experiment, points] : progress) {
    svg << "<polyline fill=\"none\" stroke=\"" << kMeanColour << "\" stroke-width=\"1.5\" points=\"";
    for (const ProgressPoint* q : points) svg << num(p.px(x_of(*q))) << "," << num(p.py(q->mean)) << " ";
    svg << "\"/>\n";
  }
  svg << "</g>\n<g class=\"series best\">\n";
  std::map<int, bool> experiments;
  for (const auto& e : progress) experiments[e.first] = true;
  for (const auto& e : changes) experiments[e.first] = true;
  for (const auto& [experiment, unused] : experiments) {
    // The population's best: a step each time it changes, from the progress rows and the recorded improvements.
    std::vector<std::pair<double, double>> steps;
    for (const ProgressPoint* q : progress[experiment]) steps.emplace_back(x_of(*q), q->best);
    for (const BestChange* c : changes[experiment]) steps.emplace_back(x_of(*c), c->fitness);
    std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (steps.empty()) continue;
    svg << "<path fill=\"none\" stroke=\"" << kBestColour << "\" stroke-width=\"2\" d=\"M" << num(p.px(steps[0].first))
        << " " << num(p.py(steps[0].second));
    for (size_t i = 1; i < steps.size(); ++i)
      svg << " H" << num(p.px(steps[i].first)) << " V" << num(p.py(steps[i].second));
    svg << "\"/>\n";
  }
  svg << "</g>\n";

  // Improvements: a dot where the best rose by a visible step (2 % of the fitness axis, or the first best of an
  // experiment); labels on the largest steps that came with a new size, at most eight, placed where they overlap
  // nothing already placed.
  svg << "<g class=\"improvements\">\n";
  const double visible = 0.02 * (p.y.hi - p.y.lo);
  std::vector<std::pair<double, const BestChange*>> gains;
  for (const auto& [experiment, list] : changes) {
    double shown = -1;  // fitness of the last dot drawn
    for (size_t i = 0; i < list.size(); ++i) {
      const BestChange& c = *list[i];
      if (shown >= 0 && c.fitness - shown < visible) continue;
      svg << "<circle cx=\"" << num(p.px(x_of(c))) << "\" cy=\"" << num(p.py(c.fitness)) << "\" r=\"3\" fill=\""
          << kBestColour << "\" stroke=\"white\" stroke-width=\"1\"/>\n";
      const bool new_size = i == 0 || c.live_instructions != list[i - 1]->live_instructions ||
                            c.instructions != list[i - 1]->instructions;
      // An experiment's first best is its initial population's: labelled only if nothing else is.
      if (new_size) gains.emplace_back(shown < 0 ? 0.0 : c.fitness - shown, &c);
      shown = c.fitness;
    }
  }
  std::stable_sort(gains.begin(), gains.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (gains.size() > 8) gains.resize(8);
  std::sort(gains.begin(), gains.end(),
            [&](const auto& a, const auto& b) { return x_of(*a.second) < x_of(*b.second); });
  struct Box {
    double left, right, baseline;
  };
  std::vector<Box> placed;
  for (const auto& [gain, c] : gains) {
    const std::string text = std::to_string(c->live_instructions) + " live / " + std::to_string(c->instructions);
    const double x = p.px(x_of(*c)), y0 = p.py(c->fitness), width = 6.0 * static_cast<double>(text.size());
    const bool flip = x + 7 + width > kWidth - kRight;  // near the right edge: the label ends at the point
    const double left = flip ? x - 7 - width : x + 7, right = left + width;
    auto free = [&](double baseline) {
      if (baseline - 10 < p.top || baseline > bottom - 14) return false;
      for (const Box& b : placed)
        if (left < b.right + 3 && b.left < right + 3 && std::abs(b.baseline - baseline) < 13) return false;
      return true;
    };
    double baseline = -1;
    for (double offset : {-6.0, 14.0, -19.0, 27.0, -32.0, 40.0, -45.0, 53.0})
      if (free(y0 + offset)) {
        baseline = y0 + offset;
        break;
      }
    if (baseline < 0) continue;  // no room: the dot stays unlabelled
    placed.push_back({left, right, baseline});
    // A white outline under the letters keeps them readable where they cross a line.
    svg << "<text x=\"" << num(flip ? x - 7 : x + 7) << "\" y=\"" << num(baseline) << "\" font-size=\"10.5\" fill=\""
        << kBestColour << "\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\""
        << (flip ? " text-anchor=\"end\"" : "") << ">" << xml_escape(text) << "</text>\n";
  }
  svg << "</g>\n";
}

}  // namespace

std::string render_progress_svg(const RunData& d) {
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(kWidth) << "\" height=\"" << num(kHeight)
      << "\" viewBox=\"0 0 " << num(kWidth) << " " << num(kHeight)
      << "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\" fill=\"#222\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";

  // Title: what ran (config, seed, backend), then the search and its outcome.
  std::string title = "amlz search";
  if (!d.config.empty()) title += ": " + fs::path(d.config).filename().string();
  if (!d.seed.empty()) title += ", seed " + d.seed;
  std::string subtitle = d.backend.empty() ? "" : "backend " + d.backend;
  for (const std::string& part : {d.tasks, d.search})
    if (!part.empty()) subtitle += (subtitle.empty() ? "" : "  ·  ") + part;
  std::string progress_line = d.outcome;
  if (!d.progress.empty()) {
    const ProgressPoint& last = d.progress.back();
    progress_line += (progress_line.empty() ? "" : "  ·  ") + count_label(last.individuals) + " individuals in " +
                     fixed(last.seconds, last.seconds < 1     ? 3
                                         : last.seconds < 100 ? 1
                                                              : 0) +
                     " s" + (d.outcome.empty() ? " so far" : "");
  }
  svg << "<title>" << xml_escape(title + (subtitle.empty() ? "" : " (" + subtitle + ")")) << "</title>\n"
      << "<text x=\"" << num(kLeft) << "\" y=\"28\" font-size=\"17\" font-weight=\"bold\">" << xml_escape(title)
      << "</text>\n"
      << "<text x=\"" << num(kLeft) << "\" y=\"48\" font-size=\"12\" fill=\"#444\">" << xml_escape(subtitle)
      << "</text>\n"
      << "<text x=\"" << num(kLeft) << "\" y=\"65\" font-size=\"12\" fill=\"#444\">" << xml_escape(progress_line)
      << "</text>\n";
  // Legend.
  svg << "<g class=\"legend\" font-size=\"11\">\n"
      << "<line x1=\"" << num(kLeft) << "\" x2=\"" << num(kLeft + 24) << "\" y1=\"86\" y2=\"86\" stroke=\""
      << kBestColour << "\" stroke-width=\"2\"/><text x=\"" << num(kLeft + 30) << "\" y=\"90\">best fitness</text>\n"
      << "<line x1=\"" << num(kLeft + 120) << "\" x2=\"" << num(kLeft + 144) << "\" y1=\"86\" y2=\"86\" stroke=\""
      << kMeanColour << "\" stroke-width=\"1.5\"/><text x=\"" << num(kLeft + 150)
      << "\" y=\"90\">mean fitness of the population</text>\n"
      << "<circle cx=\"" << num(kLeft + 352) << "\" cy=\"86\" r=\"3\" fill=\"" << kBestColour << "\"/><text x=\""
      << num(kLeft + 360) << "\" y=\"90\">new best; labels: live / all instructions of the new best</text>\n"
      << "<line x1=\"" << num(kLeft + 700) << "\" x2=\"" << num(kLeft + 700) << "\" y1=\"78\" y2=\"94\" stroke=\""
      << kBoundaryColour << "\" stroke-dasharray=\"4 3\"/><text x=\"" << num(kLeft + 706)
      << "\" y=\"90\">experiment starts</text>\n"
      << "</g>\n";

  // Shared fitness range: from just below the lowest value to just above the highest, within [0, 1].
  double lo = 1, hi = 0, max_individuals = 0, max_seconds = 0;
  auto extend = [&](double f, double individuals, double seconds) {
    lo = std::min(lo, f);
    hi = std::max(hi, f);
    max_individuals = std::max(max_individuals, individuals);
    max_seconds = std::max(max_seconds, seconds);
  };
  for (const ProgressPoint& q : d.progress) {
    extend(q.best, q.individuals, q.seconds);
    extend(q.mean, q.individuals, q.seconds);
  }
  for (const BestChange& c : d.best_changes) extend(c.fitness, c.individuals, c.seconds);
  if (lo > hi) lo = 0, hi = 1;
  lo = std::max(0.0, std::floor((lo - 0.02) * 10) / 10);
  hi = std::min(1.0, std::ceil((hi + 1e-9) * 10) / 10);
  if (hi - lo < 0.1) lo = std::max(0.0, hi - 0.1);
  const Ticks y = nice_ticks(lo, hi, 5);

  const TimeUnit unit = time_unit(max_seconds);
  const Panel by_individuals{kPanelTop[0], nice_ticks(0, std::max(1.0, max_individuals), 8), y, 1};
  const Panel by_time{kPanelTop[1], nice_ticks(0, std::max(1e-3, max_seconds / unit.seconds), 8), y, unit.seconds};
  draw_axes(svg, by_individuals, "Fitness against individuals evaluated", "individuals (all experiments)", true);
  draw_axes(svg, by_time, "Fitness against time", std::string("time since the run started (") + unit.name + ")", false);
  if (d.progress.empty() && d.best_changes.empty())
    svg << "<text x=\"" << num(kWidth / 2) << "\" y=\"" << num(kPanelTop[0] + kPanelHeight / 2)
        << "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888\">no progress yet</text>\n";
  draw_series(svg, by_individuals, d, false);
  draw_series(svg, by_time, d, true);
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace amlz::cli
