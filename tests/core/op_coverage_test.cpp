// SPDX-License-Identifier: Apache-2.0
// Every op of the op table has a semantic test in ops_test.cpp. The registry is filled during static
// initialisation (AMLZ_OP_TEST), so this check does not depend on the order in which gtest runs the tests; each
// registered entry must also name a test gtest really knows about, so a registration alone cannot count.
#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/ops.h"
#include "core/op_test_registry.h"

namespace amlz {
namespace {

// Every (suite, name) pair gtest has registered in this binary.
std::set<std::pair<std::string, std::string>> gtest_tests() {
  std::set<std::pair<std::string, std::string>> out;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) out.insert({suite.name(), suite.GetTestInfo(j)->name()});
  }
  return out;
}

TEST(OpCoverage, EveryRowHasItsOwnNameAndForm) {
  // Density and the row count are compile-time facts (static_asserts in ops.h); what only a test can see is two
  // rows that would print or read alike: configs name ops by enum_name, algorithm files by the print template.
  std::set<std::string> names, forms;
  for (const OpInfo& info : kOpTable) {
    EXPECT_TRUE(names.insert(info.enum_name).second) << "two ops are named " << info.enum_name;
    EXPECT_TRUE(forms.insert(op_form(info.op)).second) << "two ops print as " << op_form(info.op);
    EXPECT_EQ(op_from_name(info.enum_name), info.op) << info.enum_name;
  }
}

TEST(OpCoverage, EveryOpHasASemanticTest) {
  const auto& registry = test::op_test_registry();
  ASSERT_FALSE(registry.empty()) << "ops_test.cpp registered nothing: is it linked into this binary?";
  std::set<int> covered;
  for (const test::OpTestEntry& e : registry) {
    const int code = static_cast<int>(e.op);
    ASSERT_TRUE(code >= 0 && code < kNumOps) << "registered op code " << code << " is not in the table";
    covered.insert(code);
  }
  for (const OpInfo& info : kOpTable)
    EXPECT_TRUE(covered.count(static_cast<int>(info.op)))
        << info.enum_name << " (" << static_cast<int>(info.op) << ") has no semantic test in ops_test.cpp";
  EXPECT_EQ(covered.size(), static_cast<size_t>(kNumOps));
}

TEST(OpCoverage, EveryRegisteredTestIsARealGtestTest) {
  const auto known = gtest_tests();
  for (const test::OpTestEntry& e : test::op_test_registry()) {
    // AMLZ_OP_TEST builds the suite name and the registered op from the same enumerator token, so a registered
    // test cannot claim another op; here we only make sure the test exists in this binary.
    EXPECT_TRUE(known.count({e.suite, e.name})) << e.suite << "." << e.name << " is registered but not a gtest test";
  }
}

}  // namespace
}  // namespace amlz
