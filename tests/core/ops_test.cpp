// SPDX-License-Identifier: Apache-2.0
// Semantic tests of every op (spec §3), one or more per op, run directly on the CPU reference interpreter with
// hand-computed expectations and the spec's edge values. Each test registers itself (op_test_registry.h) so that
// op_coverage_test.cpp can prove every row of kOpTable is covered.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/bytecode.h"
#include "amlz/core/op_semantics.h"
#include "amlz/core/philox.h"
// GCC's loop analysis of Eigen's generic matrix-vector kernel, instantiated here for F = 32, reports a spurious
// -Waggressive-loop-optimizations warning (the library's own instantiation is compiled in a different context).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#include "eval/cpu_interpreter.h"
#pragma GCC diagnostic pop
#include "core/op_test_registry.h"

namespace {

using amlz::Instr;
using amlz::Op;
using amlz::RandomStream;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

// Tolerance for transcendental results: float libm is within a few ulps (~1e-7 near 1) of the exact value.
constexpr float kTransTol = 1e-6f;

// The random context used when a test does not vary it.
constexpr RandomStream kContext{7u, 0u, amlz::kPhaseTrain, 0u};

// One interpreter with 8 scalars, 6 vectors and 4 matrices of size F. Every op it runs is recorded so the
// AMLZ_OP_TEST macro can check that a test really executed the op it covers.
template <int F, class T = float>
class Machine {
 public:
  static constexpr int kScalars = 8, kVectors = 6, kMatrices = 4;

  Machine() {
    amlz::ProgramDesc d{};
    d.n_scalars = kScalars;
    d.n_vectors = kVectors;
    d.n_matrices = kMatrices;
    it_.reset(d);
  }

  T& s(int i) { return it_.s(i); }
  auto v(int i) { return it_.v(i); }
  auto m(int i) { return it_.m(i); }

  void run(const Instr& in, const RandomStream& rc = kContext) {
    amlz::test::executed_ops().set(static_cast<size_t>(in.op));
    it_.run(&in, 1, rc);
  }

  std::vector<T> vec(int i) { return std::vector<T>(v(i).data(), v(i).data() + F); }
  // The raw row-major storage: element e = row * F + col.
  std::vector<T> mat(int i) { return std::vector<T>(m(i).data(), m(i).data() + F * F); }

  // All of memory, to compare bit for bit.
  std::vector<T> snapshot() {
    std::vector<T> all;
    for (int i = 0; i < kScalars; ++i) all.push_back(s(i));
    for (int i = 0; i < kVectors; ++i)
      for (T x : vec(i)) all.push_back(x);
    for (int i = 0; i < kMatrices; ++i)
      for (T x : mat(i)) all.push_back(x);
    return all;
  }

 private:
  amlz::cpu::Interpreter<T, F> it_;
};

uint8_t u8(int x) { return static_cast<uint8_t>(x); }

// An op reading in1 (and in2) and writing out.
Instr ins(Op op, int out, int in1 = 0, int in2 = 0) { return Instr{op, u8(out), u8(in1), u8(in2), 0.f, 0.f, 0.f}; }
// A const-set op with its float parameters.
Instr set_op(Op op, int out, float d0, float d1 = 0.f, float d2 = 0.f) { return Instr{op, u8(out), 0, 0, d0, d1, d2}; }
// A random op: in1/in2 hold its 16-bit source key (bytecode.h).
Instr random_op(Op op, int out, uint32_t key, float d0, float d1) {
  return Instr{op, u8(out), u8(key & 0xFFu), u8(key >> 8), d0, d1, 0.f};
}

// NaN expected -> NaN; otherwise equal within 4 ulps (tol == 0) or within tol. Infinities compare exactly.
void expect_value(float actual, float expected, float tol = 0.f, const char* what = "") {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected NaN, got " << actual;
  } else if (tol == 0.f || std::isinf(expected)) {
    EXPECT_FLOAT_EQ(expected, actual) << what;
  } else {
    EXPECT_NEAR(expected, actual, tol) << what;
  }
}

void expect_values(const std::vector<float>& actual, const std::vector<float>& expected, float tol = 0.f) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE("element " + std::to_string(i));
    expect_value(actual[i], expected[i], tol);
  }
}

// Runs a unary scalar op on each input and compares with the expected output.
struct UnaryCase {
  float in, expected;
};
void check_unary_scalar(Op op, const std::vector<UnaryCase>& cases, float tol = 0.f) {
  for (const UnaryCase& c : cases) {
    Machine<4> mach;
    mach.s(2) = c.in;
    mach.s(3) = 12345.f;  // the old output value must be overwritten
    mach.run(ins(op, 3, 2));
    SCOPED_TRACE("input " + std::to_string(c.in));
    expect_value(mach.s(3), c.expected, tol);
    EXPECT_EQ(std::memcmp(&mach.s(2), &c.in, sizeof(float)), 0) << "the input must not change";
  }
}

struct BinaryCase {
  float a, b, expected;
};
void check_binary_scalar(Op op, const std::vector<BinaryCase>& cases) {
  for (const BinaryCase& c : cases) {
    Machine<4> mach;
    mach.s(2) = c.a;
    mach.s(3) = c.b;
    mach.run(ins(op, 4, 2, 3));
    SCOPED_TRACE("a = " + std::to_string(c.a) + ", b = " + std::to_string(c.b));
    expect_value(mach.s(4), c.expected);
  }
}

// The value a random op must have drawn for one element, straight from core/philox.h.
float uniform_element(float lo, float hi, const RandomStream& rc, uint32_t key, uint32_t element) {
  const amlz::Philox4 r = amlz::random_op_draw(rc, key, element);
  return static_cast<float>(amlz::uniform_open(lo, hi, r.v[0]));
}
float gaussian_element(float mean, float sd, const RandomStream& rc, uint32_t key, uint32_t element) {
  const amlz::Philox4 r = amlz::random_op_draw(rc, key, element);
  return static_cast<float>(amlz::gaussian(mean, sd, r.v[0], r.v[1]));
}

struct Moments {
  double mean, stdev;
};
Moments moments(const std::vector<float>& x) {
  double sum = 0, sq = 0;
  for (float f : x) {
    sum += f;
    sq += static_cast<double>(f) * f;
  }
  const double mean = sum / static_cast<double>(x.size());
  return {mean, std::sqrt(sq / static_cast<double>(x.size()) - mean * mean)};
}

