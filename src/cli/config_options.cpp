// SPDX-License-Identifier: Apache-2.0
// One list of config keys (visit_config) drives both the CLI11 binding and the TOML writer.
#include "cli/config_options.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <sstream>

#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"
#include "cli/toml_reader.h"
#include "cli/value_parse.h"

namespace amlz::cli {
namespace {

// The formatter mangles lambdas inside macro bodies.
// clang-format off
// The keys of one task section. The copy functions let select/final inherit what they do not set.
#define AMLZ_TASK_COPY(member) \
  v.task_copy(section, [](const TaskSpec& from, TaskSpec& to) { to.member = from.member; })
#define AMLZ_TASK_KEY(key, help, member)                                         \
  v.value(section, key, help, [acc](Config& c) -> auto& { return acc(c).member; }); \
  AMLZ_TASK_COPY(member)
#define AMLZ_TASK_CHOICE(key, help, member)                                        \
  v.choice(section, key, help, [acc](Config& c) -> auto& { return acc(c).member; }); \
  AMLZ_TASK_COPY(member)

// clang-format on

template <class V, class Acc>
void visit_task_spec(V& v, const std::string& section, Acc acc) {
  AMLZ_TASK_CHOICE("type", "task type", type);
  AMLZ_TASK_KEY("features", "feature size F: 2, 4, 8, 16 or 32", features);
  AMLZ_TASK_KEY("num_tasks", "number of tasks", num_tasks);
  AMLZ_TASK_KEY("num_train", "training examples per epoch", num_train);
  AMLZ_TASK_KEY("num_epochs", "training epochs", num_epochs);
  AMLZ_TASK_KEY("num_valid", "validation examples", num_valid);
  AMLZ_TASK_CHOICE("eval", "scoring: rms for regression, accuracy for 0/1 labels", eval);
  AMLZ_TASK_KEY("param_seeds", "seeds of the task parameters (default: the original's list)", param_seeds);
  AMLZ_TASK_KEY("data_seeds", "seeds of the task data (default: the original's list)", data_seeds);
  AMLZ_TASK_KEY("increment", "unit_increment: step between examples", increment);
  AMLZ_TASK_KEY("train_features", "unit_fixed: F values per training example", train_features);
  AMLZ_TASK_KEY("train_labels", "unit_fixed: one label per training example", train_labels);
  AMLZ_TASK_KEY("valid_features", "unit_fixed: F values per validation example", valid_features);
  AMLZ_TASK_KEY("valid_labels", "unit_fixed: one label per validation example", valid_labels);
  v.named_list(
      section, "dataset", "projected_binary/_multiclass: dataset(s); task i uses entry i mod count",
      [acc](Config & c) -> auto& { return acc(c).datasets; }, &enum_name<DatasetKind>, &enum_from_name<DatasetKind>,
      "dataset", "(" + enum_choices<DatasetKind>() + ")");
  AMLZ_TASK_COPY(datasets);
  AMLZ_TASK_KEY("data_dir", "projected_binary/_multiclass: one folder per dataset (\"\": its default)", data_dirs);
  AMLZ_TASK_KEY("pairs", "projected_binary: \"search\", \"held_out\" or class pairs \"4-6, 3-5\"", pairs);
  AMLZ_TASK_KEY("held_out_pairs", "projected_binary: pairs \"search\" never draws", held_out_pairs);
  AMLZ_TASK_CHOICE("split", "projected_binary/_multiclass: validate on held-out training examples or the test split",
                   split);
  AMLZ_TASK_KEY("label_column", "projected_*, csv: label column name or index (\"\": the last)", label_column);
  AMLZ_TASK_KEY("cache_dir",
                "projected_binary/_multiclass: prepared-task cache (\"\": AMLZ_CACHE_DIR or ~/.cache/amlz; off)",
                cache_dir);
  AMLZ_TASK_KEY("classes", "projected_multiclass: number of classes K (classes 0..K-1; 2 <= K <= features)", classes);
}
#undef AMLZ_TASK_KEY
#undef AMLZ_TASK_CHOICE
#undef AMLZ_TASK_COPY

// clang-format off
#define AMLZ_KEY(method, section, key, help, field) \
  v.method(section, key, help, [](Config& c) -> auto& { return c.field; })
#define AMLZ_CHOICE(section, key, help, field) \
  v.choice(section, key, help, [](Config& c) -> auto& { return c.field; })
#define AMLZ_OP_LIST_KEY(section, key, help, field)                                                           \
  v.named_list(section, key, help, [](Config& c) -> auto& { return c.field; }, &op_name, &op_from_name, \
               "op", "(`amlz ops` lists the ops)")

// clang-format on

template <class V>
void visit_config(V& v) {
  AMLZ_KEY(value, "", "seed", "run seed (0: from the clock)", seed);
  AMLZ_KEY(value, "", "backend",
           "auto, cpu (the vector interpreter), cpu-reference (the scalar reference interpreter) or cuda", backend);
  AMLZ_KEY(value, "", "threads", "CPU evaluator and host threads (0: all cores)", threads);
  AMLZ_KEY(value, "", "out", "run directory (default runs/<time>-<seed>)", out);
  AMLZ_KEY(value, "", "max_seconds", "stop searching after this many seconds (0: no limit)", max_seconds);
  AMLZ_KEY(value, "", "checkpoint_every", "seconds between checkpoints (0: only when a signal stops the run)",
           checkpoint_every);

  AMLZ_KEY(value, "memory", "scalars", "scalar addresses (s0 = label, s1 = prediction; multiclass: ordinary)",
           memory.scalars);
  AMLZ_KEY(value, "memory", "vectors", "vector addresses (v0 = features; multiclass: v1 = label, v2 = prediction)",
           memory.vectors);
  AMLZ_KEY(value, "memory", "matrices", "matrix addresses", memory.matrices);

  visit_task_spec(v, "search_tasks", [](Config& c) -> TaskSpec& { return c.search_tasks; });
  visit_task_spec(v, "select_tasks", [](Config& c) -> TaskSpec& { return c.select_tasks; });
  visit_task_spec(v, "final_tasks", [](Config& c) -> TaskSpec& { return c.final_tasks; });

  AMLZ_KEY(value, "evaluation", "max_abs_error", "stop an evaluation when |error| exceeds this", max_abs_error);
  AMLZ_CHOICE("evaluation", "combination", "how task fitnesses combine", combination);

  AMLZ_CHOICE("algorithm", "initial", "initial population", algorithm.initial);
  AMLZ_OP_LIST_KEY("algorithm", "setup_ops", "ops allowed in Setup", algorithm.ops[0]);
  AMLZ_OP_LIST_KEY("algorithm", "predict_ops", "ops allowed in Predict", algorithm.ops[1]);
  AMLZ_OP_LIST_KEY("algorithm", "learn_ops", "ops allowed in Learn", algorithm.ops[2]);
  AMLZ_KEY(value, "algorithm", "setup_size", "initial Setup size", algorithm.init_sizes.setup);
  AMLZ_KEY(value, "algorithm", "predict_size", "initial Predict size", algorithm.init_sizes.predict);
  AMLZ_KEY(value, "algorithm", "learn_size", "initial Learn size", algorithm.init_sizes.learn);
  AMLZ_KEY(value, "algorithm", "setup_min_size", "smallest Setup removal leaves", algorithm.min_sizes.setup);
  AMLZ_KEY(value, "algorithm", "predict_min_size", "smallest Predict", algorithm.min_sizes.predict);
  AMLZ_KEY(value, "algorithm", "learn_min_size", "smallest Learn", algorithm.min_sizes.learn);
  AMLZ_KEY(value, "algorithm", "setup_max_size", "insertion stops at this - 1 (0: unbounded)",
           algorithm.max_sizes.setup);
  AMLZ_KEY(value, "algorithm", "predict_max_size", "as setup_max_size", algorithm.max_sizes.predict);
  AMLZ_KEY(value, "algorithm", "learn_max_size", "as setup_max_size", algorithm.max_sizes.learn);

  AMLZ_CHOICE("evolution", "search", "regularized evolution, or random search (every child fresh)", evolution.search);
  AMLZ_KEY(value, "evolution", "population_size", "population P", evolution.population_size);
  AMLZ_KEY(value, "evolution", "tournament_size", "tournament T (drawn with replacement)", evolution.tournament_size);
  AMLZ_KEY(value, "evolution", "mutate_prob", "probability a child is mutated", evolution.mutate_prob);
  v.named_list(
      "evolution", "mutations", "mutation types drawn uniformly",
      [](Config & c) -> auto& { return c.evolution.mutations; }, &enum_name<MutationType>, &mutation_from_name,
      "mutation", "(" + enum_choices<MutationType>() + ")");
  AMLZ_KEY(value, "evolution", "batch_size", "children evaluated together (0: automatic)", evolution.batch_size);
  AMLZ_KEY(value, "evolution", "max_train_steps", "training-step budget per experiment", evolution.max_train_steps);
  AMLZ_KEY(value, "evolution", "progress_every", "individuals between progress lines", evolution.progress_every);

  AMLZ_KEY(value, "fec", "enabled", "functional equivalence cache", fec.enabled);
  AMLZ_KEY(value, "fec", "num_train", "training steps of the fingerprint", fec.num_train);
  AMLZ_KEY(value, "fec", "num_valid", "validation steps of the fingerprint", fec.num_valid);
  AMLZ_KEY(value, "fec", "cache_size", "LRU cache entries", fec.cache_size);
  AMLZ_KEY(value, "fec", "forget_every", "drop an entry after this many hits (0: never)", fec.forget_every);

  AMLZ_KEY(value, "train_budget", "enabled", "reject candidates much costlier than the baseline", train_budget.enabled);
  AMLZ_CHOICE("train_budget", "baseline", "baseline algorithm", train_budget.baseline);
  AMLZ_KEY(value, "train_budget", "threshold_factor", "allowed cost relative to the baseline",
           train_budget.threshold_factor);

  AMLZ_KEY(value, "islands", "count", "populations evolved together (the paper's workers); 1: one population",
           islands.count);
  AMLZ_KEY(value, "islands", "migrate_every", "individuals each island makes between migrations (0: never)",
           islands.migrate_every);
  AMLZ_KEY(value, "islands", "migrants", "algorithms each island sends per migration (0: half the population)",
           islands.migrants);
  AMLZ_CHOICE("islands", "choice", "which algorithms migrate", islands.choice);

  AMLZ_KEY(value, "hurdles", "enabled", "progressive dynamic hurdles: stop weak children after early stages",
           hurdles.enabled);
  AMLZ_KEY(value, "hurdles", "stage_tasks", "task counts at which stages end, before the last (default: a fifth)",
           hurdles.stage_tasks);
  AMLZ_KEY(value, "hurdles", "percentile", "a stage's hurdle: this percentile of its fitnesses in the population",
           hurdles.percentile);
  AMLZ_KEY(value, "hurdles", "min_samples", "stage fitnesses a population needs before its hurdle is set",
           hurdles.min_samples);

  AMLZ_KEY(value, "experiment", "max_experiments", "experiments to run (0: until sufficient_fitness)",
           experiment.max_experiments);
  AMLZ_KEY(value, "experiment", "randomize_task_seeds", "re-draw search/select task seeds every experiment",
           experiment.randomize_task_seeds);
  AMLZ_KEY(value, "experiment", "sufficient_fitness", "stop once a select fitness exceeds this",
           experiment.sufficient_fitness);
}
#undef AMLZ_KEY
#undef AMLZ_CHOICE
#undef AMLZ_OP_LIST_KEY

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

std::string key_name(const std::string& section, const char* key) {
  return section.empty() ? key : section + "." + key;
}

}  // namespace

namespace {

// A TOML basic string that TomlReader reads back to the same bytes (control characters as escapes).
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string toml_value(const std::string& s) { return quote(s); }
std::string toml_value(bool b) { return b ? "true" : "false"; }
std::string toml_value(float f) { return format_float(f); }
std::string toml_value(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}
template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
std::string toml_value(I i) {
  return std::to_string(i);
}
template <class T>
std::string toml_value(const std::vector<T>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + toml_value(v[i]);
  return out + "]";
}

}  // namespace

// Adds each key as a CLI11 option bound to its field. Every value goes through value_parse.h, so a flag and a file
// line are read the same way and a bad one names where it came from.
struct Binder {
  ConfigOptions& self;
  CLI::Option* last = nullptr;

