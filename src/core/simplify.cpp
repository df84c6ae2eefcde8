// SPDX-License-Identifier: Apache-2.0
// Reaching definitions over the executor's loop, webs (union-find over definitions that reach a common use), and
// role names from the webs' dataflow.
#include "amlz/core/simplify.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"

namespace amlz {
namespace {

int var_id(Kind k, uint8_t address) { return static_cast<int>(k) * 256 + address; }
Kind var_kind(int var) { return static_cast<Kind>(var / 256); }
int var_address(int var) { return var % 256; }
std::string address_name(int var) { return kind_letter(var_kind(var)) + std::to_string(var_address(var)); }

// Where a value comes from: memory's initial zero, the executor (s0 = 0 before Predict, s0 = label before Learn,
// v0 = features before both) or an instruction.
enum class DefKind { Zero, PredictZero, Label, Features, Instruction };

struct Def {
  DefKind kind;
  int var;
  int node;
};

// A use of a variable: an instruction's operand (slot 0 = in1, 1 = in2, 2 = the old value a partial write keeps)
// or the executor reading the prediction after Predict (slot 3).
struct Use {
  int node;
  int var;
  int slot;
  int def = -1;  // one of the definitions reaching it (they all share its web)
};

struct Node {
  Component component = Component::Setup;
  const Instruction* instruction = nullptr;  // null for the executor's nodes
  size_t position = 0;
  std::vector<int> defs, uses, successors;
};

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

bool is_partial_write(Op op) { return op == Op::VectorConstSet || op == Op::MatrixConstSet; }

struct Web {
  int var = 0;
  std::vector<int> defs;
  bool def_in[kNumComponents] = {false, false, false};  // instruction definitions per component
  bool used_in[kNumComponents] = {false, false, false};
  bool has_label = false, has_features = false, read_as_prediction = false, only_zero = true;
  bool from_x = false;  // computed (transitively) from the features
  std::string name;
  std::string role;
  int order = 0;  // first appearance in the printed program, for numbering names
};

class Simplifier {
 public:
  explicit Simplifier(const Algorithm& a) : a_(a) {}

  SimplifiedAlgorithm run() {
    mark_live(a_, live_);
    build_graph();
    reach();
    build_webs();
    name_webs();
    return render();
  }

 private:
  int add_node(Component c, const Instruction* in, size_t position) {
    nodes_.push_back(Node{c, in, position, {}, {}, {}});
    return static_cast<int>(nodes_.size()) - 1;
  }
  void add_def(int node, DefKind kind, int var) {
    defs_.push_back(Def{kind, var, node});
    nodes_[node].defs.push_back(static_cast<int>(defs_.size()) - 1);
  }
  void add_use(int node, int var, int slot) {
    uses_.push_back(Use{node, var, slot});
    nodes_[node].uses.push_back(static_cast<int>(uses_.size()) - 1);
  }
  void link(int from, int to) { nodes_[from].successors.push_back(to); }

