// SPDX-License-Identifier: Apache-2.0
// The two generators: Philox-4x32-10 (core/philox.h; random ops and task data, shared with the GPU) and PCG32
// (core/search_rng.h; the search's own choices). Known-answer vectors pin the bit streams; loose statistical checks
// catch broken distributions. Statistical bounds are ~6 standard errors or more, so a correct generator does not flake
// (and every stream here is seeded, so each test is deterministic anyway).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "amlz/core/philox.h"
#include "amlz/core/search_rng.h"
#include "test_util.h"

namespace amlz {
namespace {

struct Moments {
  double mean = 0, variance = 0;
};
Moments moments(const std::vector<double>& x) {
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  for (double v : x) m.variance += (v - m.mean) * (v - m.mean);
  m.variance /= static_cast<double>(x.size());
  return m;
}

// Pearson's chi-square statistic of observed counts against a uniform expectation.
double chi_square_uniform(const std::vector<int>& counts) {
  double total = 0;
  for (int c : counts) total += c;
  const double expected = total / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

constexpr int kDraws = 100000;

// ---------------------------------------------------------------------------------------------------------------
// Philox-4x32-10

// The known-answer tests published with Random123 (kat_vectors, philox4x32 with 10 rounds).
TEST(Philox, MatchesRandom123KnownAnswerZeroCounterZeroKey) {
  const Philox4 r = philox4x32_10(0, 0, 0, 0, 0, 0);
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
}

TEST(Philox, MatchesRandom123KnownAnswerAllOnes) {
  const Philox4 r = philox4x32_10(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(r.v[0], 0x408f276du);
  EXPECT_EQ(r.v[1], 0x41c83b0eu);
  EXPECT_EQ(r.v[2], 0xa20bc7c6u);
  EXPECT_EQ(r.v[3], 0x6d5451fdu);
}

TEST(Philox, MatchesRandom123KnownAnswerPiDigits) {
  // Counter and key are the hexadecimal digits of pi, as in Random123's kat_vectors.
  const Philox4 r = philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[1], 0x94fdccebu);
  EXPECT_EQ(r.v[2], 0x5001e420u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Philox, RandomOpDrawDependsOnEveryCoordinate) {
  // A random op's draw is keyed by (seed, task) and counted by (element, instruction, step, phase): changing any
  // one coordinate must give a different block, or two ops / steps / tasks would share numbers.
  const Philox4 base = random_op_draw({7, 3, kPhaseTrain, 11}, make_random_key(Component::Predict, 2), 5);
  const Philox4 variants[] = {
      random_op_draw({8, 3, kPhaseTrain, 11}, make_random_key(Component::Predict, 2), 5),
      random_op_draw({7, 4, kPhaseTrain, 11}, make_random_key(Component::Predict, 2), 5),
      random_op_draw({7, 3, kPhaseValid, 11}, make_random_key(Component::Predict, 2), 5),
      random_op_draw({7, 3, kPhaseTrain, 12}, make_random_key(Component::Predict, 2), 5),
      random_op_draw({7, 3, kPhaseTrain, 11}, make_random_key(Component::Learn, 2), 5),
      random_op_draw({7, 3, kPhaseTrain, 11}, make_random_key(Component::Predict, 3), 5),
      random_op_draw({7, 3, kPhaseTrain, 11}, make_random_key(Component::Predict, 2), 6),
  };
  for (const Philox4& v : variants) EXPECT_NE(v.v[0], base.v[0]);
  // And it is a pure function: the same coordinates give the same block.
  const Philox4 again = random_op_draw({7, 3, kPhaseTrain, 11}, make_random_key(Component::Predict, 2), 5);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(again.v[i], base.v[i]);
}

TEST(Philox, RandomKeyEncodesComponentAndSourcePosition) {
  // bytecode.h: key = component << 14 | position; random_key() reads it back from the in1/in2 bytes.
  EXPECT_EQ(make_random_key(Component::Setup, 0), 0u);
  EXPECT_EQ(make_random_key(Component::Predict, 5), (1u << 14) | 5u);
  EXPECT_EQ(make_random_key(Component::Learn, kMaxComponentSize - 1), (2u << 14) | (kMaxComponentSize - 1));
  const uint32_t key = make_random_key(Component::Learn, 1234);
  Instr in{Op::VectorGaussianSet, 1, static_cast<uint8_t>(key & 0xFF), static_cast<uint8_t>(key >> 8), 0, 1, 0};
  EXPECT_EQ(random_key(in), key);
}

TEST(Philox, OpenUnitIntervalExcludesZeroAndOne) {
  // Box-Muller takes log(u): u must never be 0; open-interval uniforms must never hit their ends.
  EXPECT_GT(u32_to_open01(0), 0.0);
  EXPECT_LT(u32_to_open01(0xffffffffu), 1.0);
  EXPECT_LT(u32_to_open01(0), u32_to_open01(1));  // still resolves neighbouring words
  EXPECT_LT(u32_to_open01(0xfffffffeu), u32_to_open01(0xffffffffu));
  EXPECT_TRUE(std::isfinite(box_muller(0, 0)));
  EXPECT_TRUE(std::isfinite(box_muller(0xffffffffu, 0xffffffffu)));
}

TEST(Philox, FloatUnitIntervalIsHalfOpen) {
  EXPECT_EQ(u32_to_float01(0), 0.0f);
  EXPECT_LT(u32_to_float01(0xffffffffu), 1.0f);
  EXPECT_EQ(u32_to_float01(0x80000000u), 0.5f);
}

TEST(Philox, UniformOpenStaysInsideTheInterval) {
  PhiloxStream s(1, 2);
  for (int i = 0; i < kDraws; ++i) {
    const double x = uniform_open(-1.0, 1.0, s.next_u32());
    ASSERT_GT(x, -1.0);
    ASSERT_LT(x, 1.0);
  }
  // The extreme words land strictly inside too.
  EXPECT_GT(uniform_open(-0.5, 0.25, 0), -0.5);
  EXPECT_LT(uniform_open(-0.5, 0.25, 0xffffffffu), 0.25);
}

TEST(Philox, UniformOpenWithEmptyOrInvertedRangeReturnsLow) {
  // The original's absl semantics (spec §3): low >= high gives low.
  EXPECT_EQ(uniform_open(0.3, 0.3, 12345), 0.3);
  EXPECT_EQ(uniform_open(0.7, -0.2, 12345), 0.7);
  EXPECT_EQ(uniform_open(0.7, -0.2, 0xffffffffu), 0.7);
}

TEST(Philox, UniformOpenIsUniform) {
  PhiloxStream s(3, 4);
  std::vector<int> bins(10, 0);
  for (int i = 0; i < kDraws; ++i) ++bins[static_cast<size_t>(uniform_open(0.0, 10.0, s.next_u32()))];
  // 9 degrees of freedom: P(chi2 > 40) ~ 7e-6.
  EXPECT_LT(chi_square_uniform(bins), 40.0);
}

TEST(Philox, BoxMullerHasStandardNormalMoments) {
  PhiloxStream s(5, 6);
  std::vector<double> x(kDraws);
  int within_one_sigma = 0;
  for (double& v : x) {
    v = s.gaussian();
    if (std::abs(v) < 1.0) ++within_one_sigma;
  }
  const Moments m = moments(x);
  // Standard errors: mean 1/sqrt(n) = 0.0032, variance sqrt(2/n) = 0.0045, the 68.27% fraction 0.0015.
  EXPECT_NEAR(m.mean, 0.0, 0.02);
  EXPECT_NEAR(m.variance, 1.0, 0.03);
  EXPECT_NEAR(within_one_sigma / double(kDraws), 0.6827, 0.01);
}

TEST(Philox, GaussianScalesAndShifts) {
  PhiloxStream s(7, 8);
  std::vector<double> x(kDraws);
  for (double& v : x) {
    const uint32_t a = s.next_u32();
    v = gaussian(3.0, 0.5, a, s.next_u32());
  }
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, 3.0, 0.01);              // se 0.0016
  EXPECT_NEAR(m.variance, 0.25, 0.25 * 0.03);  // relative se 0.0045
  // A zero standard deviation returns the mean exactly (spec §3).
  EXPECT_EQ(gaussian(-0.75, 0.0, 1, 2), -0.75);
}

TEST(PhiloxStream, IsDeterministicPerSeedAndStream) {
  PhiloxStream a(42, 7), b(42, 7), other_seed(43, 7), other_stream(42, 8);
  int same_seed_diffs = 0, other_seed_diffs = 0, other_stream_diffs = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t x = a.next_u32();
    same_seed_diffs += x != b.next_u32();
    other_seed_diffs += x != other_seed.next_u32();
    other_stream_diffs += x != other_stream.next_u32();
  }
  EXPECT_EQ(same_seed_diffs, 0);
  EXPECT_GT(other_seed_diffs, 990);
  EXPECT_GT(other_stream_diffs, 990);
}

TEST(PhiloxStream, WalksPhiloxBlocksInCounterOrder) {
  // The stream is Philox(counter = (i, 0, 0, 0), key = (seed, stream)) for blocks i = 0, 1, ..., four words each:
  // this pins the data layout the GPU and the task factory rely on.
  PhiloxStream s(0xa4093822u, 0x299f31d0u);
  for (uint32_t block = 0; block < 3; ++block) {
    const Philox4 want = philox4x32_10(block, 0, 0, 0, 0xa4093822u, 0x299f31d0u);
    for (int w = 0; w < 4; ++w) EXPECT_EQ(s.next_u32(), want.v[w]) << "block " << block << " word " << w;
  }
}

TEST(PhiloxStream, UniformBelowStaysInRange) {
  PhiloxStream s(9, 10);
  for (uint32_t n : {1u, 2u, 3u, 7u, 1000u, 0x80000001u, 0xffffffffu})
    for (int i = 0; i < 2000; ++i) ASSERT_LT(s.uniform_below(n), n) << "n = " << n;
}

TEST(PhiloxStream, UniformBelowIsUniform) {
  PhiloxStream s(11, 12);
  std::vector<int> bins(7, 0);
  for (int i = 0; i < 70000; ++i) ++bins[s.uniform_below(7)];
  // 6 degrees of freedom: P(chi2 > 40) ~ 5e-7.
  EXPECT_LT(chi_square_uniform(bins), 40.0);
}

TEST(PhiloxStream, UniformBelowHasNoBiasForLargeRanges) {
  // n = 3 * 2^30: plain `u % n` would give values below 2^30 with probability 1/2 (not 1/3), and a multiply
  // without rejection would make multiples of 3 twice as likely as the others. Lemire's method has neither bias.
  PhiloxStream s(13, 14);
  const uint32_t n = 3u << 30;
  int low = 0, multiple_of_3 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const uint32_t x = s.uniform_below(n);
    low += x < (1u << 30);
    multiple_of_3 += x % 3 == 0;
  }
  EXPECT_NEAR(low / double(kDraws), 1.0 / 3.0, 0.01);  // se 0.0015
  EXPECT_NEAR(multiple_of_3 / double(kDraws), 1.0 / 3.0, 0.01);
}

// ---------------------------------------------------------------------------------------------------------------
// SearchRng (PCG32)

TEST(SearchRng, MatchesTheReferencePcg32Stream) {
  // pcg32-demo (O'Neill's reference code) seeded with initstate 42, initseq 54 prints 0xa15c02b7 0x7b47f409
  // 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e. Its seeding: inc = initseq << 1 | 1; state = 0; step;
  // state += initstate; step. Rebuild that state by hand and hand it to from_state().
  const uint64_t mult = 6364136223846793005ULL, inc = (54ULL << 1) | 1;
  uint64_t state = 0 * mult + inc;
  state += 42;
  state = state * mult + inc;
  SearchRng r = SearchRng::from_state(state, inc);
  const uint32_t want[] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
  for (uint32_t w : want) EXPECT_EQ(r.next_u32(), w);
}

TEST(SearchRng, IsDeterministicPerSeed) {
  SearchRng a(123), b(123), c(124);
  int same = 0, differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t x = a.next_u32();
    same += x == b.next_u32();
    differ += x != c.next_u32();
  }
  EXPECT_EQ(same, 1000);
  EXPECT_GT(differ, 990);  // neighbouring seeds give unrelated streams
}