bool bits_equal(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 0: NO_OP
AMLZ_OP_TEST(NoOp, LeavesEveryMemoryCellUnchanged) {
  Machine<4> mach;
  // Distinct values everywhere, NaN included, so any write shows up in a bitwise comparison.
  for (int i = 0; i < 8; ++i) mach.s(i) = static_cast<float>(i) + 0.5f;
  mach.s(7) = kNaN;
  for (int i = 0; i < 6; ++i) mach.v(i).setConstant(static_cast<float>(-i));
  for (int i = 0; i < 4; ++i) mach.m(i).setConstant(static_cast<float>(100 + i));
  const std::vector<float> before = mach.snapshot();
  mach.run(ins(Op::NoOp, 1, 2, 3));
  const std::vector<float> after = mach.snapshot();
  ASSERT_EQ(before.size(), after.size());
  EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// 1-4: scalar arithmetic. Order of operands is in1 op in2; no guards, IEEE results.
AMLZ_OP_TEST(ScalarSum, AddsOperands) {
  check_binary_scalar(Op::ScalarSum, {
                                         {1.5f, -0.25f, 1.25f}, {kInf, -kInf, kNaN},  // inf - inf is NaN, not guarded
                                     });
  Machine<4> mach;  // out may alias an input
  mach.s(2) = 1.5f;
  mach.run(ins(Op::ScalarSum, 2, 2, 2));
  EXPECT_FLOAT_EQ(mach.s(2), 3.f);
}

AMLZ_OP_TEST(ScalarDiff, SubtractsSecondFromFirst) {
  check_binary_scalar(Op::ScalarDiff, {
                                          {1.f, 3.f, -2.f},  // in1 - in2, not in2 - in1
                                          {1.5f, -0.25f, 1.75f},
                                          {kInf, kInf, kNaN},
                                      });
}

AMLZ_OP_TEST(ScalarProduct, MultipliesOperands) {
  check_binary_scalar(Op::ScalarProduct, {
                                             {1.5f, -0.25f, -0.375f},
                                             {0.f, kInf, kNaN},  // 0 * inf is NaN
                                             {-2.f, kInf, -kInf},
                                         });
}

AMLZ_OP_TEST(ScalarDivision, DividesWithoutGuards) {
  check_binary_scalar(Op::ScalarDivision, {
                                              {3.f, 2.f, 1.5f},  // in1 / in2
                                              {1.f, 0.f, kInf},  // x/0 -> +inf for x > 0
                                              {-1.f, 0.f, -kInf},
                                              {1.f, -0.f, -kInf},  // the sign of zero counts
                                              {0.f, 0.f, kNaN},    // 0/0 -> NaN
                                          });
}

// ---------------------------------------------------------------------------------------------------------------
// 5-14: scalar unary functions.
AMLZ_OP_TEST(ScalarAbs, TakesAbsoluteValue) {
  check_unary_scalar(Op::ScalarAbs, {{-2.5f, 2.5f}, {2.5f, 2.5f}, {-kInf, kInf}, {kNaN, kNaN}});
  Machine<4> mach;  // abs(-0) is +0
  mach.s(2) = -0.f;
  mach.run(ins(Op::ScalarAbs, 3, 2));
  EXPECT_EQ(mach.s(3), 0.f);
  EXPECT_FALSE(std::signbit(mach.s(3)));
}

AMLZ_OP_TEST(ScalarReciprocal, InvertsWithoutGuards) {
  check_unary_scalar(Op::ScalarReciprocal, {
                                               {4.f, 0.25f},
                                               {-0.5f, -2.f},
                                               {0.f, kInf},    // 1/0 = +inf
                                               {-0.f, -kInf},  // 1/-0 = -inf
                                               {kInf, 0.f},
                                           });
}

AMLZ_OP_TEST(ScalarSin, ComputesSine) {
  check_unary_scalar(Op::ScalarSin,
                     {
                         {0.f, 0.f},
                         {1.f, static_cast<float>(std::sin(1.0))},
                         {static_cast<float>(-kPi / 2), -1.f},
                         {kInf, kNaN},  // sin(inf) is NaN
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarCos, ComputesCosine) {
  check_unary_scalar(Op::ScalarCos,
                     {
                         {0.f, 1.f},
                         {1.f, static_cast<float>(std::cos(1.0))},
                         {static_cast<float>(kPi), -1.f},
                         {kInf, kNaN},
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarTan, ComputesTangent) {
  check_unary_scalar(Op::ScalarTan,
                     {
                         {0.f, 0.f},
                         {1.f, static_cast<float>(std::tan(1.0))},
                         {-0.5f, static_cast<float>(std::tan(-0.5))},
                         {kInf, kNaN},
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarArcSin, IsNanOutsideMinusOneToOne) {
  check_unary_scalar(Op::ScalarArcSin,
                     {
                         {0.5f, static_cast<float>(kPi / 6)},
                         {-1.f, static_cast<float>(-kPi / 2)},  // the domain is closed: -1 is fine
                         {1.5f, kNaN},                          // outside [-1, 1]: NaN, no clamp
                         {-1.0001f, kNaN},
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarArcCos, IsNanOutsideMinusOneToOne) {
  check_unary_scalar(Op::ScalarArcCos,
                     {
                         {0.5f, static_cast<float>(kPi / 3)},
                         {-1.f, static_cast<float>(kPi)},
                         {1.f, 0.f},
                         {2.f, kNaN},  // outside [-1, 1]
                         {-1.0001f, kNaN},
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarArcTan, ComputesArcTangent) {
  check_unary_scalar(Op::ScalarArcTan,
                     {
                         {1.f, static_cast<float>(kPi / 4)},
                         {-1.f, static_cast<float>(-kPi / 4)},
                         {kInf, static_cast<float>(kPi / 2)},  // defined on the whole line, limits at +-inf
                         {-kInf, static_cast<float>(-kPi / 2)},
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarExp, ComputesExponentialAndOverflowsToInf) {
  check_unary_scalar(Op::ScalarExp,
                     {
                         {0.f, 1.f},
                         {1.f, static_cast<float>(std::exp(1.0))},
                         {-1.f, static_cast<float>(std::exp(-1.0))},
                         {89.f, kInf},  // e^89 = 4.5e38 exceeds FLT_MAX: overflow to +inf in float32
                         {-kInf, 0.f},
                     },
                     kTransTol);
}

AMLZ_OP_TEST(ScalarLog, IsMinusInfAtZeroAndNanForNegatives) {
  check_unary_scalar(Op::ScalarLog,
                     {
                         {static_cast<float>(std::exp(1.0)), 1.f},
                         {1.f, 0.f},
                         {0.f, -kInf},   // log(0) = -inf
                         {-0.f, -kInf},  // -0 is zero too
                         {-1.f, kNaN},   // log of a negative is NaN
                         {kInf, kInf},
                     },
                     kTransTol);
}

// ---------------------------------------------------------------------------------------------------------------
// 15-17: heaviside. Scalar counts 0 as positive (>=), vector and matrix do not (>). NaN -> 0 everywhere.
AMLZ_OP_TEST(ScalarHeaviside, ZeroGivesOneAndNanGivesZero) {
  check_unary_scalar(Op::ScalarHeaviside, {
                                              {0.f, 1.f},      // a >= 0: zero is "positive"
                                              {-0.f, 1.f},     // -0 >= 0 is true as well
                                              {3.f, 1.f},      //
                                              {1e-30f, 1.f},   //
                                              {-1e-30f, 0.f},  // smallest negatives are still negative
                                              {-kInf, 0.f},    //
                                              {kInf, 1.f},     //
                                              {kNaN, 0.f},     // NaN >= 0 is false
                                          });
}

AMLZ_OP_TEST(VectorHeaviside, ZeroGivesZeroAndNanGivesZero) {
  Machine<8> mach;  // F = 8 to fit all edge values in one vector
  mach.v(1) << 0.f, -0.f, 2.f, -3.f, kNaN, kInf, -kInf, 1e-30f;
  mach.run(ins(Op::VectorHeaviside, 2, 1));
  // x > 0 strictly: 0 and -0 give 0 (unlike the scalar op), NaN gives 0.
  expect_values(mach.vec(2), {0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 1.f});
}

AMLZ_OP_TEST(MatrixHeaviside, ZeroGivesZeroAndNanGivesZero) {
  Machine<4> mach;
  mach.m(0) << 0.f, -0.f, 1.f, -1.f,  //
      kNaN, kInf, -kInf, 1e-30f,      //
      0.5f, -0.5f, 2.f, -2.f,         //
      0.f, 0.f, 0.f, 1.f;
  mach.run(ins(Op::MatrixHeaviside, 1, 0));
  // Same strict > 0 as the vector op.
  expect_values(mach.mat(1), {0, 0, 1, 0,  //
                              0, 1, 0, 1,  //
                              1, 0, 1, 0,  //
                              0, 0, 0, 1});
}

// ---------------------------------------------------------------------------------------------------------------
// 18-27: vector ops.
AMLZ_OP_TEST(ScalarVectorProduct, ScalesVectorByScalarInIn1) {
  Machine<4> mach;
  mach.s(2) = 2.f;
  mach.s(1) = 5.f;  // decoys: reading in1 as a vector or in2 as a scalar would give other numbers
  mach.v(1) << 1.f, -2.f, 3.f, 0.5f;
  mach.v(2) << 9.f, 9.f, 9.f, 9.f;
  mach.run(ins(Op::ScalarVectorProduct, 3, /*scalar*/ 2, /*vector*/ 1));
  expect_values(mach.vec(3), {2.f, -4.f, 6.f, 1.f});
  mach.run(ins(Op::ScalarVectorProduct, 1, 2, 1));  // out aliases the vector input
  expect_values(mach.vec(1), {2.f, -4.f, 6.f, 1.f});
  mach.s(3) = 0.f;  // 0 * +-inf = NaN element-wise
  mach.v(4) << kInf, 1.f, -kInf, 0.f;
  mach.run(ins(Op::ScalarVectorProduct, 5, 3, 4));
  expect_values(mach.vec(5), {kNaN, 0.f, kNaN, 0.f});
}

AMLZ_OP_TEST(ScalarBroadcast, FillsEveryElement) {
  Machine<4> mach;
  mach.s(2) = -1.5f;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;  // overwritten completely
  mach.run(ins(Op::ScalarBroadcast, 1, 2));
  expect_values(mach.vec(1), {-1.5f, -1.5f, -1.5f, -1.5f});
  Machine<2> small;
  small.s(3) = kNaN;
  small.run(ins(Op::ScalarBroadcast, 1, 3));
  expect_values(small.vec(1), {kNaN, kNaN});
}

AMLZ_OP_TEST(VectorReciprocal, InvertsElementwiseWithoutGuards) {
  Machine<4> mach;
  mach.v(1) << 2.f, -4.f, 0.f, -0.f;
  mach.run(ins(Op::VectorReciprocal, 2, 1));
  expect_values(mach.vec(2), {0.5f, -0.25f, kInf, -kInf});  // 1/0 = inf, 1/-0 = -inf
}

AMLZ_OP_TEST(VectorNorm, IsEuclideanNorm) {
  Machine<4> mach;
  mach.v(1) << 3.f, 4.f, 0.f, 12.f;   // sqrt(9 + 16 + 144) = 13
  mach.v(2) << 1.f, -1.f, 1.f, -1.f;  // sqrt(4) = 2 (the squares, not the sum)
  mach.run(ins(Op::VectorNorm, 2, 1));
  mach.run(ins(Op::VectorNorm, 3, 2));
  mach.run(ins(Op::VectorNorm, 4, 3));  // zero vector
  EXPECT_FLOAT_EQ(mach.s(2), 13.f);
  EXPECT_FLOAT_EQ(mach.s(3), 2.f);
  EXPECT_FLOAT_EQ(mach.s(4), 0.f);
}

AMLZ_OP_TEST(VectorAbs, TakesElementwiseAbsoluteValue) {
  Machine<4> mach;
  mach.v(1) << -1.f, 2.f, -0.f, -kInf;
  mach.run(ins(Op::VectorAbs, 2, 1));
  expect_values(mach.vec(2), {1.f, 2.f, 0.f, kInf});
  EXPECT_FALSE(std::signbit(mach.vec(2)[2])) << "abs(-0) is +0";
}

AMLZ_OP_TEST(VectorSum, AddsElementwise) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, kInf;
  mach.v(2) << 0.5f, -2.f, kInf, -kInf;
  mach.run(ins(Op::VectorSum, 3, 1, 2));
  expect_values(mach.vec(3), {1.5f, 0.f, kInf, kNaN});  // inf + -inf = NaN
}

AMLZ_OP_TEST(VectorDiff, SubtractsSecondFromFirst) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;
  mach.v(2) << 4.f, 3.f, 2.f, 1.f;
  mach.run(ins(Op::VectorDiff, 3, 1, 2));
  expect_values(mach.vec(3), {-3.f, -1.f, 1.f, 3.f});  // in1 - in2
  mach.run(ins(Op::VectorDiff, 4, 1, 1));              // x - x = 0 exactly
  expect_values(mach.vec(4), {0.f, 0.f, 0.f, 0.f});
}

AMLZ_OP_TEST(VectorProduct, MultipliesElementwise) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, kInf;
  mach.v(2) << 2.f, -1.f, 0.5f, 0.f;
  mach.run(ins(Op::VectorProduct, 3, 1, 2));
  expect_values(mach.vec(3), {2.f, -2.f, 1.5f, kNaN});  // element-wise, not a dot product; inf * 0 = NaN
}

AMLZ_OP_TEST(VectorDivision, DividesElementwiseWithoutGuards) {
  Machine<4> mach;
  mach.v(1) << 1.f, -1.f, 0.f, 6.f;
  mach.v(2) << 0.f, 0.f, 0.f, 3.f;
  mach.run(ins(Op::VectorDivision, 3, 1, 2));
  expect_values(mach.vec(3), {kInf, -kInf, kNaN, 2.f});  // 1/0, -1/0, 0/0, 6/3
}

AMLZ_OP_TEST(VectorInnerProduct, IsDotProduct) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;
  mach.v(2) << 0.5f, -1.f, 2.f, 0.25f;
  mach.run(ins(Op::VectorInnerProduct, 2, 1, 2));
  EXPECT_FLOAT_EQ(mach.s(2), 5.5f);  // 0.5 - 2 + 6 + 1
  mach.run(ins(Op::VectorInnerProduct, 3, 1, 1));
  EXPECT_FLOAT_EQ(mach.s(3), 30.f);  // 1 + 4 + 9 + 16
}

AMLZ_OP_TEST(VectorOuterProduct, FirstOperandIndexesRows) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;
  mach.v(2) << 1.f, -1.f, 0.5f, 2.f;
  mach.run(ins(Op::VectorOuterProduct, 0, 1, 2));
  // M(i, j) = a(i) * b(j), stored row-major: storage element 3 is M(0,3) = 1*2, element 12 is M(3,0) = 4*1.
  expect_values(mach.mat(0), {1, -1, 0.5f, 2,  //
                              2, -2, 1, 4,     //
                              3, -3, 1.5f, 6,  //
                              4, -4, 2, 8});
  Machine<2> small;
  small.v(1) << 1.f, 2.f;
  small.v(2) << 3.f, 5.f;
  small.run(ins(Op::VectorOuterProduct, 1, 1, 2));
  expect_values(small.mat(1), {3, 5, 6, 10});
}

// ---------------------------------------------------------------------------------------------------------------
// 28-43: matrix ops. Matrices are row-major.
AMLZ_OP_TEST(ScalarMatrixProduct, ScalesMatrixByScalarInIn1) {
  Machine<4> mach;
  mach.s(2) = -2.f;
  mach.s(1) = 7.f;  // decoy
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) mach.m(1)(i, j) = static_cast<float>(4 * i + j);
  mach.run(ins(Op::ScalarMatrixProduct, 2, /*scalar*/ 2, /*matrix*/ 1));
  std::vector<float> expected;
  for (int e = 0; e < 16; ++e) expected.push_back(-2.f * static_cast<float>(e));
  expect_values(mach.mat(2), expected);
}

AMLZ_OP_TEST(MatrixReciprocal, InvertsElementwiseWithoutGuards) {
  Machine<4> mach;
  mach.m(0).setConstant(1.f);
  mach.m(0).row(0) << 1.f, 2.f, 4.f, -0.5f;
  mach.m(0).row(1) << 0.f, -0.f, 0.25f, -4.f;
  mach.run(ins(Op::MatrixReciprocal, 1, 0));
  expect_values(mach.mat(1), {1, 0.5f, 0.25f, -2,      //
                              kInf, -kInf, 4, -0.25f,  // 1/0 and 1/-0
                              1, 1, 1, 1,              //
                              1, 1, 1, 1});
}

AMLZ_OP_TEST(MatrixVectorProduct, IsMTimesVAndSafeWhenOutAliasesInput) {
  Machine<4> mach;
  mach.m(0) << 1, 2, 0, 0,  //
      0, 1, 0, 0,           //
      0, 0, 2, 0,           //
      1, 1, 1, 1;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;
  mach.run(ins(Op::MatrixVectorProduct, 2, /*matrix*/ 0, /*vector*/ 1));
  // M v = [1+4, 2, 6, 1+2+3+4]; the transpose would give [5, 8, 10, 4].
  expect_values(mach.vec(2), {5.f, 2.f, 6.f, 10.f});
  // out == in2: a naive in-place loop would use the new v(0..2) for the last row and give 17.
  mach.run(ins(Op::MatrixVectorProduct, 1, 0, 1));
  expect_values(mach.vec(1), {5.f, 2.f, 6.f, 10.f});
}

AMLZ_OP_TEST(VectorColumnBroadcast, EveryColumnIsTheVector) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;
  mach.run(ins(Op::VectorColumnBroadcast, 0, 1));
  // M(i, j) = v(i): row i is constant v(i).
  expect_values(mach.mat(0), {1, 1, 1, 1,  //
                              2, 2, 2, 2,  //
                              3, 3, 3, 3,  //
                              4, 4, 4, 4});
  Machine<2> small;
  small.v(1) << 7.f, -1.f;
  small.run(ins(Op::VectorColumnBroadcast, 0, 1));
  expect_values(small.mat(0), {7, 7, -1, -1});
}

AMLZ_OP_TEST(VectorRowBroadcast, EveryRowIsTheVector) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;
  mach.run(ins(Op::VectorRowBroadcast, 0, 1));
  // M(i, j) = v(j): every row is v.
  expect_values(mach.mat(0), {1, 2, 3, 4,  //
                              1, 2, 3, 4,  //
                              1, 2, 3, 4,  //
                              1, 2, 3, 4});
  Machine<2> small;
  small.v(1) << 7.f, -1.f;
  small.run(ins(Op::VectorRowBroadcast, 0, 1));
  expect_values(small.mat(0), {7, -1, 7, -1});
}

AMLZ_OP_TEST(MatrixNorm, IsFrobeniusNorm) {
  Machine<4> mach;
  mach.m(0)(0, 0) = 3.f;
  mach.m(0)(1, 2) = 4.f;
  mach.m(1).setConstant(-0.5f);  // sqrt(16 * 0.25) = 2: all F^2 elements count
  mach.run(ins(Op::MatrixNorm, 2, 0));
  mach.run(ins(Op::MatrixNorm, 3, 1));
  EXPECT_FLOAT_EQ(mach.s(2), 5.f);
  EXPECT_FLOAT_EQ(mach.s(3), 2.f);
}

AMLZ_OP_TEST(MatrixColumnNorm, NormOfEachColumn) {
  Machine<4> mach;
  mach.m(0) << 3, 0, 1, 0,  //
      4, 0, 0, 0,           //
      0, 0, 0, 0,           //
      0, 0, 0, 2;
  mach.run(ins(Op::MatrixColumnNorm, 1, 0));
  // v(j) = |column j|: columns are [3,4,0,0], 0, [1,0,0,0], [0,0,0,2]. (Row norms would be sqrt10, 4, 0, 2.)
  expect_values(mach.vec(1), {5.f, 0.f, 1.f, 2.f});
  Machine<2> small;
  small.m(0) << 3, 0,  //
      4, 1;
  small.run(ins(Op::MatrixColumnNorm, 1, 0));
  expect_values(small.vec(1), {5.f, 1.f});
}

AMLZ_OP_TEST(MatrixRowNorm, NormOfEachRow) {
  Machine<4> mach;
  mach.m(0) << 3, 0, 1, 0,  //
      4, 0, 0, 0,           //
      0, 0, 0, 0,           //
      0, 0, 0, 2;
  mach.run(ins(Op::MatrixRowNorm, 1, 0));
  // v(i) = |row i| (column norms would be 5, 0, 1, 2).
  expect_values(mach.vec(1), {static_cast<float>(std::sqrt(10.0)), 4.f, 0.f, 2.f}, kTransTol);
  Machine<2> small;
  small.m(0) << 3, 0,  //
      4, 1;
  small.run(ins(Op::MatrixRowNorm, 1, 0));
  expect_values(small.vec(1), {3.f, static_cast<float>(std::sqrt(17.0))}, kTransTol);
}

AMLZ_OP_TEST(MatrixTranspose, TransposesAlsoInPlace) {
  Machine<4> mach;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) mach.m(0)(i, j) = static_cast<float>(4 * i + j);
  std::vector<float> transposed;  // T(i, j) = M(j, i) = 4j + i
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) transposed.push_back(static_cast<float>(4 * j + i));
  const std::vector<float> original = mach.mat(0);
  mach.run(ins(Op::MatrixTranspose, 1, 0));
  expect_values(mach.mat(1), transposed);
  expect_values(mach.mat(0), original);  // the input is untouched
  // out == in1: a naive in-place swap loop would leave a symmetric matrix.
  mach.run(ins(Op::MatrixTranspose, 0, 0));
  expect_values(mach.mat(0), transposed);
}

AMLZ_OP_TEST(MatrixAbs, TakesElementwiseAbsoluteValue) {
  Machine<2> mach;
  mach.m(0) << -1.5f, 2.f,  //
      -0.f, -kInf;
  mach.run(ins(Op::MatrixAbs, 1, 0));
  expect_values(mach.mat(1), {1.5f, 2.f, 0.f, kInf});
  EXPECT_FALSE(std::signbit(mach.m(1)(1, 0))) << "abs(-0) is +0";
}

AMLZ_OP_TEST(MatrixSum, AddsElementwise) {
  Machine<2> mach;
  mach.m(0) << 1, 2,  //
      3, kInf;
  mach.m(1) << 10, -2,  //
      0.5f, -kInf;
  mach.run(ins(Op::MatrixSum, 2, 0, 1));
  expect_values(mach.mat(2), {11.f, 0.f, 3.5f, kNaN});  // inf + -inf = NaN
}

AMLZ_OP_TEST(MatrixDiff, SubtractsSecondFromFirst) {
  Machine<4> mach;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      mach.m(0)(i, j) = static_cast<float>(4 * i + j);
      mach.m(1)(i, j) = static_cast<float>(4 * j + i);
    }
  mach.run(ins(Op::MatrixDiff, 2, 0, 1));
  // (4i + j) - (4j + i) = 3(i - j): the sign shows that in1 - in2 is computed.
  std::vector<float> expected;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) expected.push_back(static_cast<float>(3 * (i - j)));
  expect_values(mach.mat(2), expected);
}

AMLZ_OP_TEST(MatrixProduct, IsElementwiseNotMatmul) {
  Machine<2> mach;
  mach.m(0) << 1, 2,  //
      3, 4;
  mach.m(1) << 5, 6,  //
      7, 8;
  mach.run(ins(Op::MatrixProduct, 2, 0, 1));
  expect_values(mach.mat(2), {5, 12, 21, 32});  // the matrix product would be [19 22; 43 50]
}

AMLZ_OP_TEST(MatrixDivision, DividesElementwiseWithoutGuards) {
  Machine<2> mach;
  mach.m(0) << 1, -1,  //
      0, 6;
  mach.m(1) << 0, 0,  //
      0, 3;
  mach.run(ins(Op::MatrixDivision, 2, 0, 1));
  expect_values(mach.mat(2), {kInf, -kInf, kNaN, 2.f});  // 1/0, -1/0, 0/0, 6/3
}

AMLZ_OP_TEST(MatrixMatrixProduct, IsAB) {
  Machine<2> mach;
  mach.m(0) << 1, 2,  //
      3, 4;
  mach.m(1) << 5, 6,  //
      7, 8;
  mach.run(ins(Op::MatrixMatrixProduct, 2, 0, 1));
  // A B = [1*5+2*7, 1*6+2*8; 3*5+4*7, 3*6+4*8]; B A would be [23 34; 31 46].
  expect_values(mach.mat(2), {19, 22, 43, 50});
}

AMLZ_OP_TEST(MatrixMatrixProduct, SafeWhenOutAliasesEitherInput) {
  // Dense, non-symmetric inputs so that reading a partly written output would change the result.
  auto fill = [](auto&& a, auto&& b) {
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        a(i, j) = static_cast<float>(i + 2 * j + 1);
        b(i, j) = static_cast<float>(3 * i - j);
      }
  };
  Machine<4> mach;
  fill(mach.m(0), mach.m(1));
  std::vector<float> expected(16, 0.f);  // reference product by the textbook triple loop
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 4; ++k) expected[i * 4 + j] += mach.m(0)(i, k) * mach.m(1)(k, j);
  mach.run(ins(Op::MatrixMatrixProduct, 0, 0, 1));  // out == in1
  expect_values(mach.mat(0), expected);
  fill(mach.m(0), mach.m(1));
  mach.run(ins(Op::MatrixMatrixProduct, 1, 0, 1));  // out == in2
  expect_values(mach.mat(1), expected);
}

