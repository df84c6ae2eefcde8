// SPDX-License-Identifier: Apache-2.0
// The text form of algorithms (spec §3 "Printed form"): exact printing, print -> parse round trips over random
// and mutated algorithms, reading the original program's printout, and clear ParseErrors for bad text (never a
// crash or another exception), fuzzed.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <typeinfo>
#include <vector>

#include "amlz/error.h"
#include "amlz/search/mutator.h"
#include "test_util.h"

namespace amlz {
namespace {

using test::expect_contains;
using test::instr;
using test::parse;

// The ParseError message of `text`, or "" (with a test failure) if it parses or throws something else.
std::string parse_error(const std::string& text, const std::string& source = "algo.txt") {
  try {
    parse_algorithm(text, source);
    ADD_FAILURE() << "parsed without error:\n" << text;
  } catch (const ParseError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than ParseError: " << e.what();
  }
  return "";
}

std::vector<MutationType> all_mutations() {
  std::vector<MutationType> m;
  for (int i = 0; i < kNumMutationTypes; ++i) m.push_back(static_cast<MutationType>(i));
  return m;
}

// Random algorithms over all ops and address spaces up to the bytecode's 255, then mutated copies: mutations
// alter parameters by log-normal steps and sign flips, so the data take values far from the initial ranges.
std::vector<Algorithm> random_algorithms(int fresh, int mutated, uint64_t seed) {
  SearchRng rng(seed);
  std::vector<Algorithm> out;
  std::vector<AddressSpace> spaces;
  for (int i = 0; i < fresh; ++i) {
    const AddressSpace space{rng.uniform_int(2, 256), rng.uniform_int(2, 256), rng.uniform_int(1, 256)};
    const ComponentSizes sizes{rng.uniform_int(0, 8), rng.uniform_int(0, 8), rng.uniform_int(0, 8)};
    out.push_back(make_algorithm(InitialAlgorithm::Random, sizes, test::all_ops(), space, rng));
    spaces.push_back(space);
  }
  for (int i = 0; i < mutated; ++i) {
    const uint32_t parent = rng.uniform_below(static_cast<uint32_t>(fresh));
    MutatorOptions options;
    options.types = all_mutations();
    options.mutate_prob = 1.0;
    options.ops = test::all_ops();
    options.space = spaces[parent];
    Algorithm a = out[parent];
    const Mutator mutator(options);
    // Many parameter alterations in a row push constants through repeated log-normal steps.
    for (int k = rng.uniform_int(1, 20); k > 0; --k) mutator.apply(MutationType::AlterParam, a, rng);
    out.push_back(mutator.mutate(a, rng.uniform_int(0, 4), rng));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

TEST(PrintInstruction, MatchesTheSpecForms) {
  struct Case {
    Instruction in;
    const char* text;
  };
  const Case cases[] = {
      {instr(Op::NoOp, 0), "NoOp()"},
      {instr(Op::ScalarSum, 2, 0, 1), "s2 = s0 + s1"},
      {instr(Op::ScalarDiff, 3, 0, 1), "s3 = s0 - s1"},
      {instr(Op::ScalarProduct, 3, 2, 3), "s3 = s2 * s3"},
      {instr(Op::ScalarDivision, 4, 5, 6), "s4 = s5 / s6"},
      {instr(Op::ScalarAbs, 1, 2), "s1 = abs(s2)"},
      {instr(Op::ScalarReciprocal, 1, 2), "s1 = 1 / s2"},
      {instr(Op::ScalarArcCos, 7, 8), "s7 = arccos(s8)"},
      {instr(Op::ScalarLog, 1, 0), "s1 = log(s0)"},
      {instr(Op::ScalarHeaviside, 5, 2), "s5 = heaviside(s2, 1.0)"},
      {instr(Op::VectorHeaviside, 7, 3), "v7 = heaviside(v3, 1.0)"},
      {instr(Op::ScalarVectorProduct, 2, 3, 0), "v2 = s3 * v0"},
      {instr(Op::ScalarBroadcast, 1, 4), "v1 = bcast(s4)"},
      {instr(Op::VectorReciprocal, 1, 2), "v1 = 1 / v2"},
      {instr(Op::VectorNorm, 3, 1), "s3 = norm(v1)"},
      {instr(Op::VectorSum, 1, 1, 2), "v1 = v1 + v2"},
      {instr(Op::VectorInnerProduct, 1, 1, 0), "s1 = dot(v1, v0)"},
      {instr(Op::VectorOuterProduct, 0, 3, 0), "m0 = outer(v3, v0)"},
      {instr(Op::ScalarMatrixProduct, 1, 2, 0), "m1 = s2 * m0"},
      {instr(Op::MatrixVectorProduct, 3, 0, 0), "v3 = dot(m0, v0)"},
      {instr(Op::VectorColumnBroadcast, 2, 1), "m2 = bcast(v1, axis=0)"},
      {instr(Op::VectorRowBroadcast, 2, 1), "m2 = bcast(v1, axis=1)"},
      {instr(Op::MatrixNorm, 2, 1), "s2 = norm(m1)"},
      {instr(Op::MatrixColumnNorm, 4, 1), "v4 = norm(m1, axis=0)"},
      {instr(Op::MatrixRowNorm, 4, 1), "v4 = norm(m1, axis=1)"},
      {instr(Op::MatrixTranspose, 1, 1), "m1 = transpose(m1)"},
      {instr(Op::MatrixDivision, 0, 1, 2), "m0 = m1 / m2"},
      {instr(Op::MatrixMatrixProduct, 0, 1, 2), "m0 = matmul(m1, m2)"},
      {instr(Op::ScalarMin, 2, 3, 4), "s2 = minimum(s3, s4)"},
      {instr(Op::VectorMax, 5, 4, 3), "v5 = maximum(v4, v3)"},
      {instr(Op::MatrixMin, 1, 0, 1), "m1 = minimum(m0, m1)"},
      {instr(Op::VectorMean, 1, 2), "s1 = mean(v2)"},
      {instr(Op::VectorStDev, 1, 2), "s1 = std(v2)"},
      {instr(Op::MatrixMean, 1, 2), "s1 = mean(m2)"},
      {instr(Op::MatrixStDev, 1, 2), "s1 = std(m2)"},
      {instr(Op::MatrixRowMean, 3, 0), "v3 = mean(m0, axis=1)"},
      {instr(Op::MatrixRowStDev, 3, 0), "v3 = std(m0, axis=1)"},
      {instr(Op::ScalarConstSet, 2, 0, 0, 0.01f), "s2 = 0.01"},
      {instr(Op::ScalarConstSet, 2, 0, 0, 0.166335f), "s2 = 0.166335"},
      {instr(Op::ScalarConstSet, 3, 0, 0, 4.75049e-05f), "s3 = 4.75049e-05"},
      {instr(Op::VectorConstSet, 1, 0, 0, 0.25f, -0.5f), "v1[0.25] = -0.5"},
      {instr(Op::MatrixConstSet, 2, 0, 0, 0.5f, 0.75f, 3.0f), "m2[0.5, 0.75] = 3"},
      {instr(Op::ScalarUniformSet, 3, 0, 0, -1.0f, 1.0f), "s3 = uniform(-1, 1)"},
      {instr(Op::VectorUniformSet, 3, 0, 0, -0.5f, 0.5f), "v3 = uniform(-0.5, 0.5, n_features)"},
      {instr(Op::MatrixUniformSet, 1, 0, 0, 0.0f, 2.0f), "m1 = uniform(0, 2, (n_features, n_features))"},
      {instr(Op::ScalarGaussianSet, 4, 0, 0, 0.0f, 0.1f), "s4 = gaussian(0, 0.1)"},
      {instr(Op::VectorGaussianSet, 4, 0, 0, 0.0f, 0.1f), "v4 = gaussian(0, 0.1, n_features)"},
      {instr(Op::MatrixGaussianSet, 0, 0, 0, 0.0f, 0.1f), "m0 = gaussian(0, 0.1, (n_features, n_features))"},
  };
  for (const Case& c : cases) EXPECT_EQ(to_text(c.in), c.text) << op_name(c.in.op);
}

TEST(PrintInstruction, OpFormsUsePlaceholders) {
  // `amlz ops` and parse hints show each op with O/A/B for addresses and x/y/z for parameters.
  EXPECT_EQ(op_form(Op::VectorColumnBroadcast), "mO = bcast(vA, axis=0)");
  EXPECT_EQ(op_form(Op::MatrixRowNorm), "vO = norm(mA, axis=1)");
  EXPECT_EQ(op_form(Op::ScalarHeaviside), "sO = heaviside(sA, 1.0)");
  EXPECT_EQ(op_form(Op::VectorInnerProduct), "sO = dot(vA, vB)");
  EXPECT_EQ(op_form(Op::MatrixConstSet), "mO[x, y] = z");
  EXPECT_EQ(op_form(Op::NoOp), "NoOp()");
}

TEST(PrintInstruction, NumbersAreShortestRoundTripInGeneralStyle) {
  EXPECT_EQ(format_float(0.01f), "0.01");
  EXPECT_EQ(format_float(1.0f), "1");
  EXPECT_EQ(format_float(-0.5f), "-0.5");
  EXPECT_EQ(format_float(0.0f), "0");
  EXPECT_EQ(format_float(-0.0f), "-0");
  EXPECT_EQ(format_float(4.75049e-05f), "4.75049e-05");
  EXPECT_EQ(format_float(1e10f), "1e+10");
  EXPECT_EQ(format_float(0.1f), "0.1");  // shortest, not 0.100000001
  EXPECT_EQ(format_float(std::numeric_limits<float>::infinity()), "inf");
}

TEST(PrintAlgorithm, UsesDefHeadersAndTwoSpaceIndent) {
  EXPECT_EQ(to_text(linear_algorithm(0.01f)),
            "def Setup():\n"
            "  s2 = 0.01\n"
            "def Predict():\n"
            "  s1 = dot(v1, v0)\n"
            "def Learn():\n"
            "  s3 = s0 - s1\n"
            "  s3 = s2 * s3\n"
            "  v2 = s3 * v0\n"
            "  v1 = v1 + v2\n");
  EXPECT_EQ(to_text(Algorithm{}), "def Setup():\ndef Predict():\ndef Learn():\n");
}

// ---------------------------------------------------------------------------------------------------------------
// Round trips

TEST(TextRoundTrip, RandomAndMutatedAlgorithmsSurvivePrintAndParse) {
  const std::vector<Algorithm> algorithms = random_algorithms(2000, 2000, 31337);
  int failures = 0;
  for (size_t i = 0; i < algorithms.size() && failures < 5; ++i) {
    const Algorithm& a = algorithms[i];
    const std::string text = to_text(a);
    SCOPED_TRACE("algorithm " + std::to_string(i) + ":\n" + text);
    Algorithm back;
    try {
      back = parse(text);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "does not parse: " << e.what();
      ++failures;
      continue;
    }
    if (back != a) {
      ++failures;
      for (Component c : kAllComponents)
        for (size_t k = 0; k < std::min(a.component(c).size(), back.component(c).size()); ++k)
          if (a.component(c)[k] != back.component(c)[k])
            ADD_FAILURE() << enum_name(c) << " " << k << ": '" << to_text(a.component(c)[k]) << "' parses back as '"
                          << to_text(back.component(c)[k]) << "'";
      EXPECT_EQ(back, a);
    }
    EXPECT_EQ(to_text(back), text);
  }
  EXPECT_EQ(failures, 0);
}

TEST(TextRoundTrip, EveryOpWithExtremeParametersRoundTrips) {
  // Values a long run of mutations can reach: signed zeros, the float extremes, subnormals, infinities.
  const float values[] = {0.0f,
                          -0.0f,
                          1e-7f,
                          -3.4028235e38f,
                          std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::min(),
                          std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min() * 3,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          0.99999994f};
  for (const OpInfo& info : kOpTable)
    for (float v : values) {
      Instruction in = instr(info.op, 255, 254, 253);
      if (info.in1 == Kind::None) in.in1 = 0;
      if (info.in2 == Kind::None) in.in2 = 0;
      if (info.out == Kind::None) in.out = 0;
      for (int k = 0; k < num_data(info.data); ++k) in.data[static_cast<size_t>(k)] = v;
      const std::string text = to_text(in);
      SCOPED_TRACE(text);
      try {
        const Instruction back = parse_instruction(text);
        EXPECT_EQ(back, in);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "does not parse: " << e.what();
      }
    }
}

TEST(TextRoundTrip, ParsingIgnoresSpacingCommentsAndBlankLines) {
  const std::string text =
      "# linear regression, hand-formatted\n"
      "\n"
      "def Setup():   # the learning rate\n"
      "\ts2=0.01\n"
      "   \n"
      "def  Predict( ) :\n"
      "  s1 = dot( v1 ,v0 )   # prediction\n"
      "def Learn():\n"
      "  # error\n"
      "  s3 = s0 - s1\n"
      "  s3 = s2 * s3\n"
      "  v2 = s3 * v0\n"
      "  v1   =   v1 + v2\n"
      "# end\n";
  EXPECT_EQ(parse(text), linear_algorithm(0.01f));
}

TEST(TextRoundTrip, CrlfLineEndingsAreAccepted) {
  std::string text = to_text(neural_net_algorithm());
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(parse(crlf), neural_net_algorithm());
  // Line numbers in errors still count lines.
  expect_contains(parse_error("def Setup():\r\n  s2 = 0.5\r\n  bogus\r\n"), "algo.txt:3:");
}

// ---------------------------------------------------------------------------------------------------------------
// The original's printout

TEST(OriginalPrintout, ParsesTheAlgorithmAfterTheLog) {
  // tests/data/original_printout.txt is a run log in the format of the original's run_search_experiment
  // (spec §11.3: progress lines, fitness lines with 6 decimals, then "Algorithm found: " and the algorithm printed
  // with C++ stream defaults, 6 significant digits). It is written in that format, not captured from a run.
  const Algorithm a = read_algorithm_file(AMLZ_TEST_DATA_DIR "/original_printout.txt");
  Algorithm want;
  want.setup = {instr(Op::ScalarConstSet, 3, 0, 0, 4.75049e-05f), instr(Op::ScalarConstSet, 1, 0, 0, -0.412937f),
                instr(Op::ScalarConstSet, 2, 0, 0, 0.166335f), instr(Op::ScalarConstSet, 3, 0, 0, -0.0730562f),
                instr(Op::ScalarConstSet, 1, 0, 0, 0.829304f)};
  want.predict = {instr(Op::VectorInnerProduct, 1, 1, 0)};
  want.learn = {instr(Op::ScalarDiff, 3, 0, 1), instr(Op::ScalarProduct, 3, 2, 3),
                instr(Op::ScalarVectorProduct, 2, 3, 0), instr(Op::VectorSum, 1, 1, 2)};
  EXPECT_EQ(a, want) << to_text(a);
  // It is linear regression by SGD with learning rate 0.166335: it solves linear tasks.
  EXPECT_GT(test::fitness(a, test::regression_spec(TaskType::Linear, 4, 2, 1000, 100)), 0.999);
}

TEST(OriginalPrintout, ErrorsAfterTheLogReportTheFileLine) {
  const std::string log =
      "Final evaluation fitness (on unseen data) = 1.000000\n"
      "Algorithm found: \n"
      "def Setup():\n"
      "  s2 = 0.166335\n"
      "def Predict():\n"
      "  s1 = dot(v1 v0)\n";
  expect_contains(parse_error(log, "run.log"), "run.log:6:");
}

// ---------------------------------------------------------------------------------------------------------------
// Bad text

TEST(ParseErrors, UnknownFunctionNamesTheLineAndTheExpectedForms) {
  const std::string e = parse_error("def Setup():\n  s2 = 0.5\n  s1 = foo(s2)\ndef Predict():\ndef Learn():\n");
  expect_contains(e, "algo.txt:3:");
  expect_contains(e, "s1 = foo(s2)");
  expect_contains(e, "expected an instruction");
}

TEST(ParseErrors, KnownFunctionWithWrongOperandsListsItsForms) {
  const std::string e = parse_error("def Setup():\ndef Predict():\n  s1 = dot(s1, v0)\ndef Learn():\n");
  expect_contains(e, "algo.txt:3:");
  expect_contains(e, "sO = dot(vA, vB)");
  expect_contains(e, "vO = dot(mA, vB)");
}

TEST(ParseErrors, BadAddresses) {
  expect_contains(parse_error("def Setup():\n  s = s1 + s2\n"), "algo.txt:2:");
  expect_contains(parse_error("def Setup():\n  s2 = s1 + x3\n"), "algo.txt:2:");
  expect_contains(parse_error("def Setup():\n  s256 = s1 + s2\n"), "algo.txt:2:");  // addresses are bytes
  expect_contains(parse_error("def Setup():\n  s-1 = s1 + s2\n"), "algo.txt:2:");
}

TEST(ParseErrors, MissingComponentHeader) {
  expect_contains(parse_error("def Setup():\n  s2 = 0.5\ndef Predict():\n  s1 = s2 + s2\n"), "missing 'def Learn():'");
  expect_contains(parse_error("def Setup():\n"), "missing 'def Predict():'");
}

TEST(ParseErrors, ComponentsOutOfOrder) {
  const std::string e = parse_error("def Setup():\ndef Learn():\ndef Predict():\n");
  expect_contains(e, "algo.txt:2:");
  expect_contains(e, "expected 'def Predict():'");
  expect_contains(parse_error("def Predict():\ndef Setup():\ndef Learn():\n"), "algo.txt:1:");
}

TEST(ParseErrors, ExtraComponentHeader) {
  expect_contains(parse_error("def Setup():\ndef Predict():\ndef Learn():\ndef Learn():\n"), "algo.txt:4:");
}

TEST(ParseErrors, InstructionBeforeSetup) {
  const std::string e = parse_error("# comment\n  s2 = 0.5\ndef Setup():\ndef Predict():\ndef Learn():\n");
  expect_contains(e, "algo.txt:2:");
  expect_contains(e, "expected 'def Setup():'");
}

TEST(ParseErrors, JunkAfterAValidInstruction) {
  expect_contains(parse_error("def Setup():\n  s2 = s0 + s1 junk\n"), "algo.txt:2:");
  expect_contains(parse_error("def Setup():\n  s2 = 0.5 0.25\n"), "algo.txt:2:");
  expect_contains(parse_error("def Setup():\n  NoOp() NoOp()\n"), "algo.txt:2:");
}

TEST(ParseErrors, EmptyText) {
  expect_contains(parse_error(""), "missing 'def Setup():'");
  expect_contains(parse_error("\n\n# only a comment\n"), "missing 'def Setup():'");
}

TEST(ParseErrors, SingleInstructionErrorsHaveNoLineNumber) {
  EXPECT_THROW(parse_instruction("s1 = dot(v1)"), ParseError);
  EXPECT_THROW(parse_instruction(""), ParseError);
  EXPECT_EQ(parse_instruction("  v2 = s3 * v0  "), instr(Op::ScalarVectorProduct, 2, 3, 0));
}

TEST(ParseErrors, NumbersOutOfRangeSaySo) {
  // They have the form of an instruction; "cannot read as an instruction" would send the user looking elsewhere.
  expect_contains(parse_error("def Setup():\n  s999 = s1 + s2\ndef Predict():\ndef Learn():\n"),
                  "algo.txt:2: 's999 = s1 + s2': address s999 is out of range: addresses are 0..255");
  expect_contains(parse_error("def Setup():\n  v3 = s1 * v300\ndef Predict():\ndef Learn():\n"), "address v300");
  expect_contains(parse_error("def Setup():\n  s2 = 1e39\ndef Predict():\ndef Learn():\n"),
                  "1e39 is out of the float range");
  expect_contains(parse_error("def Setup():\n  s2 = s99999999999999999999 + s1\ndef Predict():\ndef Learn():\n"),
                  "is out of range");
}

TEST(ParseErrors, HostileTextIsEscapedAndCut) {
  const std::string binary = std::string("def Setup():\n  \x01\x02\xff") + std::string(20000, 'q') + "\n";
  const std::string e = parse_error(binary);
  EXPECT_LT(e.size(), 800u) << e;
  expect_contains(e, "\\x01\\x02\\xFF");
  EXPECT_EQ(e.find('\x01'), std::string::npos);
}

TEST(ParseAlgorithm, AByteOrderMarkIsSkipped) {
  const Algorithm a = parse_algorithm("\xEF\xBB\xBF" + to_text(linear_algorithm()), "bom.txt");
  EXPECT_EQ(a, linear_algorithm());
}

TEST(ParseAlgorithm, ComponentsLongerThanTheBytecodeAllowsAreAnError) {
  std::string text = "def Setup():\n";
  for (uint32_t i = 0; i < kMaxComponentSize; ++i) text += "  s2 = s2 + s3\n";
  text += "def Predict():\ndef Learn():\n";
  expect_contains(parse_error(text), "algo.txt:16385: Setup has more than 16383 instructions");
  // One fewer is fine.
  const size_t cut = text.rfind("  s2 = s2 + s3\n");
  EXPECT_EQ(parse_algorithm(text.erase(cut, 15), "ok.txt").setup.size(), kMaxComponentSize - 1);
}

TEST(ReadAlgorithmFile, ADirectoryIsSaidToBeOne) {
  try {
    read_algorithm_file(AMLZ_TEST_DATA_DIR);
    ADD_FAILURE() << "read a directory";
  } catch (const Error& e) {
    expect_contains(e.what(), "is a directory, not an algorithm file");
  }
}

TEST(ReadAlgorithmFile, MissingFileIsAnErrorNamingIt) {
  const std::string path = "/nonexistent-dir/no-such-algorithm.txt";
  try {
    read_algorithm_file(path);
    ADD_FAILURE() << "no error for a missing file";
  } catch (const ParseError& e) {
    ADD_FAILURE() << "a missing file is not a parse error: " << e.what();
  } catch (const Error& e) {
    expect_contains(e.what(), path);
  }
}

TEST(ReadAlgorithmFile, ErrorsNameTheFile) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "amlz_text_test_bad.txt";
  {
    std::ofstream out(path);
    out << "def Setup():\n  s2 = 0.5\ndef Predict():\n  s1 = frobnicate(v0)\ndef Learn():\n";
  }
  try {
    read_algorithm_file(path.string());
    ADD_FAILURE() << "parsed a bad file";
  } catch (const ParseError& e) {
    expect_contains(e.what(), path.string() + ":4:");
  }
  std::filesystem::remove(path);
}

// ---------------------------------------------------------------------------------------------------------------
// Fuzzing: anything either parses or is a ParseError.

// Parses `text`; returns false (after recording a failure) if anything other than ParseError escapes.
bool parses_or_parse_error(const std::string& text) {
  try {
    parse_algorithm(text, "fuzz");
  } catch (const ParseError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected " << typeid(e).name() << ": " << e.what() << "\ninput:\n" << text;
    return false;
  } catch (...) {
    ADD_FAILURE() << "unexpected non-std exception\ninput:\n" << text;
    return false;
  }
  return true;
}

TEST(ParserFuzz, RandomBytes) {
  SearchRng rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::string text(rng.uniform_below(200), '\0');
    for (char& c : text) c = static_cast<char>(rng.uniform_below(256));
    if (i % 2) text = "def Setup():\n" + text;  // also past the first header
    if (!parses_or_parse_error(text)) break;
  }
}

TEST(ParserFuzz, MutatedValidText) {
  // Small edits of real algorithm text: characters from the text's own alphabet, digits and punctuation, so the
  // parser sees near-misses (bad numbers, addresses, brackets, headers) rather than plain noise.
  const std::vector<Algorithm> algorithms = random_algorithms(300, 0, 9);
  const std::string alphabet = "svm0123456789.-+eE(),[] =#\n\r\t:defSetupPredictLearnNoOpinfa_xyz\xff";
  SearchRng rng(2);
  int parsed = 0, total = 0;
  for (const Algorithm& a : algorithms) {
    for (int variant = 0; variant < 10; ++variant) {
      std::string text = to_text(a);
      for (int edits = rng.uniform_int(1, 6); edits > 0 && !text.empty(); --edits) {
        const size_t pos = rng.uniform_below(static_cast<uint32_t>(text.size()));
        const char c = alphabet[rng.uniform_below(static_cast<uint32_t>(alphabet.size()))];
        switch (rng.uniform_below(5)) {
          case 0: text.erase(pos, 1); break;
          case 1: text.insert(text.begin() + static_cast<long>(pos), c); break;
          case 2: text[pos] = c; break;
          case 3: {  // duplicate a stretch (e.g. a line or header)
            const size_t len = rng.uniform_below(40);
            text.insert(pos, text.substr(pos, len));
            break;
          }
          default: text.erase(pos, rng.uniform_below(30)); break;
        }
      }
      ++total;
      try {
        parse_algorithm(text, "fuzz");
        ++parsed;
      } catch (const ParseError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception: " << e.what() << "\ninput:\n" << text;
        return;
      }
    }
  }
  // Both outcomes occur, so the edits reach the parser's accepting and rejecting paths.
  EXPECT_GT(parsed, 0);
  EXPECT_LT(parsed, total);
}

}  // namespace
}  // namespace amlz
