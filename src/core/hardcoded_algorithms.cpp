// SPDX-License-Identifier: Apache-2.0
// Hand-written algorithms, written in the text format so they read like the paper.
#include "amlz/core/hardcoded_algorithms.h"

#include "amlz/core/algorithm_text.h"
#include "amlz/error.h"

namespace amlz {

AddressSpace required_space(InitialAlgorithm a) {
  switch (a) {
    case InitialAlgorithm::NoOp:
    case InitialAlgorithm::Random: return {2, 1, 0};
    case InitialAlgorithm::Linear: return {4, 3, 0};
    case InitialAlgorithm::NeuralNet:
    case InitialAlgorithm::DamagedNeuralNet: return {5, 9, 2};
    case InitialAlgorithm::NeuralNetMulticlass: return {4, 11, 3, LabelKind::Vector};
  }
  return {};
}

Algorithm linear_algorithm(float learning_rate) {
  const std::string text = "def Setup():\n  s2 = " + format_float(learning_rate) + R"(
def Predict():
  s1 = dot(v1, v0)
def Learn():
  s3 = s0 - s1
  s3 = s2 * s3
  v2 = s3 * v0
  v1 = v1 + v2
)";
  return parse_algorithm(text, "linear algorithm");
}

namespace {

// v1/s2: biases, m0/v2: layer weights, v5 stays 0 so maximum(v3, v5) is the ReLU.
std::string neural_net_text(float learning_rate, float init_scale, bool with_init) {
  const std::string scale = format_float(init_scale);
  std::string setup;
  if (with_init) {
    setup += "  v2 = gaussian(0, " + scale + ", n_features)\n";
    setup += "  m0 = gaussian(0, " + scale + ", (n_features, n_features))\n";
  }
  return "def Setup():\n" + setup + "  s3 = " + format_float(learning_rate) + R"(
def Predict():
  v3 = dot(m0, v0)
  v3 = v3 + v1
  v4 = maximum(v3, v5)
  s1 = dot(v4, v2)
  s1 = s1 + s2
def Learn():
  s4 = s0 - s1             # error
  s4 = s3 * s4             # scaled by the learning rate
  s2 = s2 + s4             # output bias
  v7 = heaviside(v3, 1.0)  # ReLU gradient
  v8 = s4 * v2             # back-propagate through the (old) output weights
  v7 = v7 * v8
  v6 = s4 * v4             # output weights
  v2 = v2 + v6
  v1 = v1 + v7             # hidden biases
  m1 = outer(v7, v0)       # hidden weights
  m0 = m0 + m1
)";
}

}  // namespace

Algorithm neural_net_algorithm(float learning_rate, float init_scale) {
  return parse_algorithm(neural_net_text(learning_rate, init_scale, true), "neural-net algorithm");
}

Algorithm damaged_neural_net_algorithm() {
  return parse_algorithm(neural_net_text(0.01f, 0.1f, false), "damaged neural-net algorithm");
}

Algorithm neural_net_multiclass_algorithm(float learning_rate, float init_scale) {
  const std::string scale = format_float(init_scale);
  const std::string text = "def Setup():\n  m1 = gaussian(0, " + scale + ", (n_features, n_features))\n" +
                           "  m0 = gaussian(0, " + scale +
                           ", (n_features, n_features))\n  s3 = " + format_float(learning_rate) + R"(
def Predict():
  v3 = dot(m0, v0)
  v3 = v3 + v6             # hidden biases
  v4 = maximum(v3, v5)     # ReLU (v5 stays 0)
  v2 = dot(m1, v4)         # the logits
  v2 = v2 + v7             # output biases
def Learn():
  v8 = v1 - v2             # label - softmax: minus the cross-entropy gradient of the logits
  v8 = s3 * v8             # scaled by the learning rate
  v7 = v7 + v8             # output biases
  v9 = heaviside(v3, 1.0)  # ReLU gradient
  m2 = transpose(m1)
  v10 = dot(m2, v8)        # back-propagate through the (old) output weights
  v9 = v9 * v10
  m2 = outer(v8, v4)       # output weights
  m1 = m1 + m2
  v6 = v6 + v9             # hidden biases
  m2 = outer(v9, v0)       # hidden weights
  m0 = m0 + m2
)";
  return parse_algorithm(text, "multiclass neural-net algorithm");
}

void pad_with_noops(Algorithm& a, const ComponentSizes& sizes) {
  const int want[kNumComponents] = {sizes.setup, sizes.predict, sizes.learn};
  for (Component c : kAllComponents) {
    auto& instrs = a.component(c);
    while (static_cast<int>(instrs.size()) < want[static_cast<int>(c)]) instrs.push_back(Instruction{});
  }
}

Algorithm make_algorithm(InitialAlgorithm kind, const ComponentSizes& sizes, const OpLists& ops,
                         const AddressSpace& space, SearchRng& rng) {
  Algorithm a;
  switch (kind) {
    case InitialAlgorithm::NoOp: break;
    case InitialAlgorithm::Random:
      pad_with_noops(a, sizes);
      for (Component c : kAllComponents) randomize_component(a.component(c), ops[static_cast<int>(c)], space, rng);
      return a;
    case InitialAlgorithm::Linear: a = linear_algorithm(); break;
    case InitialAlgorithm::NeuralNet: a = neural_net_algorithm(); break;
    case InitialAlgorithm::DamagedNeuralNet: a = damaged_neural_net_algorithm(); break;
    case InitialAlgorithm::NeuralNetMulticlass: a = neural_net_multiclass_algorithm(); break;
  }
  pad_with_noops(a, sizes);
  return a;
}

}  // namespace amlz