  template <class Acc>
  void value(const std::string& section, const char* key, const char* help, Acc acc) {
    using Field = std::decay_t<decltype(acc(self.config_))>;
    Field* field = &acc(self.config_);
    const std::string name = key_name(section, key);
    const ConfigOptions* owner = &self;
    if constexpr (is_vector<Field>::value) {
      using Elem = typename Field::value_type;
      last = parsed_list(name, help, field,
                         [owner, name](const std::string& s) { return parse_value<Elem>(s, owner->where(name)); });
      last->type_name(std::string("[") + value_type_name<Elem>() + ",...]");
    } else {
      last = add(section, key, help,
                 [field, owner, name](const std::string& s) { *field = parse_value<Field>(s, owner->where(name)); });
      last->type_name(value_type_name<Field>());
    }
    last->default_str(toml_value(*field));
  }
  // One option per key; keys the command does not use stay readable from a config file but are hidden from its
  // help (ConfigOptions rejects them as flags).
  CLI::Option* add(const std::string& section, const char* key, const std::string& help,
                   const std::function<void(const std::string&)>& set) {
    CLI::Option* o = self.app_.add_option_function<std::string>(flag_names(section, key), set, help);
    if (!self.uses(key_name(section, key))) o->group("");
    return o;
  }
  // Top-level keys also answer to their hyphenated spelling on the command line (--max-seconds).
  static std::string flag_names(const std::string& section, const char* key) {
    std::string names = "--" + key_name(section, key);
    if (section.empty() && names.find('_') != std::string::npos) {
      std::string hyphen = names;
      std::replace(hyphen.begin(), hyphen.end(), '_', '-');
      names += "," + hyphen;
    }
    return names;
  }
  // A list option. An empty TOML array reaches us as the single kEmptyListMarker, so
  // `key = []` reads back as an empty list rather than "not given".
  CLI::Option* list_option(const std::string& name, const char* help,
                           const std::function<void(const std::vector<std::string>&)>& set) {
    CLI::Option* o = self.app_.add_option_function<std::vector<std::string>>(
        "--" + name,
        [set](const std::vector<std::string>& values) {
          set(values.size() == 1 && values[0] == kEmptyListMarker ? std::vector<std::string>{} : values);
        },
        help);
    if (!self.uses(name)) o->group("");
    return o;
  }
  // An enum-valued key, spelled as its EnumNames table says (case-insensitive).
  template <class Acc>
  void choice(const std::string& section, const char* key, const char* help, Acc acc) {
    using E = std::decay_t<decltype(acc(self.config_))>;
    E* field = &acc(self.config_);
    const std::string name = key_name(section, key);
    const std::string allowed = enum_choices<E>();
    const ConfigOptions* owner = &self;
    last = add(section, key, std::string(help) + " (" + allowed + ")",
               [field, owner, name, allowed](const std::string& value) {
                 const std::optional<E> e = enum_from_name<E>(CLI::detail::to_lower(value));
                 if (!e)
                   throw ConfigError(owner->where(name) + ": '" + printable(value) + "' is not one of: " + allowed);
                 *field = *e;
               });
    last->type_name("NAME")->default_str(enum_name(*field));
  }
  // A list of names (ops, mutation types): `from_name` maps each; an unknown name is an error listing the choices.
  template <class Acc, class T>
  void named_list(const std::string& section, const char* key, const char* help, Acc acc, const char* (*)(T),
                  std::optional<T> (*from_name)(std::string_view), const char* what, const std::string& hint) {
    std::vector<T>* field = &acc(self.config_);
    const std::string name = key_name(section, key);
    const ConfigOptions* owner = &self;
    last = parsed_list(name, help, field, [owner, name, from_name, what, hint](const std::string& s) {
      const auto v = from_name(s);
      if (!v) throw ConfigError(owner->where(name) + ": unknown " + what + " '" + printable(s) + "' " + hint);
      return *v;
    });
    last->type_name("[NAME,...]");
  }
  // A list option whose elements `parse` converts one by one.
  template <class T, class Parse>
  CLI::Option* parsed_list(const std::string& name, const char* help, std::vector<T>* field, Parse parse) {
    return list_option(name, help, [field, parse](const std::vector<std::string>& values) {
      field->clear();
      field->reserve(values.size());
      for (const std::string& s : values) field->push_back(parse(s));
    });
  }
  void task_copy(const std::string& section, void (*copy)(const TaskSpec&, TaskSpec&)) {
    self.task_keys_[section].push_back({last, copy});
  }
};

namespace {

// Sections and top-level keys only a search reads; `eval` and `show` accept them in a file and ignore them.
bool search_only(const std::string& key) {
  for (const char* section : {"algorithm.", "evolution.", "fec.", "train_budget.", "experiment."})
    if (key.rfind(section, 0) == 0) return true;
  return key == "out" || key == "max_seconds" || key == "checkpoint_every";
}

// The option name a command-line argument gives ("--evolution.population_size=5" -> "evolution.population_size";
// hyphenated top-level keys -> their underscore spelling), or "".
std::string flag_key(const std::string& arg) {
  if (arg.rfind("--", 0) != 0 || arg.size() < 3) return "";
  std::string key = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
  if (key.find('.') == std::string::npos) std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

}  // namespace

ConfigOptions::ConfigOptions(CLI::App& app, Config& config, ConfigUse use, int argc, const char* const* argv)
    : app_(app), config_(config), use_(use) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) config_path = argv[i + 1];
    if (a.rfind("--config=", 0) == 0) config_path = a.substr(9);
    const std::string key = flag_key(a);
    if (!key.empty()) flags_given_.insert(key);
  }
  app_.set_config("--config", "", "TOML config file (configs/*.toml); flags override its values");
  reader_ = std::make_shared<TomlReader>(&app_, config_path);
  app_.config_formatter(reader_);
  Binder binder{*this};
  visit_config(binder);
}