TEST(SearchRng, FromStateResumesTheStream) {
  SearchRng r(77);
  for (int i = 0; i < 17; ++i) r.next_u32();
  SearchRng copy = SearchRng::from_state(r.state(), r.stream());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(copy.next_u32(), r.next_u32());
  EXPECT_EQ(copy.state(), r.state());
  EXPECT_EQ(copy.stream(), r.stream());
}

TEST(SearchRng, NextU64IsTwoConsecutiveWordsHighFirst) {
  SearchRng a(5), b(5);
  const uint64_t hi = b.next_u32();
  const uint64_t lo = b.next_u32();
  EXPECT_EQ(a.next_u64(), (hi << 32) | lo);
}

TEST(SearchRng, UniformBelowStaysInRangeAndIsUniform) {
  SearchRng r(1);
  for (uint32_t n : {1u, 2u, 5u, 0xffffffffu})
    for (int i = 0; i < 2000; ++i) ASSERT_LT(r.uniform_below(n), n);
  std::vector<int> bins(7, 0);
  for (int i = 0; i < 70000; ++i) ++bins[r.uniform_below(7)];
  EXPECT_LT(chi_square_uniform(bins), 40.0);
  int low = 0;
  for (int i = 0; i < kDraws; ++i) low += r.uniform_below(3u << 30) < (1u << 30);
  EXPECT_NEAR(low / double(kDraws), 1.0 / 3.0, 0.01);  // no modulo bias (see PhiloxStream above)
}

