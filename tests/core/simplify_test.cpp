// SPDX-License-Identifier: Apache-2.0
// simplify(): dead code out, variables named by role (x, y, pred, err, lr, w/W/b, dw, h, 0), every statement still
// carrying its instruction.
#include "amlz/core/simplify.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/core/generator.h"
#include "amlz/core/search_rng.h"
#include "test_util.h"

namespace amlz {
namespace {

Algorithm read(const std::string& name) {
  return read_algorithm_file(std::string(AMLZ_SOURCE_DIR) + "/configs/algorithms/" + name);
}

// The statements of one component, "text  # original" each.
std::vector<std::string> lines(const SimplifiedAlgorithm& s, Component c) {
  std::vector<std::string> out;
  for (const SimplifiedStatement& st : s.statements)
    if (st.component == c) out.push_back(st.text + "  # " + st.original);
  return out;
}

std::string role_of(const SimplifiedAlgorithm& s, const std::string& name) {
  for (const SimplifiedName& n : s.names)
    if (n.name == name) return n.role;
  return "";
}

TEST(SimplifyTest, LinearRegressionReadsLikeThePaper) {
  const SimplifiedAlgorithm s = simplify(read("linear.txt"));
  EXPECT_EQ(lines(s, Component::Setup), (std::vector<std::string>{"lr = 0.1  # s2 = 0.1"}));
  EXPECT_EQ(lines(s, Component::Predict), (std::vector<std::string>{"pred = dot(w, x)  # s1 = dot(v1, v0)"}));
  EXPECT_EQ(lines(s, Component::Learn),
            (std::vector<std::string>{"err = y - pred  # s3 = s0 - s1", "s3 = lr * err  # s3 = s2 * s3",
                                      "dw = s3 * x  # v2 = s3 * v0", "w = w + dw  # v1 = v1 + v2"}));
  EXPECT_EQ(role_of(s, "w"), "v1: weights (read in Predict, updated in Learn)");
  EXPECT_EQ(role_of(s, "lr"), "s2: learning rate (set in Setup, scales an update in Learn)");
  EXPECT_EQ(role_of(s, "err"), "s3: label - prediction");
  EXPECT_EQ(role_of(s, "x"), "v0: the features");
}

TEST(SimplifyTest, NeuralNetworkOfTheSeedSlides) {
  // One address, two variables: s1 is the prediction, then Learn reuses it for the error. v9 is never written.
  const SimplifiedAlgorithm s = simplify(read("seed_nn.txt"));
  EXPECT_EQ(lines(s, Component::Setup),
            (std::vector<std::string>{
                "W = gaussian(-1e-10, 9e-09, (n_features, n_features))  # m1 = gaussian(-1e-10, 9e-09, (n_features, "
                "n_features))",
                "lr = 4.1  # s3 = 4.1",
                "w = gaussian(-0.033, 0.01, n_features)  # v4 = gaussian(-0.033, 0.01, n_features)"}));
  EXPECT_EQ(lines(s, Component::Predict), (std::vector<std::string>{"h1 = dot(W, x)  # v6 = dot(m1, v0)",
                                                                    "h2 = maximum(h1, 0)  # v7 = maximum(v6, v9)",
                                                                    "pred = dot(h2, w)  # s1 = dot(v7, v4)"}));
  EXPECT_EQ(
      lines(s, Component::Learn),
      (std::vector<std::string>{"v3 = heaviside(h1, 1.0)  # v3 = heaviside(v6, 1.0)", "err = y - pred  # s1 = s0 - s1",
                                "s2 = err * lr  # s2 = s1 * s3", "dw = s2 * v3  # v2 = s2 * v3",
                                "v3 = dw * w  # v3 = v2 * v4", "dW = outer(v3, x)  # m0 = outer(v3, v0)",
                                "W = W + dW  # m1 = m1 + m0", "w = dw + w  # v4 = v2 + v4"}));
  EXPECT_EQ(role_of(s, "0"), "v9: read before anything is written, always 0");
  EXPECT_EQ(role_of(s, "err"), "s1: label - prediction");
  EXPECT_EQ(role_of(s, "h2"), "v7: hidden values (computed from x in Predict)");
  EXPECT_EQ(role_of(s, "dW"), "m0: the update of W");
}

TEST(SimplifyTest, EvolvedProgramLosesItsDeadCodeAndGetsNames) {
  // The shape evolution returns (README): constants folded in Setup, a learning rate hidden in the prediction's
  // scale, and instructions whose results never reach the prediction.
  const Algorithm a = test::parse(R"(
def Setup():
  s3 = 0.5
  s1 = -0.093426235
  v2[0.25] = 0.3
  s3 = 0.07707452
  s2 = s3 - s1
  s3 = dot(v1, v0)
def Predict():
  s3 = dot(v2, v0)
  v1 = s3 * v0
  s1 = s3 * s2
def Learn():
  s3 = s2 - s2
  s1 = s0 - s1
  s3 = s2 * s2
  v1 = s1 * v0
  s3 = dot(v2, v1)
  v2 = v1 + v2
)");
  const SimplifiedAlgorithm s = simplify(a);
  LiveMarks live;
  mark_live(a, live);
  size_t live_count = 0;
  for (const auto& marks : live)
    for (uint8_t m : marks) live_count += m;
  EXPECT_EQ(s.statements.size(), live_count);
  EXPECT_EQ(s.statements.size(), compile(a).code.size());
  EXPECT_EQ(s.source_size, a.size());
  EXPECT_EQ(lines(s, Component::Setup),
            (std::vector<std::string>{"s1 = -0.093426235  # s1 = -0.093426235", "w[0.25] = 0.3  # v2[0.25] = 0.3",
                                      "s3 = 0.07707452  # s3 = 0.07707452", "s2 = s3 - s1  # s2 = s3 - s1"}));
  EXPECT_EQ(lines(s, Component::Predict),
            (std::vector<std::string>{"s3 = dot(w, x)  # s3 = dot(v2, v0)", "pred = s3 * s2  # s1 = s3 * s2"}));
  EXPECT_EQ(lines(s, Component::Learn),
            (std::vector<std::string>{"err = y - pred  # s1 = s0 - s1", "dw = err * x  # v1 = s1 * v0",
                                      "w = dw + w  # v2 = v1 + v2"}));
  // The dead ones are gone from the printout too, and the legend names what it uses.
  const std::string text = to_text(s);
  EXPECT_EQ(text.find("s3 = s2 - s2"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3 = s2 * s2"), std::string::npos) << text;
  EXPECT_NE(text.find("# 9 of 15 instructions live"), std::string::npos) << text;
  EXPECT_NE(text.find("#   w = v2: weights (read in Predict, updated in Learn)"), std::string::npos) << text;
  EXPECT_NE(text.find("def Learn():\n  err = y - pred  "), std::string::npos) << text;
}

TEST(SimplifyTest, BiasesAndSeveralWeightsAreNumbered) {
  const SimplifiedAlgorithm s = simplify(read("nn_2layer.txt"));
  EXPECT_EQ(lines(s, Component::Predict).back(), "pred = s1 + b  # s1 = s1 + s2");
  EXPECT_EQ(role_of(s, "W"), "m0: weights (read in Predict, updated in Learn)");
  EXPECT_EQ(role_of(s, "w1"), "v2: weights (read in Predict, updated in Learn)");
  EXPECT_EQ(role_of(s, "w2"), "v1: weights (read in Predict, updated in Learn)");
  EXPECT_EQ(role_of(s, "b"), "s2: a learned scalar, such as a bias (read in Predict, updated in Learn)");
  EXPECT_EQ(role_of(s, "lr"), "s3: learning rate (set in Setup, scales an update in Learn)");
  EXPECT_EQ(lines(s, Component::Learn).back(), "W = W + dW  # m0 = m0 + m1");
}

TEST(SimplifyTest, RandomProgramsKeepEveryLiveInstructionAndItsText) {
  std::vector<Op> ops;
  for (const OpInfo& info : kOpTable) ops.push_back(info.op);
  SearchRng rng(77);
  const AddressSpace space{5, 5, 3};
  for (int i = 0; i < 300; ++i) {
    Algorithm a;
    for (Component c : kAllComponents)
      for (int k = 0; k < 7; ++k) a.component(c).push_back(random_instruction(ops, space, rng));
    const SimplifiedAlgorithm s = simplify(a);
    SCOPED_TRACE(to_text(a));
    ASSERT_EQ(s.statements.size(), compile(a).code.size());
    for (const SimplifiedStatement& st : s.statements) {
      EXPECT_EQ(st.original, to_text(a.component(st.component)[st.position]));
      EXPECT_FALSE(st.text.empty());
    }
    // Names are unique per role: no two legend entries share a name.
    for (size_t p = 0; p < s.names.size(); ++p)
      for (size_t q = p + 1; q < s.names.size(); ++q) EXPECT_NE(s.names[p].name, s.names[q].name);
  }
}

}  // namespace
}  // namespace amlz