// ---------------------------------------------------------------------------------------------------------------
// 44-49: min / max. Scalar and vector: keep the first operand unless the second is strictly smaller (min) or
// larger (max). Matrix: `a < b ? a : b` and `a > b ? a : b`, so the NaN order is the other way round.
AMLZ_OP_TEST(ScalarMin, KeepsFirstOperandUnlessSecondIsSmaller) {
  check_binary_scalar(Op::ScalarMin, {
                                         {1.f, 2.f, 1.f},
                                         {2.f, 1.f, 1.f},
                                         {kNaN, 1.f, kNaN},  // 1 < NaN is false: keep the first (NaN)
                                         {1.f, kNaN, 1.f},   // NaN < 1 is false: keep the first (1)
                                         {-kInf, 3.f, -kInf},
                                     });
  Machine<4> mach;  // signed zeros: 0 < -0 is false, so min(-0, 0) keeps -0 and min(0, -0) keeps +0
  mach.s(2) = -0.f;
  mach.s(3) = 0.f;
  mach.run(ins(Op::ScalarMin, 4, 2, 3));
  mach.run(ins(Op::ScalarMin, 5, 3, 2));
  EXPECT_TRUE(std::signbit(mach.s(4)));
  EXPECT_FALSE(std::signbit(mach.s(5)));
}

