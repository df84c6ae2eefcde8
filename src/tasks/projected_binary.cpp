// SPDX-License-Identifier: Apache-2.0
// Each random choice has its own Philox stream keyed by (seed, tag), so changing one (say, the number of training
// examples) never changes another (the projection).
#include "amlz/tasks/projected_binary.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "amlz/core/philox.h"
#include "amlz/error.h"
#include "amlz/tasks/task_seeds.h"

namespace amlz {
namespace {

constexpr uint32_t kPairTag = 856572777u;  // the original's constant for drawing a task's pair (spec §5.3)
constexpr uint32_t kSplitTag = 611953043u;
constexpr uint32_t kTestTag = 297141577u;
constexpr uint32_t kProjectionTag = 402371911u;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

bool parse_class(const std::string& s, int* out) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  *out = std::stoi(s);
  return true;
}

std::string pair_text(ClassPair p) { return std::to_string(p.positive) + "-" + std::to_string(p.negative); }

bool same_classes(ClassPair a, ClassPair b) { return a == b || (a.positive == b.negative && a.negative == b.positive); }

void shuffle(std::vector<uint32_t>& v, PhiloxStream& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.uniform_below(static_cast<uint32_t>(i))]);
}

// The indices of `split`'s examples of the task's classes, in data order.
std::vector<uint32_t> class_examples(const Split& split, const std::vector<int>& classes) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < split.y.size(); ++i)
    if (std::find(classes.begin(), classes.end(), split.y[i]) != classes.end()) out.push_back(static_cast<uint32_t>(i));
  return out;
}

// "pair 4-6" for a binary task's classes, "classes 0-9" for a multiclass task's 0..K-1.
std::string classes_text(const std::vector<int>& classes, bool multiclass) {
  if (multiclass) return "classes 0-" + std::to_string(classes.size() - 1);
  return "pair " + std::to_string(classes[0]) + "-" + std::to_string(classes[1]);
}

// out[r][f] = sum_d x[rows[r]][d] * p[d][f], in double, over the non-zero features only (most MNIST pixels are 0).
// The sum runs over d in order for every f, so the result does not depend on how the compiler vectorises f.
template <int F, class T>
void project_rows(const T* x, size_t dim, const std::vector<uint32_t>& rows, const std::vector<double>& p,
                  std::vector<double>& out) {
  out.assign(rows.size() * F, 0.0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const T* row = x + static_cast<size_t>(rows[r]) * dim;
    double acc[F] = {};
    for (size_t d = 0; d < dim; ++d) {
      const double v = static_cast<double>(row[d]);
      if (v == 0.0) continue;
      const double* pd = &p[d * F];
      for (int f = 0; f < F; ++f) acc[f] += v * pd[f];
    }
    std::copy(acc, acc + F, &out[r * F]);
  }
}

template <class T>
void project_rows(int features, const T* x, size_t dim, const std::vector<uint32_t>& rows, const std::vector<double>& p,
                  std::vector<double>& out) {
  switch (features) {
    case 2: return project_rows<2>(x, dim, rows, p, out);
    case 4: return project_rows<4>(x, dim, rows, p, out);
    case 8: return project_rows<8>(x, dim, rows, p, out);
    case 16: return project_rows<16>(x, dim, rows, p, out);
    case 32: return project_rows<32>(x, dim, rows, p, out);
    default: AMLZ_CHECK(false, "unsupported feature size reached the projection");
  }
}

void project_split(int features, const Split& s, size_t dim, const std::vector<uint32_t>& rows,
                   const std::vector<double>& p, std::vector<double>& out) {
  if (s.is_bytes())
    project_rows(features, s.x_u8.data(), dim, rows, p, out);
  else
    project_rows(features, s.x_f32.data(), dim, rows, p, out);
}

