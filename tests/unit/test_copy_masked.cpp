// The sampler's masked copy equals copying the row and then setting the ruled-out logits to -inf,
// for masks of every shape (all, none, sparse, dense, a partial last word) and the same "any" answer.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "engine/token_choice.h"

namespace sunbae::engine {
namespace {

TEST(CopyMasked, EqualsCopyThenApplyTokenMask) {
  std::mt19937_64 rng(3);
  for (int64_t vocab : {1, 63, 64, 65, 200, 1000, 32000}) {
    const size_t words = size_t((vocab + 63) / 64);
    std::vector<float> src(static_cast<size_t>(vocab));
    for (auto& x : src) x = std::normal_distribution<float>(0.f, 3.f)(rng);
    for (int shape = 0; shape < 6; ++shape) {
      std::vector<uint64_t> mask(words);
      for (auto& w : mask) {
        const uint64_t r = rng();
        w = shape == 0 ? 0 : shape == 1 ? ~uint64_t(0) : shape == 2 ? r & rng() & rng() : shape == 3 ? r | rng() : r;
      }
      if (shape == 5) mask.resize(words / 2);  // a short mask: words past it are ruled out
      std::vector<float> want = src;
      const bool want_any = apply_token_mask(want.data(), vocab, mask);
      std::vector<float> got(static_cast<size_t>(vocab), 12345.f);  // poisoned: every element must be written
      const bool any = copy_masked(src.data(), got.data(), vocab, mask);
      EXPECT_EQ(any, want_any) << vocab << " " << shape;
      ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << vocab << " " << shape;
    }
  }
}

}  // namespace
}  // namespace sunbae::engine
