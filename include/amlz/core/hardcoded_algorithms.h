// SPDX-License-Identifier: Apache-2.0
// The hand-written algorithms of spec §8.1: initial populations, baselines and test fixtures.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "amlz/core/algorithm.h"
#include "amlz/core/enum_names.h"
#include "amlz/core/generator.h"

namespace amlz {

enum class InitialAlgorithm {
  NoOp,                 // each component filled with NoOps
  Random,               // every instruction random, from the component's allowed ops
  Linear,               // linear regression by SGD (4 scalars, 3 vectors)
  NeuralNet,            // 2-layer ReLU net with biases trained by SGD (5 scalars, 9 vectors, 2 matrices)
  DamagedNeuralNet,     // NeuralNet without its two Gaussian initialisations
  NeuralNetMulticlass,  // NeuralNet for projected_multiclass tasks: logits v2, label v1 (4 scalars, 11 vectors, 3
                        // matrices)
};
template <>
struct EnumNames<InitialAlgorithm> {
  static constexpr EnumName<InitialAlgorithm> table[] = {
      {InitialAlgorithm::NoOp, "noop"},
      {InitialAlgorithm::Random, "random"},
      {InitialAlgorithm::Linear, "linear"},
      {InitialAlgorithm::NeuralNet, "neural_net"},
      {InitialAlgorithm::DamagedNeuralNet, "damaged_neural_net"},
      {InitialAlgorithm::NeuralNetMulticlass, "neural_net_multiclass"}};
};

struct ComponentSizes {
  int setup = 0, predict = 0, learn = 0;
};

// The minimum address space an algorithm needs (e.g. NeuralNet: 5/9/2).
AddressSpace required_space(InitialAlgorithm a);

// Hand-written ones are padded with NoOps up to `sizes` (never truncated). Random needs `ops` and `rng`.
Algorithm make_algorithm(InitialAlgorithm a, const ComponentSizes& sizes, const OpLists& ops, const AddressSpace& space,
                         SearchRng& rng);

Algorithm linear_algorithm(float learning_rate = 0.01f);
Algorithm neural_net_algorithm(float learning_rate = 0.01f, float init_scale = 0.1f);
Algorithm damaged_neural_net_algorithm();
// The 2-layer network for K-class tasks (vector labels, bytecode.h): configs/algorithms/nn_2layer_10class.txt.
Algorithm neural_net_multiclass_algorithm(float learning_rate = 0.01f, float init_scale = 0.1f);
void pad_with_noops(Algorithm& a, const ComponentSizes& sizes);

}  // namespace amlz