// Binary: 1 for the first class (the positive one), 0 for the second. Multiclass: a one-hot row of F floats per
// example, the 1 at the class's position in the list.
std::vector<float> labels_of(const Split& s, const std::vector<uint32_t>& rows, const std::vector<int>& classes,
                             bool multiclass, int features) {
  if (!multiclass) {
    std::vector<float> y(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) y[i] = s.y[rows[i]] == classes[0] ? 1.0f : 0.0f;
    return y;
  }
  const size_t f = static_cast<size_t>(features);
  std::vector<float> y(rows.size() * f, 0.0f);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto at = std::find(classes.begin(), classes.end(), s.y[rows[i]]) - classes.begin();
    y[i * f + static_cast<size_t>(at)] = 1.0f;
  }
  return y;
}

}  // namespace

std::vector<ClassPair> parse_class_pairs(const std::string& text, const std::string& key) {
  std::vector<ClassPair> out;
  if (trim(text).empty()) return out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    const size_t dash = item.find('-');
    ClassPair p;
    if (dash == std::string::npos || !parse_class(trim(item.substr(0, dash)), &p.positive) ||
        !parse_class(trim(item.substr(dash + 1)), &p.negative))
      throw ConfigError(key, "'" + printable(item) + "' is not a class pair such as 4-6 (a list: \"4-6, 3-5\")");
    if (p.positive == p.negative) throw ConfigError(key, "pair " + item + " names one class twice");
    out.push_back(p);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::vector<ClassPair> search_pairs(int num_classes, const std::vector<ClassPair>& held_out) {
  std::vector<ClassPair> out;
  for (int i = 0; i < num_classes; ++i)
    for (int j = i + 1; j < num_classes; ++j) {
      const ClassPair p{i, j};
      if (std::none_of(held_out.begin(), held_out.end(), [&](ClassPair h) { return same_classes(h, p); }))
        out.push_back(p);
    }
  return out;
}

std::vector<ProjectedTaskPlan> plan_projected_tasks(const TaskSpec& spec) {
  AMLZ_CHECK(!spec.datasets.empty(), "a projected_binary spec without datasets passed validation");
  const bool multiclass = spec.type == TaskType::ProjectedMulticlass;  // no pairs: the pair keys do not apply
  const std::vector<ClassPair> held_out =
      multiclass ? std::vector<ClassPair>{} : parse_class_pairs(spec.held_out_pairs, "held_out_pairs");
  const bool draw = spec.pairs == "search", cycle_held_out = spec.pairs == "held_out";
  const std::vector<ClassPair> listed =
      multiclass || draw || cycle_held_out ? held_out : parse_class_pairs(spec.pairs, "pairs");
  std::vector<ProjectedTaskPlan> plans;
  for (int i = 0; i < spec.num_tasks; ++i) {
    const size_t k = static_cast<size_t>(i) % spec.datasets.size();
    ProjectedTaskPlan plan;
    plan.multiclass = multiclass;
    plan.source.kind = spec.datasets[k];
    plan.source.dir = spec.data_dirs.empty() ? "" : spec.data_dirs[k];
    plan.source.label_column = spec.label_column;
    plan.param_seed = task_param_seed(spec, i);
    plan.data_seed = task_data_seed(spec, i);
    const std::optional<int> known = known_num_classes(plan.source.kind);
    const int num_classes = known ? *known : shared_dataset(plan.source)->num_classes;
    const std::string dataset = enum_name(plan.source.kind);
    if (multiclass) {
      if (spec.classes > num_classes)
        throw ConfigError("classes", std::to_string(spec.classes) + " classes asked for, but " + dataset + " has " +
                                         std::to_string(num_classes));
      for (int c = 0; c < spec.classes; ++c) plan.classes.push_back(c);
      plans.push_back(plan);
      continue;
    }
    if (draw) {
      const std::vector<ClassPair> eligible = search_pairs(num_classes, held_out);
      if (eligible.empty())
        throw ConfigError("held_out_pairs", "holds out every pair of " + dataset + "'s " + std::to_string(num_classes) +
                                                " classes, so pairs = \"search\" has none to draw");
      PhiloxStream rng(plan.data_seed, kPairTag);
      plan.pair = eligible[rng.uniform_below(static_cast<uint32_t>(eligible.size()))];
    } else {
      if (listed.empty()) throw ConfigError("pairs", "\"held_out\" needs a non-empty held_out_pairs");
      plan.pair = listed[static_cast<size_t>(i) % listed.size()];
    }
    for (int c : {plan.pair.positive, plan.pair.negative})
      if (c >= num_classes)
        throw ConfigError(cycle_held_out ? "held_out_pairs" : "pairs",
                          "class " + std::to_string(c) + " does not exist: " + dataset + " has classes 0-" +
                              std::to_string(num_classes - 1));
    plans.push_back(plan);
  }
  return plans;
}

ExampleSelection select_examples(const Dataset& d, ClassPair pair, uint32_t data_seed, int num_train, int num_valid,
                                 DataSplit split) {
  return select_class_examples(d, {pair.positive, pair.negative}, data_seed, num_train, num_valid, split);
}

ExampleSelection select_class_examples(const Dataset& d, const std::vector<int>& classes, uint32_t data_seed,
                                       int num_train, int num_valid, DataSplit split) {
  const std::string what = d.name + " " + classes_text(classes, classes.size() != 2);
  std::vector<uint32_t> pool = class_examples(d.train, classes);
  for (int c : classes)
    if (std::none_of(pool.begin(), pool.end(), [&](uint32_t i) { return d.train.y[i] == c; }))
      throw Error(what + ": class " + std::to_string(c) + " has no training examples");
  const size_t nt = static_cast<size_t>(num_train), nv = static_cast<size_t>(num_valid);
  const bool test = split == DataSplit::Test;
  const size_t need = test ? nt : nt + nv;
  if (pool.size() < need)
    throw Error(what + ": " + std::to_string(pool.size()) + " training examples, fewer than " +
                (test ? "num_train = " + std::to_string(nt)
                      : "num_train + num_valid = " + std::to_string(nt) + " + " + std::to_string(nv)));
  PhiloxStream rng(data_seed, kSplitTag);
  shuffle(pool, rng);
  ExampleSelection sel;
  sel.train.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(nt));
  if (!test) {
    sel.valid.assign(pool.begin() + static_cast<std::ptrdiff_t>(nt), pool.begin() + static_cast<std::ptrdiff_t>(need));
    return sel;
  }
  std::vector<uint32_t> test_pool = class_examples(d.test, classes);
  if (test_pool.size() < nv)
    throw Error(what + ": " + std::to_string(test_pool.size()) + " test examples, fewer than num_valid = " +
                std::to_string(nv) + " (split = \"test\" validates on the test split)");
  PhiloxStream test_rng(data_seed, kTestTag);
  shuffle(test_pool, test_rng);
  sel.valid.assign(test_pool.begin(), test_pool.begin() + static_cast<std::ptrdiff_t>(nv));
  return sel;
}