  // Setup -> (Predict -> Learn)* -> Predict*: the executor's loop, with its writes of s0 and v0 as nodes.
  void build_graph() {
    std::vector<int> vars = {var_id(Kind::Scalar, kLabelScalar), var_id(Kind::Scalar, kPredictionScalar),
                             var_id(Kind::Vector, kFeaturesVector)};
    for (Component c : kAllComponents)
      for (size_t i = 0; i < a_.component(c).size(); ++i) {
        if (!live_[static_cast<int>(c)][i]) continue;
        const Instruction& in = a_.component(c)[i];
        const OpInfo& info = op_info(in.op);
        for (auto [k, address] : {std::pair{info.in1, in.in1}, {info.in2, in.in2}, {info.out, in.out}})
          if (k != Kind::None) vars.push_back(var_id(k, address));
      }
    std::sort(vars.begin(), vars.end());
    vars.erase(std::unique(vars.begin(), vars.end()), vars.end());

    const int entry = add_node(Component::Setup, nullptr, 0);
    for (int v : vars) add_def(entry, DefKind::Zero, v);
    auto chain = [&](Component c, int from) {
      int last = from;
      for (size_t i = 0; i < a_.component(c).size(); ++i) {
        if (!live_[static_cast<int>(c)][i]) continue;
        const Instruction& in = a_.component(c)[i];
        const OpInfo& info = op_info(in.op);
        const int n = add_node(c, &in, i);
        if (info.in1 != Kind::None) add_use(n, var_id(info.in1, in.in1), 0);
        if (info.in2 != Kind::None) add_use(n, var_id(info.in2, in.in2), 1);
        if (is_partial_write(in.op)) add_use(n, var_id(info.out, in.out), 2);
        add_def(n, DefKind::Instruction, var_id(info.out, in.out));
        link(last, n);
        last = n;
      }
      return last;
    };
    const int setup_end = chain(Component::Setup, entry);
    const int predict_entry = add_node(Component::Predict, nullptr, 0);
    add_def(predict_entry, DefKind::PredictZero, var_id(Kind::Scalar, kLabelScalar));
    add_def(predict_entry, DefKind::Features, var_id(Kind::Vector, kFeaturesVector));
    link(setup_end, predict_entry);
    const int predict_end = chain(Component::Predict, predict_entry);
    const int predict_exit = add_node(Component::Predict, nullptr, 0);
    add_use(predict_exit, var_id(Kind::Scalar, kPredictionScalar), 3);
    link(predict_end, predict_exit);
    link(predict_exit, predict_entry);  // validation: Predict after Predict
    const int learn_entry = add_node(Component::Learn, nullptr, 0);
    add_def(learn_entry, DefKind::Label, var_id(Kind::Scalar, kLabelScalar));
    add_def(learn_entry, DefKind::Features, var_id(Kind::Vector, kFeaturesVector));
    link(predict_exit, learn_entry);
    link(chain(Component::Learn, learn_entry), predict_entry);
  }

  // Reaching definitions: the fixed point of out(n) = defs(n) + (in(n) - what n overwrites), in(n) = the union of
  // its predecessors' outs.
  void reach() {
    const size_t n = nodes_.size(), d = defs_.size();
    std::vector<std::vector<int>> predecessors(n);
    for (size_t i = 0; i < n; ++i)
      for (int s : nodes_[i].successors) predecessors[s].push_back(static_cast<int>(i));
    in_.assign(n, std::vector<bool>(d, false));
    std::vector<std::vector<bool>> out(n, std::vector<bool>(d, false));
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < n; ++i) {
        std::vector<bool> in(d, false);
        for (int p : predecessors[i])
          for (size_t k = 0; k < d; ++k) in[k] = in[k] || out[p][k];
        std::vector<bool> o = in;
        for (int def : nodes_[i].defs)
          for (size_t k = 0; k < d; ++k)
            if (defs_[k].var == defs_[def].var) o[k] = false;
        for (int def : nodes_[i].defs) o[def] = true;
        if (o != out[i] || in != in_[i]) changed = true;
        out[i] = std::move(o);
        in_[i] = std::move(in);
      }
    }
  }