bool ConfigOptions::uses(const std::string& key) const { return use_ == ConfigUse::Search || !search_only(key); }

std::string ConfigOptions::where(const std::string& key) const {
  if (flags_given_.count(key)) return "--" + key;
  if (const int line = reader_->line_of(key); line > 0)
    return printable(reader_->source()) + ":" + std::to_string(line) + ": " + key;
  return key;
}

void ConfigOptions::finish() {
  for (const std::string& key : flags_given_)
    if (!uses(key) && app_.get_option_no_throw("--" + key) != nullptr)
      throw ConfigError("--" + key + " applies to `amlz search`, not to `" + app_.get_name() + "`");
  auto inherit = [&](const std::string& section, const TaskSpec& from, TaskSpec& to) {
    for (const TaskKey& k : task_keys_[section])
      if (k.option->count() == 0) k.copy(from, to);
  };
  inherit("select_tasks", config_.search_tasks, config_.select_tasks);
  inherit("final_tasks", config_.select_tasks, config_.final_tasks);
  config_.memory.labels = label_kind(config_.search_tasks.type);
  try {
    validate(config_, use_);
  } catch (const ConfigError& e) {
    if (e.key().empty()) throw;
    throw ConfigError(where(e.key()) + ": " + e.detail());
  }
}

Config load_config(const std::vector<std::string>& args, ConfigUse use) {
  CLI::App app{"amlz config", "amlz"};
  Config config;
  std::vector<const char*> argv = {"amlz"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  ConfigOptions options(app, config, use, static_cast<int>(argv.size()), argv.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  options.finish();
  return config;
}

namespace {

// Writes each key's current value under its section.
struct Writer {
  Config& config;
  std::vector<std::pair<std::string, std::string>> sections;  // section -> lines, in first-seen order

  void line(const std::string& section, const char* key, const std::string& value) {
    if (sections.empty() || sections.back().first != section) sections.emplace_back(section, "");
    sections.back().second += std::string(key) + " = " + value + "\n";
  }
  template <class Acc>
  void value(const std::string& section, const char* key, const char*, Acc acc) {
    // The run directory is where this file is written: as a key it would make a repeat of the run refuse to start
    // (the directory exists), so it is kept as a comment.
    if (section.empty() && std::string(key) == "out") {
      line(section, "# out", toml_value(acc(config)) + "  (where this run was written; a repeat needs its own)");
      return;
    }
    line(section, key, toml_value(acc(config)));
  }
  template <class Acc>
  void choice(const std::string& section, const char* key, const char*, Acc acc) {
    line(section, key, quote(enum_name(acc(config))));
  }
  template <class Acc, class T, class FromName>
  void named_list(const std::string& section, const char* key, const char*, Acc acc, const char* (*to_name)(T),
                  FromName, const char*, const std::string&) {
    std::vector<std::string> names;
    for (T v : acc(config)) names.push_back(to_name(v));
    line(section, key, toml_value(names));
  }
  void task_copy(const std::string&, void (*)(const TaskSpec&, TaskSpec&)) {}
};

}  // namespace

std::string to_toml(const Config& config) {
  Config copy = config;
  Writer w{copy, {}};
  visit_config(w);
  std::ostringstream os;
  os << "# amlz effective configuration: `amlz search --config <this file> [--out DIR]` repeats the run.\n";
  for (const auto& [section, lines] : w.sections) {
    if (!section.empty()) os << "\n[" << section << "]\n";
    os << lines;
  }
  return os.str();
}

}  // namespace amlz::cli
