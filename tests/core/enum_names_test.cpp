// SPDX-License-Identifier: Apache-2.0
// Every enum's name table (core/enum_names.h): each enumerator listed once, names distinct, name -> value -> name.
#include "amlz/core/enum_names.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "amlz/core/algorithm.h"
#include "amlz/core/hardcoded_algorithms.h"
#include "amlz/eval/evaluator.h"
#include "amlz/eval/fitness.h"
#include "amlz/search/mutator.h"
#include "amlz/search/search.h"
#include "amlz/tasks/task.h"

namespace amlz {
namespace {

// `count`: the number of enumerators, 0..count-1 (every table here is over such an enum).
template <class E>
void expect_complete_table(int count) {
  std::set<std::string> names;
  std::set<int> values;
  for (const EnumName<E>& row : EnumNames<E>::table) {
    EXPECT_TRUE(names.insert(row.name).second) << "name '" << row.name << "' appears twice";
    EXPECT_TRUE(values.insert(static_cast<int>(row.value)).second) << row.name << ": value listed twice";
    EXPECT_EQ(enum_from_name<E>(row.name), row.value) << row.name;
    EXPECT_STREQ(enum_name(row.value), row.name);
  }
  for (int v = 0; v < count; ++v) EXPECT_TRUE(values.count(v)) << "enumerator " << v << " has no name";
  EXPECT_EQ(enum_from_name<E>("no-such-name"), std::nullopt);
}

TEST(EnumNames, EveryTableNamesEveryEnumeratorOnce) {
  expect_complete_table<TaskType>(7);
  expect_complete_table<EvalType>(2);
  expect_complete_table<EvalStatus>(4);
  expect_complete_table<Backend>(2);
  expect_complete_table<Combination>(2);
  expect_complete_table<InitialAlgorithm>(5);
  expect_complete_table<Component>(3);
  expect_complete_table<MutationType>(kNumMutationTypes);
  expect_complete_table<SearchKind>(2);
  expect_complete_table<StopReason>(3);
}

TEST(EnumNames, ChoicesListEveryNameInTableOrder) {
  EXPECT_EQ(enum_choices<Combination>(), "mean, median");
  EXPECT_EQ(enum_choices<EvalType>(), "rms, accuracy");
}

TEST(EnumNames, MutationsAlsoReadTheOriginalSpelling) {
  EXPECT_EQ(mutation_from_name("ALTER_PARAM_MUTATION_TYPE"), MutationType::AlterParam);
  EXPECT_EQ(mutation_from_name("RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE"), MutationType::RandomizeComponent);
  EXPECT_EQ(mutation_from_name("Insert_Instruction"), MutationType::InsertInstruction);
}

}  // namespace
}  // namespace amlz