  void build_webs() {
    UnionFind sets(defs_.size());
    int features = -1;
    for (size_t k = 0; k < defs_.size(); ++k)
      if (defs_[k].kind == DefKind::Features) {
        if (features >= 0) sets.unite(static_cast<int>(k), features);
        features = static_cast<int>(k);
      }
    for (Use& u : uses_) {
      for (size_t k = 0; k < defs_.size(); ++k) {
        if (!in_[u.node][k] || defs_[k].var != u.var) continue;
        if (u.def < 0) u.def = static_cast<int>(k);
        sets.unite(static_cast<int>(k), u.def);
      }
      // A partial write keeps the rest of the old value: old and new are one variable.
      if (u.slot == 2) sets.unite(nodes_[u.node].defs.front(), u.def);
    }
    web_of_def_.resize(defs_.size());
    std::map<int, int> index;  // representative -> web
    for (size_t k = 0; k < defs_.size(); ++k) {
      const int root = sets.find(static_cast<int>(k));
      auto [it, fresh] = index.emplace(root, static_cast<int>(webs_.size()));
      if (fresh) webs_.push_back(Web{});
      Web& w = webs_[it->second];
      web_of_def_[k] = it->second;
      w.var = defs_[k].var;
      w.defs.push_back(static_cast<int>(k));
      const Def& def = defs_[k];
      if (def.kind == DefKind::Instruction) w.def_in[static_cast<int>(nodes_[def.node].component)] = true;
      if (def.kind == DefKind::Label) w.has_label = true;
      if (def.kind == DefKind::Features) w.has_features = true;
      if (def.kind != DefKind::Zero && def.kind != DefKind::PredictZero) w.only_zero = false;
    }
    for (const Use& u : uses_) {
      Web& w = webs_[web_of_def_[u.def]];
      if (u.slot == 3)
        w.read_as_prediction = true;
      else
        w.used_in[static_cast<int>(nodes_[u.node].component)] = true;
    }
    // Values computed from the features, through any chain of instructions.
    for (bool changed = true; changed;) {
      changed = false;
      for (const Node& n : nodes_) {
        if (!n.instruction) continue;
        Web& out = webs_[web_of_def_[n.defs.front()]];
        if (out.from_x) continue;
        for (int u : n.uses) {
          const Web& in = webs_[web_of_def_[uses_[u].def]];
          if (in.has_features || in.from_x) {
            out.from_x = changed = true;
            break;
          }
        }
      }
    }
  }

  int web_of_use(const Node& n, int slot) const {
    for (int u : n.uses)
      if (uses_[u].slot == slot) return web_of_def_[uses_[u].def];
    return -1;
  }
  int web_of_output(const Node& n) const { return web_of_def_[n.defs.front()]; }

