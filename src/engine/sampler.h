#pragma once
// Token selection from one row of logits: greedy, or temperature / top-k / top-p sampling with a
// seeded generator so a (seed, logits) pair always gives the same token.
#include <cstdint>
#include <optional>
#include <random>

namespace sunbae::engine {

struct SamplingParams {
  double temperature = 0.0;  // 0: greedy
  int64_t top_k = 0;         // 0: all tokens
  double top_p = 1.0;        // nucleus mass in (0, 1]
  std::optional<uint64_t> seed;

  void validate() const;  // throws Error for out-of-range values
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  int32_t sample(const float* logits, int64_t vocab);

 private:
  SamplingParams p_;
  std::mt19937_64 rng_;
};

// Index of the largest logit; the first one on ties, as torch.argmax.
int32_t argmax(const float* logits, int64_t vocab);

}  // namespace sunbae::engine