AMLZ_OP_TEST(VectorMin, KeepsFirstOperandUnlessSecondIsSmaller) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, kNaN, 1.f;
  mach.v(2) << 2.f, 1.f, 1.f, kNaN;
  mach.run(ins(Op::VectorMin, 3, 1, 2));
  expect_values(mach.vec(3), {1.f, 1.f, kNaN, 1.f});  // same NaN rule as the scalar op
}

AMLZ_OP_TEST(MatrixMin, NanOrderIsReversed) {
  Machine<4> mach;
  mach.m(0).row(0) << 1.f, 2.f, kNaN, 1.f;
  mach.m(1).row(0) << 2.f, 1.f, 1.f, kNaN;
  mach.m(0).row(1) << -0.f, 0.f, -kInf, 5.f;
  mach.m(1).row(1) << 0.f, -0.f, 3.f, 5.f;
  mach.run(ins(Op::MatrixMin, 2, 0, 1));
  // a < b ? a : b: min(NaN, 1) = 1 and min(1, NaN) = NaN, the opposite of the scalar/vector ops.
  expect_values(mach.mat(2), {1, 1, 1, kNaN,   //
                              0, 0, -kInf, 5,  //
                              0, 0, 0, 0,      //
                              0, 0, 0, 0});
  // Ties (signed zeros) take the SECOND operand: min_m(-0, 0) = +0, min_m(0, -0) = -0.
  EXPECT_FALSE(std::signbit(mach.m(2)(1, 0)));
  EXPECT_TRUE(std::signbit(mach.m(2)(1, 1)));
}