  void name_webs() {
    // Order of first appearance, so numbered names follow the program.
    int order = 0;
    for (Web& w : webs_) w.order = 1 << 30;
    for (const Node& n : nodes_) {
      if (!n.instruction) continue;
      for (int u : n.uses)
        webs_[web_of_def_[uses_[u].def]].order = std::min(webs_[web_of_def_[uses_[u].def]].order, order++);
      webs_[web_of_output(n)].order = std::min(webs_[web_of_output(n)].order, order++);
    }
    auto unnamed = [](const Web& w) { return w.name.empty() && !w.only_zero; };
    for (Web& w : webs_) {
      if (w.only_zero) continue;
      if (w.has_features) {
        w.name = "x";
        w.role = address_name(w.var) + ": the features";
      } else if (w.has_label) {
        w.name = "y";
        w.role = address_name(w.var) + ": the label";
      } else if (w.read_as_prediction) {
        w.name = "pred";
        w.role = address_name(w.var) + ": the prediction";
      }
    }
    // Weights: state Learn writes and Predict reads.
    std::vector<int> weights;
    for (size_t i = 0; i < webs_.size(); ++i) {
      Web& w = webs_[i];
      if (unnamed(w) && w.def_in[static_cast<int>(Component::Learn)] && w.used_in[static_cast<int>(Component::Predict)])
        weights.push_back(static_cast<int>(i));
    }
    number(
        weights, [](Kind k) { return k == Kind::Matrix   ? "W"
                                     : k == Kind::Vector ? "w"
                                                         : "b"; },
        ": weights (read in Predict, updated in Learn)");
    for (int i : weights)
      if (var_kind(webs_[i].var) == Kind::Scalar)
        webs_[i].role =
            address_name(webs_[i].var) + ": a learned scalar, such as a bias (read in Predict, updated in Learn)";
    // The error, and the learning rate; then the updates of the weights.
    std::vector<int> errors, rates, updates;
    for (const Node& n : nodes_) {
      if (!n.instruction || n.component != Component::Learn) continue;
      const Instruction& in = *n.instruction;
      const int out = web_of_output(n);
      const int a = web_of_use(n, 0), b = web_of_use(n, 1);
      if (in.op == Op::ScalarDiff && unnamed(webs_[out])) {
        const bool label_first = webs_[a].has_label && webs_[b].read_as_prediction;
        const bool pred_first = webs_[a].read_as_prediction && webs_[b].has_label;
        if (label_first || pred_first) {
          webs_[out].name = "err";  // numbered below if there are several
          webs_[out].role = std::string(label_first ? ": label - prediction" : ": prediction - label");
          errors.push_back(out);
        }
      }
      if (in.op == Op::ScalarProduct || in.op == Op::ScalarVectorProduct || in.op == Op::ScalarMatrixProduct) {
        for (int operand : {a, in.op == Op::ScalarProduct ? b : -1}) {
          if (operand < 0) continue;
          Web& w = webs_[operand];
          const bool constant = w.def_in[static_cast<int>(Component::Setup)] &&
                                !w.def_in[static_cast<int>(Component::Predict)] &&
                                !w.def_in[static_cast<int>(Component::Learn)];
          if (constant && unnamed(w) && std::find(rates.begin(), rates.end(), operand) == rates.end())
            rates.push_back(operand);
        }
      }
    }
    rename(errors, "err");
    number(
        rates, [](Kind) { return "lr"; }, ": learning rate (set in Setup, scales an update in Learn)");
    for (const Node& n : nodes_) {
      if (!n.instruction || n.component != Component::Learn) continue;
      const Op op = n.instruction->op;
      const bool add = op == Op::ScalarSum || op == Op::VectorSum || op == Op::MatrixSum || op == Op::ScalarDiff ||
                       op == Op::VectorDiff || op == Op::MatrixDiff;
      const int out = web_of_output(n);
      if (!add || std::find(weights.begin(), weights.end(), out) == weights.end()) continue;
      const int a = web_of_use(n, 0), b = web_of_use(n, 1);
      const int delta = a == out ? b : b == out ? a : -1;
      if (delta < 0 || !unnamed(webs_[delta]) || !webs_[delta].def_in[static_cast<int>(Component::Learn)]) continue;
      webs_[delta].name = "d" + webs_[out].name;
      webs_[delta].role = address_name(webs_[delta].var) + ": the update of " + webs_[out].name;
      updates.push_back(delta);
    }
    // Hidden values: vectors Predict computes from the features.
    std::vector<int> hidden;
    for (size_t i = 0; i < webs_.size(); ++i) {
      const Web& w = webs_[i];
      if (unnamed(w) && var_kind(w.var) == Kind::Vector && w.from_x && w.def_in[static_cast<int>(Component::Predict)] &&
          !w.def_in[static_cast<int>(Component::Setup)] && !w.def_in[static_cast<int>(Component::Learn)])
        hidden.push_back(static_cast<int>(i));
    }
    number(
        hidden, [](Kind) { return "h"; }, ": hidden values (computed from x in Predict)");
    for (Web& w : webs_)
      if (unnamed(w)) w.name = address_name(w.var);
    // The legend, in a fixed order of roles.
    auto legend = [&](auto pick) {
      std::vector<const Web*> ws;
      for (const Web& w : webs_)
        if (pick(w)) ws.push_back(&w);
      std::sort(ws.begin(), ws.end(), [](const Web* p, const Web* q) { return p->order < q->order; });
      for (const Web* w : ws) names_.push_back({w->name, w->role});
    };
    auto in_list = [&](const std::vector<int>& list) {
      return [&, list](const Web& w) {
        return std::find(list.begin(), list.end(), static_cast<int>(&w - webs_.data())) != list.end();
      };
    };
    legend([](const Web& w) { return w.name == "x"; });
    legend([](const Web& w) { return w.name == "y"; });
    legend([](const Web& w) { return w.name == "pred"; });
    legend(in_list(weights));
    legend(in_list(errors));
    legend(in_list(rates));
    legend(in_list(updates));
    legend(in_list(hidden));
    std::vector<std::string> zeros;
    for (const Web& w : webs_)
      if (w.only_zero && used(w)) zeros.push_back(address_name(w.var));
    std::sort(zeros.begin(), zeros.end());
    zeros.erase(std::unique(zeros.begin(), zeros.end()), zeros.end());
    if (!zeros.empty()) {
      std::string list;
      for (const std::string& z : zeros) list += (list.empty() ? "" : ", ") + z;
      names_.push_back({"0", list + ": read before anything is written, always 0"});
    }
  }