TEST(SearchRng, UniformIntCoversExactlyTheHalfOpenRange) {
  SearchRng r(2);
  std::set<int> seen;
  for (int i = 0; i < 10000; ++i) {
    const int x = r.uniform_int(-3, 4);
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 4);
    seen.insert(x);
  }
  EXPECT_EQ(seen, (std::set<int>{-3, -2, -1, 0, 1, 2, 3}));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(r.uniform_int(5, 6), 5);
}

TEST(SearchRng, UniformFloatIsInUnitIntervalWithMeanOneHalf) {
  SearchRng r(3);
  std::vector<double> x(kDraws);
  for (double& v : x) {
    const float f = r.uniform_float();
    ASSERT_GE(f, 0.0f);
    ASSERT_LT(f, 1.0f);
    v = f;
  }
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, 0.5, 0.01);              // se 0.0009
  EXPECT_NEAR(m.variance, 1.0 / 12.0, 0.005);  // se 0.0003
  for (int i = 0; i < 10000; ++i) {
    const float f = r.uniform_float(-1.0f, 1.0f);
    ASSERT_GE(f, -1.0f);
    ASSERT_LT(f, 1.0f);
  }
}

TEST(SearchRng, UniformDoubleAndOpenStayInRange) {
  SearchRng r(4);
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double d = r.uniform_double();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    sum += d;
    const double o = r.uniform_open(-1.0, 1.0);
    ASSERT_GT(o, -1.0);
    ASSERT_LT(o, 1.0);
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.01);
}

TEST(SearchRng, GaussianHasStandardNormalMoments) {
  SearchRng r(5);
  std::vector<double> x(kDraws);
  for (double& v : x) v = r.gaussian();
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, 0.0, 0.02);
  EXPECT_NEAR(m.variance, 1.0, 0.03);
}

TEST(SearchRng, BernoulliRespectsItsProbability) {
  SearchRng r(6);
  int hits = 0;
  for (int i = 0; i < kDraws; ++i) {
    ASSERT_FALSE(r.bernoulli(0.0));
    ASSERT_TRUE(r.bernoulli(1.0));
    hits += r.bernoulli(0.3);
  }
  EXPECT_NEAR(hits / double(kDraws), 0.3, 0.01);  // se 0.0014
}

}  // namespace
}  // namespace amlz
