// SPDX-License-Identifier: Apache-2.0
// The bytecode: the contract between the host and both evaluators. Plain structs only, included by g++ and nvcc;
// any change of layout or meaning bumps kBytecodeVersion. verify() (program.h) checks a Program once on the host
// so that interpreters can trust addresses and opcodes.
#pragma once
#include <cstdint>
#include <type_traits>

#include "amlz/core/hd.h"
#include "amlz/core/ops.h"

namespace amlz {

inline constexpr uint32_t kBytecodeMagic = 0x5A4C4D41u;  // "AMLZ"
inline constexpr uint16_t kBytecodeVersion = 1;

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
  uint8_t reserved0;
  uint16_t reserved1;
};
static_assert(sizeof(ProgramDesc) == 20 && std::is_trivially_copyable_v<ProgramDesc>,
              "ProgramDesc layout changed: bump kBytecodeVersion");

inline constexpr uint8_t kLabelScalar = 0;       // s0
inline constexpr uint8_t kPredictionScalar = 1;  // s1
inline constexpr uint8_t kFeaturesVector = 0;    // v0

}  // namespace amlz
