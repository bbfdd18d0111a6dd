#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/error.h"
#include "engine/sampler.h"
#include "kernels/sampling_rule.h"
#include "unit/filtered_softmax.h"

namespace sunbae::engine {
namespace {

std::vector<float> random_logits(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0, 2);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

TEST(Sampler, GreedyIsArgmaxWithFirstIndexOnTies) {
  std::vector<float> l = {0.5f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(Sampler(SamplingParams{}).sample(l.data(), 4), 1);
  const auto r = random_logits(1000, 1);
  EXPECT_EQ(argmax(r.data(), 1000), int32_t(std::max_element(r.begin(), r.end()) - r.begin()));
}

TEST(Sampler, TopKOneAndTinyTopPAreGreedy) {
  const auto l = random_logits(500, 2);
  const int32_t best = argmax(l.data(), 500);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(Sampler({1.5, 1, 1.0, 0.0, seed}).sample(l.data(), 500), best);
    EXPECT_EQ(Sampler({1.5, 0, 1e-6, 0.0, seed}).sample(l.data(), 500), best);
    EXPECT_EQ(Sampler({1.5, 0, 1.0, 1.0, seed}).sample(l.data(), 500), best) << "min_p 1 keeps the max only";
  }
}

TEST(Sampler, SeedMakesItReproducible) {
  const auto l = random_logits(300, 3);
  Sampler a({1.0, 0, 1.0, 0.0, 99}), b({1.0, 0, 1.0, 0.0, 99});
  std::vector<int32_t> ta, tb;
  for (int i = 0; i < 50; ++i) ta.push_back(a.sample(l.data(), 300)), tb.push_back(b.sample(l.data(), 300));
  EXPECT_EQ(ta, tb);
  EXPECT_GT(std::set<int32_t>(ta.begin(), ta.end()).size(), 3u) << "temperature 1 should vary";
}

// The draw is a function of (seed, step) alone: a sampler moved to step s draws what a fresh one
// draws at its s-th token, greedy steps count, and another seed gives another sequence.
TEST(Sampler, TokenIsAFunctionOfSeedAndStep) {
  const auto l = random_logits(300, 4);
  const SamplingParams p{1.0, 0, 0.95, 0.0, 7};
  Sampler a(p);
  std::vector<int32_t> seq;
  for (int i = 0; i < 40; ++i) seq.push_back(a.sample(l.data(), 300));
  EXPECT_EQ(a.seed(), 7u);
  EXPECT_EQ(a.step(), 40u);
  for (uint64_t s : {0u, 13u, 39u}) {
    Sampler b(p);
    b.set_step(s);
    EXPECT_EQ(b.sample(l.data(), 300), seq[s]) << "step " << s;
    EXPECT_EQ(select_token(l.data(), 300, p, 7, s), seq[s]) << "step " << s;
  }
  Sampler g({0.0, 0, 1.0, 0.0, 7});
  g.sample(l.data(), 300);
  EXPECT_EQ(g.step(), 1u) << "a greedy token is a step too";
  SamplingParams q = p;
  q.seed = 8;
  Sampler c(q);
  int same = 0;
  for (int i = 0; i < 40; ++i) same += c.sample(l.data(), 300) == seq[size_t(i)];
  EXPECT_LT(same, 20) << "seeds 7 and 8 should give unrelated draws";
  SamplingParams unseeded = p;
  unseeded.seed.reset();
  EXPECT_NE(Sampler(unseeded).seed(), Sampler(unseeded).seed()) << "no seed: a random one";
}

// The shared rule's pieces that both sides rely on: exp(0) is exactly 1 (so the max has e = 1 and
// mass 2^40), exp is accurate and never negative, and the draw bits are uniform in their top bits.
TEST(SamplingRule, WeightsAndDrawBits) {
  using namespace kernels;
  EXPECT_EQ(exp_nonpositive(0.f), 1.f);
  EXPECT_EQ(exp_nonpositive(-0.f), 1.f);
  EXPECT_EQ(token_mass(1.f), uint64_t(1) << kMassBits);
  EXPECT_EQ(exp_nonpositive(-INFINITY), 0.f);
  EXPECT_EQ(exp_nonpositive(NAN), 0.f);
  EXPECT_EQ(token_weight(INFINITY, INFINITY, 1.f), 1.f) << "a +inf max is the max, not inf - inf";
  double worst = 0;
  for (float x = -85.9f; x <= 0.f; x += 0.0137f)
    worst = std::max(worst, std::fabs(exp_nonpositive(x) / std::exp(double(x)) - 1));
  EXPECT_LT(worst, 3e-7) << "about 2 float ulp";
  std::vector<int> bucket(16);
  for (uint64_t s = 0; s < 16000; ++s) ++bucket[draw_bits(5, s) >> 60];
  for (int b : bucket) EXPECT_NEAR(b, 1000, 150) << "16 buckets of 1000 draws: 4.7 sigma";
  EXPECT_EQ(draw_target(~uint64_t(0), 10), 9u);
  EXPECT_EQ(draw_target(0, 10), 0u);
}

// Frequencies follow softmax(logits / T) restricted to the top-k, within sampling noise.
TEST(Sampler, FrequenciesFollowTheTruncatedSoftmax) {
  const std::vector<float> l = {2.0f, 1.0f, 0.5f, 0.0f, -1.0f};
  const double T = 0.8;
  Sampler s({T, 3, 1.0, 0.0, 5});
  std::map<int32_t, int> count;
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++count[s.sample(l.data(), 5)];
  double z = 0;
  for (int i = 0; i < 3; ++i) z += std::exp(l[size_t(i)] / T);
  // 40k draws: the standard error of a frequency is <= 0.0025, so 0.01 is 4 sigma.
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(count[i] / double(n), std::exp(l[size_t(i)] / T) / z, 0.01);
  EXPECT_EQ(count.count(3) + count.count(4), 0u);
}

// 20k draws at steps 0..19999 against the filtered softmax computed independently in double, for
// temperature alone and for top-k, top-p and min-p all cutting (each removes tokens here).
TEST(Sampler, DrawsMatchTheFilteredSoftmax) {
  const std::vector<float> l = {2.0f, 1.6f, 1.1f, 0.9f, 0.3f, 0.0f, -0.4f, -1.0f, -1.5f, -3.0f};
  for (const SamplingParams& p : {SamplingParams{1.3, 0, 1.0, 0.0, 3}, SamplingParams{0.8, 7, 0.9, 0.15, 3}}) {
    const auto want = test::filtered_softmax(l, p.temperature, p.top_k, p.top_p, p.min_p);
    std::vector<int64_t> count(l.size());
    for (uint64_t step = 0; step < 20000; ++step) ++count[size_t(select_token(l.data(), 10, p, *p.seed, step))];
    const auto chi = test::chi_square(count, want);
    EXPECT_LT(chi.stat, test::chi_square_limit(chi.df)) << "T " << p.temperature << " df " << chi.df;
    EXPECT_EQ(chi.df, p.top_k ? 3 : 9) << "the filters keep tokens 0-3";
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // Probabilities 0.5, 0.3, 0.2 at T=1: top_p 0.75 keeps the first two.
  const std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  Sampler s({1.0, 0, 0.75, 0.0, 11});
  for (int i = 0; i < 2000; ++i) EXPECT_NE(s.sample(l.data(), 3), 2);
}

TEST(Sampler, MinPKeepsTokensAboveTheFractionOfTheMax) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: min_p 0.2 keeps p >= 0.1, the first three.
  const std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  Sampler s({1.0, 0, 1.0, 0.2, 12});
  std::set<int32_t> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(s.sample(l.data(), 4));
  EXPECT_EQ(seen, (std::set<int32_t>{0, 1, 2}));
}

// Tokens tied with the k-th are all kept (HF and vLLM do the same): the GPU and CPU rules agree on
// one tie rule without an index tie-break.
TEST(Sampler, TopKKeepsTiesAtTheThreshold) {
  const std::vector<float> l = {1.0f, 0.0f, 1.0f, 1.0f, -1.0f};
  Sampler s({1.0, 2, 1.0, 0.0, 13});
  std::set<int32_t> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(s.sample(l.data(), 5));
  EXPECT_EQ(seen, (std::set<int32_t>{0, 2, 3}));
}

TEST(Sampler, RefusesNaNLogits) {
  std::vector<float> l = {0.5f, NAN, 1.0f};
  EXPECT_THROW(Sampler(SamplingParams{}).sample(l.data(), 3), Error);
  EXPECT_THROW(Sampler({1.0, 0, 1.0, 0.0, 1}).sample(l.data(), 3), Error);
}

TEST(Sampler, RejectsOutOfRangeParameters) {
  EXPECT_THROW(Sampler({-0.1, 0, 1.0, 0.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, -2, 1.0, 0.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 0.0, 0.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 1.5, 0.0, 1}), Error);
  EXPECT_THROW(Sampler({NAN, 0, 1.0, 0.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 1.0, -0.1, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 1.0, 1.5, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 1.0, NAN, 1}), Error);
  EXPECT_NO_THROW(Sampler({1.0, 0, 1.0, 1.0, 1}));
}

}  // namespace
}  // namespace sunbae::engine
