#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/error.h"
#include "engine/sampler.h"

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
    EXPECT_EQ(Sampler({1.5, 1, 1.0, seed}).sample(l.data(), 500), best);
    EXPECT_EQ(Sampler({1.5, 0, 1e-6, seed}).sample(l.data(), 500), best);
  }
}

TEST(Sampler, SeedMakesItReproducible) {
  const auto l = random_logits(300, 3);
  Sampler a({1.0, 0, 1.0, 99}), b({1.0, 0, 1.0, 99});
  std::vector<int32_t> ta, tb;
  for (int i = 0; i < 50; ++i) ta.push_back(a.sample(l.data(), 300)), tb.push_back(b.sample(l.data(), 300));
  EXPECT_EQ(ta, tb);
  EXPECT_GT(std::set<int32_t>(ta.begin(), ta.end()).size(), 3u) << "temperature 1 should vary";
}

// Frequencies follow softmax(logits / T) restricted to the top-k, within sampling noise.
TEST(Sampler, FrequenciesFollowTheTruncatedSoftmax) {
  const std::vector<float> l = {2.0f, 1.0f, 0.5f, 0.0f, -1.0f};
  const double T = 0.8;
  Sampler s({T, 3, 1.0, 5});
  std::map<int32_t, int> count;
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++count[s.sample(l.data(), 5)];
  double z = 0;
  for (int i = 0; i < 3; ++i) z += std::exp(l[size_t(i)] / T);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(count[i] / double(n), std::exp(l[size_t(i)] / T) / z, 0.01);
  EXPECT_EQ(count.count(3) + count.count(4), 0u);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // Probabilities 0.5, 0.3, 0.2 at T=1: top_p 0.75 keeps the first two.
  const std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  Sampler s({1.0, 0, 0.75, 11});
  for (int i = 0; i < 2000; ++i) EXPECT_NE(s.sample(l.data(), 3), 2);
}

TEST(Sampler, RejectsOutOfRangeParameters) {
  EXPECT_THROW(Sampler({-0.1, 0, 1.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, -2, 1.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 0.0, 1}), Error);
  EXPECT_THROW(Sampler({1.0, 0, 1.5, 1}), Error);
  EXPECT_THROW(Sampler({NAN, 0, 1.0, 1}), Error);
}

}  // namespace
}  // namespace sunbae::engine