AMLZ_OP_TEST(ScalarMax, KeepsFirstOperandUnlessSecondIsLarger) {
  check_binary_scalar(Op::ScalarMax, {
                                         {1.f, 2.f, 2.f},
                                         {2.f, 1.f, 2.f},
                                         {kNaN, 1.f, kNaN},  // NaN < 1 is false: keep the first (NaN)
                                         {1.f, kNaN, 1.f},   // 1 < NaN is false: keep the first (1)
                                         {-kInf, 3.f, 3.f},
                                     });
  Machine<4> mach;  // ties keep the first operand: max(-0, 0) = -0
  mach.s(2) = -0.f;
  mach.s(3) = 0.f;
  mach.run(ins(Op::ScalarMax, 4, 2, 3));
  EXPECT_TRUE(std::signbit(mach.s(4)));
}

AMLZ_OP_TEST(VectorMax, KeepsFirstOperandUnlessSecondIsLarger) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, kNaN, 1.f;
  mach.v(2) << 2.f, 1.f, 1.f, kNaN;
  mach.run(ins(Op::VectorMax, 3, 1, 2));
  expect_values(mach.vec(3), {2.f, 2.f, kNaN, 1.f});
}

AMLZ_OP_TEST(MatrixMax, NanOrderIsReversed) {
  Machine<4> mach;
  mach.m(0).row(0) << 1.f, 2.f, kNaN, 1.f;
  mach.m(1).row(0) << 2.f, 1.f, 1.f, kNaN;
  mach.m(0).row(1) << -0.f, 0.f, -kInf, 5.f;
  mach.m(1).row(1) << 0.f, -0.f, 3.f, 5.f;
  mach.run(ins(Op::MatrixMax, 2, 0, 1));
  // a > b ? a : b: max(NaN, 1) = 1 and max(1, NaN) = NaN.
  expect_values(mach.mat(2), {2, 2, 1, kNaN,  //
                              0, 0, 3, 5,     //
                              0, 0, 0, 0,     //
                              0, 0, 0, 0});
  EXPECT_FALSE(std::signbit(mach.m(2)(1, 0)));  // tie: second operand (+0)
  EXPECT_TRUE(std::signbit(mach.m(2)(1, 1)));   // tie: second operand (-0)
}

