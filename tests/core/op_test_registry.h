// SPDX-License-Identifier: Apache-2.0
// Registry of the per-op semantic tests of ops_test.cpp, filled at static-initialisation time so that
// op_coverage_test.cpp can check every op of kOpTable has one, whatever order gtest runs the tests in.
#pragma once
#include <bitset>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amlz/core/ops.h"

namespace amlz::test {

struct OpTestEntry {
  Op op;
  std::string suite, name;  // the gtest suite and test name that hold the op's semantic test
};

// Inline functions with function-local statics: one object per binary, constructed on first use, so registrars
// in any translation unit may call them during static initialisation.
inline std::vector<OpTestEntry>& op_test_registry() {
  static std::vector<OpTestEntry> entries;
  return entries;
}

inline bool register_op_test(Op op, const char* suite, const char* name) {
  op_test_registry().push_back({op, suite, name});
  return true;
}

// Ops the interpreter helper of ops_test.cpp actually executed during the current op test; the test macro
// clears it before the body and checks afterwards that the body ran its op (a test that never executes the op
// it claims to cover fails).
inline std::bitset<kNumOps>& executed_ops() {
  static std::bitset<kNumOps> ops;
  return ops;
}

}  // namespace amlz::test

// AMLZ_OP_TEST(ScalarSum, AddsOperands) { ... } defines the gtest test OpScalarSum.AddsOperands and registers it
// as a semantic test of Op::ScalarSum.
#define AMLZ_OP_TEST(OpName, Case)                                                          \
  static void amlz_op_test_body_##OpName##_##Case();                                        \
  [[maybe_unused]] static const bool amlz_op_test_registered_##OpName##_##Case =            \
      ::amlz::test::register_op_test(::amlz::Op::OpName, "Op" #OpName, #Case);              \
  TEST(Op##OpName, Case) {                                                                  \
    ::amlz::test::executed_ops().reset();                                                   \
    amlz_op_test_body_##OpName##_##Case();                                                  \
    EXPECT_TRUE(::amlz::test::executed_ops().test(static_cast<size_t>(::amlz::Op::OpName))) \
        << "this test of " #OpName " never executed the op";                                \
  }                                                                                         \
  static void amlz_op_test_body_##OpName##_##Case()