ProjectedData project_task(const Dataset& d, const ProjectedTaskPlan& plan, int features, int num_train, int num_valid,
                           DataSplit split) {
  const std::vector<int> classes =
      plan.multiclass ? plan.classes : std::vector<int>{plan.pair.positive, plan.pair.negative};
  const ExampleSelection sel = select_class_examples(d, classes, plan.data_seed, num_train, num_valid, split);
  const size_t dim = static_cast<size_t>(d.dim), f = static_cast<size_t>(features);
  // The projection matrix, dim x F, row by row: N(0,1) entries (the original's numpy randn(dim, 16)).
  std::vector<double> p(dim * f);
  PhiloxStream rng(plan.param_seed, kProjectionTag);
  for (double& v : p) v = rng.gaussian();

  const Split& valid_split = split == DataSplit::Test ? d.test : d.train;
  std::vector<double> train, valid;
  project_split(features, d.train, dim, sel.train, p, train);
  project_split(features, valid_split, dim, sel.valid, p, valid);

  // Standardise with the training examples' statistics (two passes, population st.dev.); a constant feature
  // (possible only for degenerate data) is centred and left unscaled rather than divided by 0.
  std::vector<double> mean(f, 0.0), scale(f, 1.0);
  const size_t nt = sel.train.size();
  for (size_t r = 0; r < nt; ++r)
    for (size_t j = 0; j < f; ++j) mean[j] += train[r * f + j];
  for (double& m : mean) m /= static_cast<double>(nt);
  std::vector<double> var(f, 0.0);
  for (size_t r = 0; r < nt; ++r)
    for (size_t j = 0; j < f; ++j) var[j] += (train[r * f + j] - mean[j]) * (train[r * f + j] - mean[j]);
  for (size_t j = 0; j < f; ++j) {
    const double sd = std::sqrt(var[j] / static_cast<double>(nt));
    if (sd > 0 && std::isfinite(sd)) scale[j] = 1.0 / sd;
  }
  auto standardise = [&](const std::vector<double>& in) {
    std::vector<float> out(in.size());
    for (size_t i = 0; i < in.size(); ++i) out[i] = static_cast<float>((in[i] - mean[i % f]) * scale[i % f]);
    return out;
  };
  ProjectedData data;
  data.train_x = standardise(train);
  data.valid_x = standardise(valid);
  data.train_y = labels_of(d.train, sel.train, classes, plan.multiclass, features);
  data.valid_y = labels_of(valid_split, sel.valid, classes, plan.multiclass, features);
  return data;
}

