// SPDX-License-Identifier: Apache-2.0
// The bytecode: the contract between the host and both evaluators. Plain structs only, included by g++ and nvcc;
// any change of layout or meaning bumps kBytecodeVersion. verify() (program.h) checks a Program once on the host
// so that interpreters can trust addresses and opcodes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "amlz/core/hd.h"
#include "amlz/core/ops.h"

namespace amlz {

inline constexpr uint16_t kBytecodeVersion = 2;

enum class Component : uint8_t { Setup = 0, Predict = 1, Learn = 2 };
inline constexpr int kNumComponents = 3;

// One instruction. Addresses index the program's COMPACTED memory (program.h). For random ops (59-64) the
// unused in1/in2 bytes hold the op's source key (component << 14 | position in the source algorithm), which
// keys its random draws; d0..d2 are the op's float parameters (ops.h DataKind), unused ones are 0.
struct Instr {
  Op op;
  uint8_t out, in1, in2;
  float d0, d1, d2;
};
static_assert(sizeof(Instr) == 16 && std::is_trivially_copyable_v<Instr>,
              "Instr layout changed: bump kBytecodeVersion");
// The GPU fetches an Instr as one 16-byte word and decodes the fields by these byte offsets (cuda/warp/).
static_assert(offsetof(Instr, op) == 0 && offsetof(Instr, out) == 1 && offsetof(Instr, in1) == 2 &&
                  offsetof(Instr, in2) == 3 && offsetof(Instr, d0) == 4 && offsetof(Instr, d1) == 8 &&
                  offsetof(Instr, d2) == 12,
              "Instr field offsets changed: the kernel's decoding must change with them");

AMLZ_HD AMLZ_FORCEINLINE uint32_t random_key(const Instr& i) {
  return static_cast<uint32_t>(i.in1) | (static_cast<uint32_t>(i.in2) << 8);
}
constexpr uint32_t make_random_key(Component c, uint32_t position) {
  return (static_cast<uint32_t>(c) << 14) | position;
}
inline constexpr uint32_t kMaxComponentSize = 1u << 14;  // positions must fit the random key

// Where one program sits in a batch's code array, and the memory it needs. Setup, Predict and Learn follow each
// other from code_offset. Scalar 0/1 (label/prediction) and vector 0 (features) are always allocated.
struct ProgramDesc {
  uint32_t code_offset;
  uint32_t eval_seed;  // keys the program's random ops for a full evaluation
  uint16_t n_setup, n_predict, n_learn;
  uint8_t n_scalars, n_vectors, n_matrices;
  uint8_t flags;  // ProgramFlags: facts about the code that compile() records so interpreters need not rediscover
  uint16_t reserved;
};
static_assert(sizeof(ProgramDesc) == 20 && std::is_trivially_copyable_v<ProgramDesc>,
              "ProgramDesc layout changed: bump kBytecodeVersion");

// ProgramDesc::flags. verify() recomputes them from the code and rejects a program whose flags disagree: the GPU
// sizes memory by them.
enum ProgramFlags : uint8_t {
  kPredictWritesV0 = 1u,         // Predict may overwrite the features v0: restore them before Learn
  kMatmulIntoRightOperand = 2u,  // some m_o = matmul(m_a, m_o): an evaluator may need a scratch matrix
  // Compiled for vector labels (LabelKind::Vector, multiclass tasks): a fact of how the program was compiled, not of
  // its code, so verify() keeps it as given (and requires v1, v2 allocated); evaluators check it against the tasks.
  kVectorLabels = 4u,
};

// How the executor passes labels and reads predictions. Scalar (every task type but projected_multiclass; spec §1):
// label s0, prediction s1. Vector (projected_multiclass, K classes): the one-hot label in v1, the K logits in the
// first K elements of v2 (the original's reserved "labels" and "predictions" vectors); s0 and s1 are then ordinary
// memory. The executor writes the features and the label before Predict and Learn and reads the prediction after
// Predict; random instructions never write the features or the label.
enum class LabelKind : uint8_t { Scalar = 0, Vector = 1 };

inline constexpr uint8_t kLabelScalar = 0;       // s0
inline constexpr uint8_t kPredictionScalar = 1;  // s1
inline constexpr uint8_t kFeaturesVector = 0;    // v0
inline constexpr uint8_t kLabelVector = 1;       // v1: the one-hot label (LabelKind::Vector)
inline constexpr uint8_t kPredictionVector = 2;  // v2: the logits (LabelKind::Vector)

}  // namespace amlz