// ---------------------------------------------------------------------------------------------------------------
// 50-55: means and population standard deviations (divide by F or F^2, "mean of squares minus squared mean").
AMLZ_OP_TEST(VectorMean, AveragesFElements) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 10.f;
  mach.run(ins(Op::VectorMean, 2, 1));
  EXPECT_FLOAT_EQ(mach.s(2), 4.f);  // 16 / 4
  Machine<8> big;
  big.v(1) << 1, 2, 3, 4, 5, 6, 7, 8;
  big.run(ins(Op::VectorMean, 2, 1));
  EXPECT_FLOAT_EQ(big.s(2), 4.5f);  // 36 / 8
}

AMLZ_OP_TEST(MatrixMean, AveragesFSquaredElements) {
  Machine<4> mach;
  for (int e = 0; e < 16; ++e) mach.m(0).data()[e] = static_cast<float>(e);
  mach.run(ins(Op::MatrixMean, 2, 0));
  EXPECT_FLOAT_EQ(mach.s(2), 7.5f);  // (0 + ... + 15) / 16
  Machine<8> big;
  for (int e = 0; e < 64; ++e) big.m(0).data()[e] = static_cast<float>(e);
  big.run(ins(Op::MatrixMean, 2, 0));
  EXPECT_FLOAT_EQ(big.s(2), 31.5f);  // (0 + ... + 63) / 64
}

AMLZ_OP_TEST(MatrixRowMean, AveragesEachRow) {
  Machine<4> mach;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) mach.m(0)(i, j) = static_cast<float>(4 * i + j);
  mach.run(ins(Op::MatrixRowMean, 1, 0));
  // Row i = [4i .. 4i+3], mean 4i + 1.5. (Column means would be 6, 7, 8, 9.)
  expect_values(mach.vec(1), {1.5f, 5.5f, 9.5f, 13.5f});
}

AMLZ_OP_TEST(MatrixRowStDev, PopulationStDevOfEachRow) {
  Machine<4> mach;
  mach.m(0) << 1, 1, 1, 1,  // constant: exactly 0 (4/4 - 1^2), not NaN
      0, 0, 2, 2,           // mean 1, mean of squares 2: sqrt(1) = 1
      1, 2, 3, 4,           // mean 2.5, mean of squares 7.5: sqrt(1.25) (the sample st.dev. would be 1.29)
      0, 0, 0, 8;           // mean 2, mean of squares 16: sqrt(12)
  mach.run(ins(Op::MatrixRowStDev, 1, 0));
  expect_values(mach.vec(1), {0.f, 1.f, static_cast<float>(std::sqrt(1.25)), static_cast<float>(std::sqrt(12.0))},
                kTransTol);
  EXPECT_EQ(mach.vec(1)[0], 0.f);
}

AMLZ_OP_TEST(VectorStDev, PopulationStDevDividesByF) {
  Machine<4> mach;
  mach.v(1) << 1.f, 2.f, 3.f, 4.f;  // 30/4 - 2.5^2 = 1.25; dividing by F-1 would give sqrt(5/3)
  mach.v(2) << 5.f, 5.f, 5.f, 5.f;  // 100/4 - 25 = 0 exactly
  mach.run(ins(Op::VectorStDev, 2, 1));
  mach.run(ins(Op::VectorStDev, 3, 2));
  EXPECT_NEAR(mach.s(2), std::sqrt(1.25), kTransTol);
  EXPECT_EQ(mach.s(3), 0.f);
  Machine<8> big;
  big.v(1) << 0, 0, 0, 0, 0, 0, 0, 8;  // mean 1, mean of squares 64/8 = 8: sqrt(7)
  big.run(ins(Op::VectorStDev, 2, 1));
  EXPECT_NEAR(big.s(2), std::sqrt(7.0), kTransTol);
  Machine<2> small;
  small.v(1) << 1.f, 3.f;  // mean 2, mean of squares 5: sqrt(1)
  small.run(ins(Op::VectorStDev, 2, 1));
  EXPECT_FLOAT_EQ(small.s(2), 1.f);
}

AMLZ_OP_TEST(MatrixStDev, PopulationStDevDividesByFSquared) {
  Machine<4> mach;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) mach.m(0)(i, j) = (i + j) % 2 == 0 ? 1.f : -1.f;  // mean 0, squares 1: st.dev. 1
  mach.m(1)(0, 0) = 4.f;  // mean 4/16, mean of squares 16/16: sqrt(1 - 1/16) (dividing by F would give sqrt(3))
  mach.run(ins(Op::MatrixStDev, 2, 0));
  mach.run(ins(Op::MatrixStDev, 3, 1));
  EXPECT_FLOAT_EQ(mach.s(2), 1.f);
  EXPECT_NEAR(mach.s(3), std::sqrt(0.9375), kTransTol);
}

