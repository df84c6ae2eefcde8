// SPDX-License-Identifier: Apache-2.0
// The op table: the ONE list of AutoML-Zero's 65 instructions (spec §3). The enum, names, printer, parser,
// random instruction generation, compute costs and the coverage tests all derive from AMLZ_OPS.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "amlz/core/hd.h"

namespace amlz {

// Memory kind of an operand. None = the slot is unused by the op.
enum class Kind : uint8_t { None = 0, Scalar, Vector, Matrix };

// What the op's float parameters mean, which drives random initialisation and ALTER_PARAM (spec §7).
enum class DataKind : uint8_t {
  None = 0,
  ScalarConst,  // d0 = value ~ U(-1,1)
  VectorConst,  // d0 = index in [0,1), d1 = value ~ U[-1,1)
  MatrixConst,  // d0 = row index, d1 = column index in [0,1), d2 = value ~ U[-1,1)
  Uniform,      // d0 = low, d1 = high, each ~ U[-1,1) (not ordered)
  Gaussian,     // d0 = mean ~ U[-1,1), d1 = st.dev. ~ U[0,1)
};

// How expensive one execution is, for the train budget (spec §9). See train_budget.cpp for the units.
enum class Cost : uint8_t {
  Trivial,         // no-op
  Arithmetic,      // +,-,*,/,abs,min,max,heaviside,copy per element
  Transcendental,  // sin, exp, log, ... per element
  Reduction,       // dot, norm, mean, st.dev. (per input element)
  MatVec,          // F^2 multiply-adds
  MatMul,          // F^3 multiply-adds
  Random,          // one generator draw per element
};

// One row per op (the formatter would break the rows).
// clang-format off
// X(Name, code, "ENUM_NAME", in1, in2, out, data, cost, "print template")
// Template placeholders: %o out address, %a in1, %b in2, %0 %1 %2 the float parameters.
#define AMLZ_OPS(X)                                                                                     \
  X(NoOp, 0, "NO_OP", None, None, None, None, Trivial, "NoOp()")                                        \
  X(ScalarSum, 1, "SCALAR_SUM_OP", Scalar, Scalar, Scalar, None, Arithmetic, "s%o = s%a + s%b")         \
  X(ScalarDiff, 2, "SCALAR_DIFF_OP", Scalar, Scalar, Scalar, None, Arithmetic, "s%o = s%a - s%b")       \
  X(ScalarProduct, 3, "SCALAR_PRODUCT_OP", Scalar, Scalar, Scalar, None, Arithmetic, "s%o = s%a * s%b") \
  X(ScalarDivision, 4, "SCALAR_DIVISION_OP", Scalar, Scalar, Scalar, None, Arithmetic,                  \
    "s%o = s%a / s%b")                                                                                  \
  X(ScalarAbs, 5, "SCALAR_ABS_OP", Scalar, None, Scalar, None, Arithmetic, "s%o = abs(s%a)")            \
  X(ScalarReciprocal, 6, "SCALAR_RECIPROCAL_OP", Scalar, None, Scalar, None, Arithmetic,                \
    "s%o = 1 / s%a")                                                                                    \
  X(ScalarSin, 7, "SCALAR_SIN_OP", Scalar, None, Scalar, None, Transcendental, "s%o = sin(s%a)")        \
  X(ScalarCos, 8, "SCALAR_COS_OP", Scalar, None, Scalar, None, Transcendental, "s%o = cos(s%a)")        \
  X(ScalarTan, 9, "SCALAR_TAN_OP", Scalar, None, Scalar, None, Transcendental, "s%o = tan(s%a)")        \
  X(ScalarArcSin, 10, "SCALAR_ARCSIN_OP", Scalar, None, Scalar, None, Transcendental,                   \
    "s%o = arcsin(s%a)")                                                                                \
  X(ScalarArcCos, 11, "SCALAR_ARCCOS_OP", Scalar, None, Scalar, None, Transcendental,                   \
    "s%o = arccos(s%a)")                                                                                \
  X(ScalarArcTan, 12, "SCALAR_ARCTAN_OP", Scalar, None, Scalar, None, Transcendental,                   \
    "s%o = arctan(s%a)")                                                                                \
  X(ScalarExp, 13, "SCALAR_EXP_OP", Scalar, None, Scalar, None, Transcendental, "s%o = exp(s%a)")       \
  X(ScalarLog, 14, "SCALAR_LOG_OP", Scalar, None, Scalar, None, Transcendental, "s%o = log(s%a)")       \
  X(ScalarHeaviside, 15, "SCALAR_HEAVYSIDE_OP", Scalar, None, Scalar, None, Arithmetic,                 \
    "s%o = heaviside(s%a, 1.0)")                                                                        \
  X(VectorHeaviside, 16, "VECTOR_HEAVYSIDE_OP", Vector, None, Vector, None, Arithmetic,                 \
    "v%o = heaviside(v%a, 1.0)")                                                                        \
  X(MatrixHeaviside, 17, "MATRIX_HEAVYSIDE_OP", Matrix, None, Matrix, None, Arithmetic,                 \
    "m%o = heaviside(m%a, 1.0)")                                                                        \
  X(ScalarVectorProduct, 18, "SCALAR_VECTOR_PRODUCT_OP", Scalar, Vector, Vector, None, Arithmetic,      \
    "v%o = s%a * v%b")                                                                                  \
  X(ScalarBroadcast, 19, "SCALAR_BROADCAST_OP", Scalar, None, Vector, None, Arithmetic,                 \
    "v%o = bcast(s%a)")                                                                                 \
  X(VectorReciprocal, 20, "VECTOR_RECIPROCAL_OP", Vector, None, Vector, None, Arithmetic,               \
    "v%o = 1 / v%a")                                                                                    \
  X(VectorNorm, 21, "VECTOR_NORM_OP", Vector, None, Scalar, None, Reduction, "s%o = norm(v%a)")         \
  X(VectorAbs, 22, "VECTOR_ABS_OP", Vector, None, Vector, None, Arithmetic, "v%o = abs(v%a)")           \
  X(VectorSum, 23, "VECTOR_SUM_OP", Vector, Vector, Vector, None, Arithmetic, "v%o = v%a + v%b")        \
  X(VectorDiff, 24, "VECTOR_DIFF_OP", Vector, Vector, Vector, None, Arithmetic, "v%o = v%a - v%b")      \
  X(VectorProduct, 25, "VECTOR_PRODUCT_OP", Vector, Vector, Vector, None, Arithmetic,                   \
    "v%o = v%a * v%b")                                                                                  \
  X(VectorDivision, 26, "VECTOR_DIVISION_OP", Vector, Vector, Vector, None, Arithmetic,                 \
    "v%o = v%a / v%b")                                                                                  \
  X(VectorInnerProduct, 27, "VECTOR_INNER_PRODUCT_OP", Vector, Vector, Scalar, None, Reduction,         \
    "s%o = dot(v%a, v%b)")                                                                              \
  X(VectorOuterProduct, 28, "VECTOR_OUTER_PRODUCT_OP", Vector, Vector, Matrix, None, Arithmetic,        \
    "m%o = outer(v%a, v%b)")                                                                            \
  X(ScalarMatrixProduct, 29, "SCALAR_MATRIX_PRODUCT_OP", Scalar, Matrix, Matrix, None, Arithmetic,      \
    "m%o = s%a * m%b")                                                                                  \
  X(MatrixReciprocal, 30, "MATRIX_RECIPROCAL_OP", Matrix, None, Matrix, None, Arithmetic,               \
    "m%o = 1 / m%a")                                                                                    \
  X(MatrixVectorProduct, 31, "MATRIX_VECTOR_PRODUCT_OP", Matrix, Vector, Vector, None, MatVec,          \
    "v%o = dot(m%a, v%b)")                                                                              \
  X(VectorColumnBroadcast, 32, "VECTOR_COLUMN_BROADCAST_OP", Vector, None, Matrix, None, Arithmetic,    \
    "m%o = bcast(v%a, axis=0)")                                                                         \
  X(VectorRowBroadcast, 33, "VECTOR_ROW_BROADCAST_OP", Vector, None, Matrix, None, Arithmetic,          \
    "m%o = bcast(v%a, axis=1)")                                                                         \
  X(MatrixNorm, 34, "MATRIX_NORM_OP", Matrix, None, Scalar, None, Reduction, "s%o = norm(m%a)")         \
  X(MatrixColumnNorm, 35, "MATRIX_COLUMN_NORM_OP", Matrix, None, Vector, None, Reduction,               \
    "v%o = norm(m%a, axis=0)")                                                                          \
  X(MatrixRowNorm, 36, "MATRIX_ROW_NORM_OP", Matrix, None, Vector, None, Reduction,                     \
    "v%o = norm(m%a, axis=1)")                                                                          \
  X(MatrixTranspose, 37, "MATRIX_TRANSPOSE_OP", Matrix, None, Matrix, None, Arithmetic,                 \
    "m%o = transpose(m%a)")                                                                             \
  X(MatrixAbs, 38, "MATRIX_ABS_OP", Matrix, None, Matrix, None, Arithmetic, "m%o = abs(m%a)")           \
  X(MatrixSum, 39, "MATRIX_SUM_OP", Matrix, Matrix, Matrix, None, Arithmetic, "m%o = m%a + m%b")        \
  X(MatrixDiff, 40, "MATRIX_DIFF_OP", Matrix, Matrix, Matrix, None, Arithmetic, "m%o = m%a - m%b")      \
  X(MatrixProduct, 41, "MATRIX_PRODUCT_OP", Matrix, Matrix, Matrix, None, Arithmetic,                   \
    "m%o = m%a * m%b")                                                                                  \
  X(MatrixDivision, 42, "MATRIX_DIVISION_OP", Matrix, Matrix, Matrix, None, Arithmetic,                 \
    "m%o = m%a / m%b")                                                                                  \
  X(MatrixMatrixProduct, 43, "MATRIX_MATRIX_PRODUCT_OP", Matrix, Matrix, Matrix, None, MatMul,          \
    "m%o = matmul(m%a, m%b)")                                                                           \
  X(ScalarMin, 44, "SCALAR_MIN_OP", Scalar, Scalar, Scalar, None, Arithmetic,                           \
    "s%o = minimum(s%a, s%b)")                                                                          \
  X(VectorMin, 45, "VECTOR_MIN_OP", Vector, Vector, Vector, None, Arithmetic,                           \
    "v%o = minimum(v%a, v%b)")                                                                          \
  X(MatrixMin, 46, "MATRIX_MIN_OP", Matrix, Matrix, Matrix, None, Arithmetic,                           \
    "m%o = minimum(m%a, m%b)")                                                                          \
  X(ScalarMax, 47, "SCALAR_MAX_OP", Scalar, Scalar, Scalar, None, Arithmetic,                           \
    "s%o = maximum(s%a, s%b)")                                                                          \
  X(VectorMax, 48, "VECTOR_MAX_OP", Vector, Vector, Vector, None, Arithmetic,                           \
    "v%o = maximum(v%a, v%b)")                                                                          \
  X(MatrixMax, 49, "MATRIX_MAX_OP", Matrix, Matrix, Matrix, None, Arithmetic,                           \
    "m%o = maximum(m%a, m%b)")                                                                          \
  X(VectorMean, 50, "VECTOR_MEAN_OP", Vector, None, Scalar, None, Reduction, "s%o = mean(v%a)")         \
  X(MatrixMean, 51, "MATRIX_MEAN_OP", Matrix, None, Scalar, None, Reduction, "s%o = mean(m%a)")         \
  X(MatrixRowMean, 52, "MATRIX_ROW_MEAN_OP", Matrix, None, Vector, None, Reduction,                     \
    "v%o = mean(m%a, axis=1)")                                                                          \
  X(MatrixRowStDev, 53, "MATRIX_ROW_ST_DEV_OP", Matrix, None, Vector, None, Reduction,                  \
    "v%o = std(m%a, axis=1)")                                                                           \
  X(VectorStDev, 54, "VECTOR_ST_DEV_OP", Vector, None, Scalar, None, Reduction, "s%o = std(v%a)")       \
  X(MatrixStDev, 55, "MATRIX_ST_DEV_OP", Matrix, None, Scalar, None, Reduction, "s%o = std(m%a)")       \
  X(ScalarConstSet, 56, "SCALAR_CONST_SET_OP", None, None, Scalar, ScalarConst, Trivial, "s%o = %0")    \
  X(VectorConstSet, 57, "VECTOR_CONST_SET_OP", None, None, Vector, VectorConst, Trivial,                \
    "v%o[%0] = %1")                                                                                     \
  X(MatrixConstSet, 58, "MATRIX_CONST_SET_OP", None, None, Matrix, MatrixConst, Trivial,                \
    "m%o[%0, %1] = %2")                                                                                 \
  X(ScalarUniformSet, 59, "SCALAR_UNIFORM_SET_OP", None, None, Scalar, Uniform, Random,                 \
    "s%o = uniform(%0, %1)")                                                                            \
  X(VectorUniformSet, 60, "VECTOR_UNIFORM_SET_OP", None, None, Vector, Uniform, Random,                 \
    "v%o = uniform(%0, %1, n_features)")                                                                \
  X(MatrixUniformSet, 61, "MATRIX_UNIFORM_SET_OP", None, None, Matrix, Uniform, Random,                 \
    "m%o = uniform(%0, %1, (n_features, n_features))")                                                  \
  X(ScalarGaussianSet, 62, "SCALAR_GAUSSIAN_SET_OP", None, None, Scalar, Gaussian, Random,              \
    "s%o = gaussian(%0, %1)")                                                                           \
  X(VectorGaussianSet, 63, "VECTOR_GAUSSIAN_SET_OP", None, None, Vector, Gaussian, Random,              \
    "v%o = gaussian(%0, %1, n_features)")                                                               \
  X(MatrixGaussianSet, 64, "MATRIX_GAUSSIAN_SET_OP", None, None, Matrix, Gaussian, Random,              \
    "m%o = gaussian(%0, %1, (n_features, n_features))")

// clang-format on

enum class Op : uint8_t {
#define AMLZ_X(name, code, ...) name = code,
  AMLZ_OPS(AMLZ_X)
#undef AMLZ_X
};

inline constexpr int kNumOps = 0
#define AMLZ_X(...) +1
    AMLZ_OPS(AMLZ_X)
#undef AMLZ_X
    ;
static_assert(kNumOps == 65, "AutoML-Zero has exactly 65 ops (spec §3)");

struct OpInfo {
  Op op;
  const char* enum_name;  // the original's enum spelling, used in config files
  Kind in1, in2, out;
  DataKind data;
  Cost cost;
  const char* print_template;
};

inline constexpr OpInfo kOpTable[kNumOps] = {
#define AMLZ_X(name, code, ename, in1, in2, out, data, cost, tmpl) \
  {Op::name, ename, Kind::in1, Kind::in2, Kind::out, DataKind::data, Cost::cost, tmpl},
    AMLZ_OPS(AMLZ_X)
#undef AMLZ_X
};

// The table must be dense and in code order so that kOpTable[code] is the op's row.
constexpr bool op_table_is_dense() {
  for (int i = 0; i < kNumOps; ++i)
    if (static_cast<int>(kOpTable[i].op) != i) return false;
  return true;
}
static_assert(op_table_is_dense(), "AMLZ_OPS rows must be listed in code order 0..64");

AMLZ_HD constexpr bool is_valid_op(uint8_t code) { return code < kNumOps; }
inline constexpr const OpInfo& op_info(Op op) { return kOpTable[static_cast<int>(op)]; }

// Number of float parameters an op uses (0..3).
constexpr int num_data(DataKind d) {
  switch (d) {
    case DataKind::None: return 0;
    case DataKind::ScalarConst: return 1;
    case DataKind::VectorConst: return 2;
    case DataKind::MatrixConst: return 3;
    case DataKind::Uniform: return 2;
    case DataKind::Gaussian: return 2;
  }
  return 0;
}

constexpr bool is_random_op(Op op) { return op_info(op).cost == Cost::Random; }

// Lookup by the original's enum name (e.g. "VECTOR_SUM_OP"); also accepts it without the "_OP" suffix and in
// lower case, so configs can say "vector_sum".
std::optional<Op> op_from_name(std::string_view name);
const char* op_name(Op op);
char kind_letter(Kind k);  // 's', 'v', 'm'

}  // namespace amlz