std::vector<ProjectedData> make_projected_tasks(const TaskSpec& spec, ProjectionStats* stats) {
  ProjectionStats local;
  ProjectionStats& st = stats ? *stats : local;
  const std::vector<ProjectedTaskPlan> plans = plan_projected_tasks(spec);
  const std::string cache_dir = resolved_cache_dir(spec.cache_dir);
  std::vector<ProjectedData> out(plans.size());
  std::vector<TaskCacheKey> keys(plans.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < plans.size(); ++i) {
    const ProjectedTaskPlan& p = plans[i];
    TaskCacheKey& k = keys[i];
    k.dataset = p.source.kind;
    k.source_fingerprint = data_source_fingerprint(p.source);
    k.positive = p.multiclass ? 0 : p.pair.positive;
    k.negative = p.multiclass ? 0 : p.pair.negative;
    k.classes = p.multiclass ? static_cast<int>(p.classes.size()) : 0;
    k.features = spec.features;
    k.num_train = spec.num_train;
    k.num_valid = spec.num_valid;
    k.param_seed = p.param_seed;
    k.data_seed = p.data_seed;
    k.split = spec.split;
    if (!cache_dir.empty()) {
      const CacheRead r = read_cached_task(cache_file_path(cache_dir, k), k, &out[i]);
      if (r == CacheRead::Hit) {
        ++st.cache_hits;
        continue;
      }
      if (r == CacheRead::Invalid) ++st.rebuilt_invalid;
    }
    todo.push_back(i);
  }
  if (todo.empty()) return out;

  // Decode each dataset once, before the workers start, so the load time is measured on its own.
  auto start = Clock::now();
  std::vector<std::shared_ptr<const Dataset>> data(plans.size());
  for (size_t i : todo) data[i] = shared_dataset(plans[i].source);
  st.load_seconds += seconds_since(start);

  start = Clock::now();
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (size_t t; (t = next++) < todo.size();) {
      const size_t i = todo[t];
      try {
        out[i] = project_task(*data[i], plans[i], spec.features, spec.num_train, spec.num_valid, spec.split);
        if (!cache_dir.empty()) write_cached_task(cache_file_path(cache_dir, keys[i]), keys[i], out[i]);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  const size_t threads = std::min<size_t>(todo.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  st.built += static_cast<int>(todo.size());
  st.project_seconds += seconds_since(start);
  return out;
}

void validate_projected(const TaskSpec& spec, const std::string& where) {
  auto fail = [&](const std::string& key, const std::string& what) { throw ConfigError(where + "." + key, what); };
  const bool multiclass = spec.type == TaskType::ProjectedMulticlass;
  if (spec.eval != EvalType::Accuracy)
    fail("eval", multiclass ? "projected_multiclass tasks have one-hot labels and are scored by eval = \"accuracy\""
                            : "projected_binary tasks have 1/0 labels and are scored by eval = \"accuracy\"");
  if (multiclass && (spec.classes < 2 || spec.classes > spec.features))
    fail("classes", "must lie in [2, features] (got " + std::to_string(spec.classes) +
                        " with features = " + std::to_string(spec.features) +
                        "): labels and predictions are vectors of F elements, one "
                        "per class");
  if (spec.datasets.empty()) fail("dataset", "names no dataset (" + enum_choices<DatasetKind>() + ")");
  if (!spec.data_dirs.empty() && spec.data_dirs.size() != spec.datasets.size())
    fail("data_dir", "has " + std::to_string(spec.data_dirs.size()) + " entries for " +
                         std::to_string(spec.datasets.size()) +
                         " datasets: give one per dataset (\"\" for a dataset's default directory)");
  if (multiclass) {  // pairs do not apply
    for (size_t k = 0; k < spec.datasets.size(); ++k) {
      DataSource source;
      source.kind = spec.datasets[k];
      source.dir = spec.data_dirs.empty() ? "" : spec.data_dirs[k];
      if (auto problem = data_source_problem(source)) fail("data_dir", *problem);
      const std::optional<int> classes = known_num_classes(source.kind);
      if (classes && spec.classes > *classes)  // users' data: checked when read
        fail("classes", std::to_string(spec.classes) + " classes asked for, but " + enum_name(source.kind) + " has " +
                            std::to_string(*classes));
    }
    return;
  }
  const std::vector<ClassPair> held_out = parse_class_pairs(spec.held_out_pairs, where + ".held_out_pairs");
  std::vector<ClassPair> listed;
  if (spec.pairs == "held_out") {
    if (held_out.empty()) fail("pairs", "is \"held_out\" but held_out_pairs is empty");
    listed = held_out;
  } else if (spec.pairs != "search") {
    listed = parse_class_pairs(spec.pairs, where + ".pairs");
    if (listed.empty()) fail("pairs", "must be \"search\", \"held_out\" or a list of class pairs such as \"4-6, 3-5\"");
  }
  for (size_t k = 0; k < spec.datasets.size(); ++k) {
    DataSource source;
    source.kind = spec.datasets[k];
    source.dir = spec.data_dirs.empty() ? "" : spec.data_dirs[k];
    if (auto problem = data_source_problem(source)) fail("data_dir", *problem);
    const std::optional<int> classes = known_num_classes(source.kind);
    if (!classes) continue;  // users' data: checked when read
    for (const ClassPair& p : held_out)
      if (std::max(p.positive, p.negative) >= *classes)
        fail("held_out_pairs",
             "pair " + pair_text(p) + ": " + enum_name(source.kind) + " has classes 0-" + std::to_string(*classes - 1));
    for (const ClassPair& p : listed)
      if (std::max(p.positive, p.negative) >= *classes)
        fail("pairs",
             "pair " + pair_text(p) + ": " + enum_name(source.kind) + " has classes 0-" + std::to_string(*classes - 1));
    if (spec.pairs == "search" && search_pairs(*classes, held_out).empty())
      fail("held_out_pairs", "holds out every pair, so pairs = \"search\" has none to draw");
  }
}

}  // namespace amlz