// ---------------------------------------------------------------------------------------------------------------
// 56-58: constant setters. Positions are floats in [0,1): index = int(float(F) * f), truncating.
AMLZ_OP_TEST(ScalarConstSet, WritesTheConstant) {
  Machine<4> mach;
  mach.run(set_op(Op::ScalarConstSet, 1, 0.375f));  // s1 (the prediction) is a legal output
  mach.run(set_op(Op::ScalarConstSet, 2, -0.8f));
  EXPECT_EQ(mach.s(1), 0.375f);
  EXPECT_EQ(mach.s(2), -0.8f);
}

AMLZ_OP_TEST(VectorConstSet, DecodesIndexByTruncatingFTimesF) {
  Machine<4> mach;
  mach.v(1).setConstant(7.f);
  mach.run(set_op(Op::VectorConstSet, 1, 0.2499f, -0.5f));  // 4 * 0.2499 = 0.9996 -> 0
  mach.run(set_op(Op::VectorConstSet, 1, 0.25f, 0.25f));    // 4 * 0.25 = 1 exactly -> 1
  mach.run(set_op(Op::VectorConstSet, 1, 0.999f, 0.75f));   // 3.996 -> 3
  expect_values(mach.vec(1), {-0.5f, 0.25f, 7.f, 0.75f});   // element 2 untouched
}

AMLZ_OP_TEST(VectorConstSet, DecodesIndexAtFTwoAndEight) {
  Machine<2> small;
  small.v(1).setConstant(7.f);
  small.run(set_op(Op::VectorConstSet, 1, 0.4999f, 1.f));  // 0.9998 -> 0
  expect_values(small.vec(1), {1.f, 7.f});
  small.run(set_op(Op::VectorConstSet, 1, 0.5f, 2.f));  // 1 -> 1
  expect_values(small.vec(1), {1.f, 2.f});
  Machine<8> big;
  big.v(1).setConstant(7.f);
  big.run(set_op(Op::VectorConstSet, 1, 0.1249f, 1.f));  // 0.9992 -> 0
  big.run(set_op(Op::VectorConstSet, 1, 0.125f, 2.f));   // 1 -> 1
  big.run(set_op(Op::VectorConstSet, 1, 0.5f, 3.f));     // 4 -> 4
  big.run(set_op(Op::VectorConstSet, 1, 0.999f, 4.f));   // 7.992 -> 7
  expect_values(big.vec(1), {1, 2, 7, 7, 3, 7, 7, 4});
}

AMLZ_OP_TEST(MatrixConstSet, FirstParameterIsRowSecondIsColumn) {
  Machine<4> mach;
  mach.m(0).setConstant(7.f);
  mach.run(set_op(Op::MatrixConstSet, 0, 0.25f, 0.999f, -0.5f));   // row 1, column 3
  mach.run(set_op(Op::MatrixConstSet, 0, 0.2499f, 0.0f, 0.125f));  // row 0, column 0
  std::vector<float> expected(16, 7.f);
  expected[1 * 4 + 3] = -0.5f;  // M(1,3) is storage element 7; M(3,1) stays 7
  expected[0] = 0.125f;
  expect_values(mach.mat(0), expected);
  Machine<8> big;
  big.run(set_op(Op::MatrixConstSet, 2, 0.9f, 0.1f, 1.f));  // 7.2 -> row 7, 0.8 -> column 0
  EXPECT_EQ(big.mat(2)[7 * 8 + 0], 1.f);
  EXPECT_EQ(big.m(2).cwiseAbs().sum(), 1.f) << "exactly one element written";
  Machine<2> small;
  small.run(set_op(Op::MatrixConstSet, 1, 0.5f, 0.4999f, 1.f));  // row 1, column 0
  expect_values(small.mat(1), {0, 0, 1, 0});
}

// ---------------------------------------------------------------------------------------------------------------
// 59-64: random setters. Each element draws from random_op_draw(seed, task, phase, step, key, element).
namespace {
constexpr float kLo = -0.3f, kHi = 0.6f;
constexpr uint32_t kKey = amlz::make_random_key(amlz::Component::Setup, 5);
}  // namespace

AMLZ_OP_TEST(ScalarUniformSet, StrictlyInsideRangeAndCoversIt) {
  Machine<4> mach;
  float lowest = kHi, highest = kLo;
  for (uint32_t step = 0; step < 2000; ++step) {
    mach.run(random_op(Op::ScalarUniformSet, 2, kKey, kLo, kHi), {7u, 0u, amlz::kPhaseTrain, step});
    const float x = mach.s(2);
    ASSERT_GT(x, kLo) << "step " << step;  // open interval (lo, hi)
    ASSERT_LT(x, kHi) << "step " << step;
    lowest = std::min(lowest, x);
    highest = std::max(highest, x);
  }
  // 2000 uniform draws fill the range: both ends are reached within 5% of its width.
  EXPECT_LT(lowest, kLo + 0.05f * (kHi - kLo));
  EXPECT_GT(highest, kHi - 0.05f * (kHi - kLo));
}

AMLZ_OP_TEST(ScalarUniformSet, EmptyOrInvertedRangeReturnsLow) {
  Machine<4> mach;
  mach.run(random_op(Op::ScalarUniformSet, 2, kKey, 0.5f, 0.5f));   // lo == hi
  mach.run(random_op(Op::ScalarUniformSet, 3, kKey, 0.7f, -0.3f));  // parameters are not ordered: lo > hi
  EXPECT_EQ(mach.s(2), 0.5f);
  EXPECT_EQ(mach.s(3), 0.7f);
}

AMLZ_OP_TEST(ScalarUniformSet, DrawIsAFunctionOfSeedTaskPhaseStepAndKey) {
  auto draw = [](const RandomStream& rc, uint32_t key) {
    Machine<4> mach;
    mach.s(2) = 123.f;  // the previous value must not matter
    mach.run(random_op(Op::ScalarUniformSet, 2, key, -1.f, 1.f), rc);
    return mach.s(2);
  };
  const RandomStream base{11u, 3u, amlz::kPhaseTrain, 17u};
  const float x = draw(base, kKey);
  EXPECT_TRUE(bits_equal(x, draw(base, kKey))) << "identical inputs give identical draws";
  EXPECT_EQ(x, uniform_element(-1.f, 1.f, base, kKey, 0)) << "a scalar draws counter element 0";
  EXPECT_NE(x, draw({12u, 3u, amlz::kPhaseTrain, 17u}, kKey)) << "seed";
  EXPECT_NE(x, draw({11u, 4u, amlz::kPhaseTrain, 17u}, kKey)) << "task";
  EXPECT_NE(x, draw({11u, 3u, amlz::kPhaseValid, 17u}, kKey)) << "phase";
  EXPECT_NE(x, draw({11u, 3u, amlz::kPhaseTrain, 18u}, kKey)) << "step";
  EXPECT_NE(x, draw(base, kKey + 1)) << "key, low byte (in1)";
  EXPECT_NE(x, draw(base, kKey + 256)) << "key, high byte (in2)";
}