  bool used(const Web& w) const {
    for (const Use& u : uses_)
      if (&webs_[web_of_def_[u.def]] == &w && u.slot != 3) return true;
    return false;
  }

  // Gives each web of `list` the base name of its kind, numbered (w1, w2) when a base name repeats; `role` follows
  // the address.
  template <class BaseName>
  void number(const std::vector<int>& list, BaseName base, const std::string& role) {
    std::map<std::string, int> count, seen;
    std::vector<int> sorted = list;
    std::sort(sorted.begin(), sorted.end(), [&](int p, int q) { return webs_[p].order < webs_[q].order; });
    for (int i : sorted) ++count[base(var_kind(webs_[i].var))];
    for (int i : sorted) {
      const std::string b = base(var_kind(webs_[i].var));
      webs_[i].name = count[b] > 1 ? b + std::to_string(++seen[b]) : b;
      webs_[i].role = address_name(webs_[i].var) + role;
    }
  }
  void rename(const std::vector<int>& list, const std::string& base) {
    std::vector<int> sorted = list;
    std::sort(sorted.begin(), sorted.end(), [&](int p, int q) { return webs_[p].order < webs_[q].order; });
    for (size_t k = 0; k < sorted.size(); ++k) {
      Web& w = webs_[sorted[k]];
      w.name = sorted.size() > 1 ? base + std::to_string(k + 1) : base;
      w.role = address_name(w.var) + w.role;
    }
  }

  std::string name_of(int web) const { return webs_[web].only_zero ? "0" : webs_[web].name; }

  // The op's print template with each operand ("s%a", "v%o", ...) replaced by its variable's name.
  std::string statement(const Node& n) const {
    const Instruction& in = *n.instruction;
    std::string out;
    for (const char* p = op_info(in.op).print_template; *p; ++p) {
      const bool operand =
          (*p == 's' || *p == 'v' || *p == 'm') && p[1] == '%' && (p[2] == 'o' || p[2] == 'a' || p[2] == 'b');
      if (operand) {
        out += p[2] == 'o' ? name_of(web_of_output(n)) : name_of(web_of_use(n, p[2] == 'a' ? 0 : 1));
        p += 2;
      } else if (*p == '%') {
        out += format_float(in.data[static_cast<size_t>(p[1] - '0')]);
        ++p;
      } else {
        out.push_back(*p);
      }
    }
    return out;
  }

  SimplifiedAlgorithm render() const {
    SimplifiedAlgorithm s;
    s.source_size = a_.size();
    for (const Node& n : nodes_)
      if (n.instruction) s.statements.push_back({n.component, n.position, statement(n), to_text(*n.instruction)});
    s.names = names_;
    return s;
  }

  const Algorithm& a_;
  LiveMarks live_;
  std::vector<Node> nodes_;
  std::vector<Def> defs_;
  std::vector<Use> uses_;
  std::vector<std::vector<bool>> in_;
  std::vector<Web> webs_;
  std::vector<int> web_of_def_;
  std::vector<SimplifiedName> names_;
};

}  // namespace

SimplifiedAlgorithm simplify(const Algorithm& a) { return Simplifier(a).run(); }

std::string to_text(const SimplifiedAlgorithm& s) {
  std::ostringstream os;
  os << "# " << s.statements.size() << " of " << s.source_size
     << " instructions live (dead code removed); names by role, each statement's instruction on its right:\n";
  for (const SimplifiedName& n : s.names) os << "#   " << n.name << " = " << n.role << "\n";
  size_t width = 0;
  for (const SimplifiedStatement& st : s.statements) width = std::max(width, std::min<size_t>(st.text.size(), 48));
  for (Component c : kAllComponents) {
    os << "def " << enum_name(c) << "():\n";
    for (const SimplifiedStatement& st : s.statements) {
      if (st.component != c) continue;
      os << "  " << st.text;
      if (st.text.size() < width) os << std::string(width - st.text.size(), ' ');
      os << "  # " << st.original << "\n";
    }
  }
  return os.str();
}

}  // namespace amlz