AMLZ_OP_TEST(VectorUniformSet, ElementEUsesCounterElementE) {
  Machine<4> mach;
  mach.run(random_op(Op::VectorUniformSet, 1, kKey, kLo, kHi));
  const std::vector<float> v = mach.vec(1);
  for (uint32_t e = 0; e < 4; ++e) {
    EXPECT_EQ(v[e], uniform_element(kLo, kHi, kContext, kKey, e)) << "element " << e;
    EXPECT_GT(v[e], kLo);
    EXPECT_LT(v[e], kHi);
  }
  EXPECT_NE(v[0], v[1]) << "elements are independent draws";
  mach.run(random_op(Op::VectorUniformSet, 2, kKey, 0.25f, -1.f));  // inverted range: every element = lo
  expect_values(mach.vec(2), {0.25f, 0.25f, 0.25f, 0.25f});
  // Same op at the next step: a fresh vector.
  mach.run(random_op(Op::VectorUniformSet, 3, kKey, kLo, kHi), {7u, 0u, amlz::kPhaseTrain, 1u});
  EXPECT_NE(mach.vec(3), v);
}

AMLZ_OP_TEST(MatrixUniformSet, FillsRowByRowInsideRange) {
  Machine<4> mach;
  mach.run(random_op(Op::MatrixUniformSet, 0, kKey, kLo, kHi));
  // Row by row: M(1,2) is element 1*4+2 = 6, M(2,1) is element 9.
  EXPECT_EQ(mach.m(0)(1, 2), uniform_element(kLo, kHi, kContext, kKey, 6));
  EXPECT_EQ(mach.m(0)(2, 1), uniform_element(kLo, kHi, kContext, kKey, 9));
  EXPECT_NE(mach.m(0)(1, 2), mach.m(0)(2, 1));
  Machine<32> big;  // 1024 draws, all strictly inside (lo, hi), spread over it
  big.run(random_op(Op::MatrixUniformSet, 1, kKey, kLo, kHi));
  const std::vector<float> all = big.mat(1);
  for (size_t e = 0; e < all.size(); ++e) {
    ASSERT_GT(all[e], kLo) << "element " << e;
    ASSERT_LT(all[e], kHi) << "element " << e;
  }
  EXPECT_EQ(big.m(1)(31, 30), uniform_element(kLo, kHi, kContext, kKey, 31 * 32 + 30));
  // Mean of U(-0.3, 0.6) is 0.15, its st.dev. 0.9/sqrt(12) = 0.26; 1024 draws land well within these bounds.
  const Moments mo = moments(all);
  EXPECT_NEAR(mo.mean, 0.15, 0.05);
  EXPECT_NEAR(mo.stdev, 0.9 / std::sqrt(12.0), 0.05);
}

AMLZ_OP_TEST(ScalarGaussianSet, PlausibleMomentsAndKeyedDraws) {
  Machine<4> mach;
  std::vector<float> draws;
  for (uint32_t step = 0; step < 2000; ++step) {
    mach.run(random_op(Op::ScalarGaussianSet, 2, kKey, 0.5f, 2.f), {7u, 0u, amlz::kPhaseTrain, step});
    draws.push_back(mach.s(2));
  }
  EXPECT_EQ(draws[3], gaussian_element(0.5f, 2.f, {7u, 0u, amlz::kPhaseTrain, 3u}, kKey, 0));
  // N(0.5, 2): with 2000 draws the sample mean is within 0.045 (1 sigma) and the st.dev. within 0.032 (1 sigma);
  // the bounds are ~5 sigma.
  const Moments mo = moments(draws);
  EXPECT_NEAR(mo.mean, 0.5, 0.25);
  EXPECT_NEAR(mo.stdev, 2.0, 0.2);
  // A zero st.dev. returns the mean exactly; a negative one mirrors the draw around the mean.
  mach.run(random_op(Op::ScalarGaussianSet, 3, kKey, -0.25f, 0.f));
  EXPECT_EQ(mach.s(3), -0.25f);
  mach.run(random_op(Op::ScalarGaussianSet, 4, kKey, 0.5f, 2.f));
  mach.run(random_op(Op::ScalarGaussianSet, 5, kKey, 0.5f, -2.f));
  EXPECT_NEAR(mach.s(4) - 0.5f, -(mach.s(5) - 0.5f), 1e-5f);
  // Identical context and key: identical value; another seed: another value.
  Machine<4> again;
  again.run(random_op(Op::ScalarGaussianSet, 4, kKey, 0.5f, 2.f));
  EXPECT_TRUE(bits_equal(again.s(4), mach.s(4)));
  again.run(random_op(Op::ScalarGaussianSet, 4, kKey, 0.5f, 2.f), {8u, 0u, amlz::kPhaseTrain, 0u});
  EXPECT_NE(again.s(4), mach.s(4));
}

AMLZ_OP_TEST(VectorGaussianSet, ElementEUsesCounterElementE) {
  Machine<4> mach;
  mach.run(random_op(Op::VectorGaussianSet, 1, kKey, -1.f, 0.5f));
  const std::vector<float> v = mach.vec(1);
  for (uint32_t e = 0; e < 4; ++e) EXPECT_EQ(v[e], gaussian_element(-1.f, 0.5f, kContext, kKey, e)) << e;
  EXPECT_NE(v[0], v[1]);
  Machine<32> big;  // 32 draws of N(-1, 0.5): sample mean within 0.09 (1 sigma); bound ~5 sigma
  big.run(random_op(Op::VectorGaussianSet, 1, kKey, -1.f, 0.5f));
  EXPECT_NEAR(moments(big.vec(1)).mean, -1.0, 0.45);
  EXPECT_GT(moments(big.vec(1)).stdev, 0.2);
  EXPECT_LT(moments(big.vec(1)).stdev, 0.9);
}

AMLZ_OP_TEST(MatrixGaussianSet, FillsRowByRowWithPlausibleMoments) {
  Machine<4> mach;
  mach.run(random_op(Op::MatrixGaussianSet, 0, kKey, 0.5f, 2.f));
  EXPECT_EQ(mach.m(0)(1, 2), gaussian_element(0.5f, 2.f, kContext, kKey, 6));  // row 1, column 2: element 6
  EXPECT_EQ(mach.m(0)(2, 1), gaussian_element(0.5f, 2.f, kContext, kKey, 9));
  Machine<32> big;
  big.run(random_op(Op::MatrixGaussianSet, 1, kKey, 0.5f, 2.f));
  EXPECT_EQ(big.m(1)(3, 17), gaussian_element(0.5f, 2.f, kContext, kKey, 3 * 32 + 17));
  // 32x32 = 1024 draws of N(0.5, 2): 1 sigma is 0.0625 for the mean and 0.044 for the st.dev.
  const Moments mo = moments(big.mat(1));
  EXPECT_NEAR(mo.mean, 0.5, 0.3);
  EXPECT_NEAR(mo.stdev, 2.0, 0.25);
}
