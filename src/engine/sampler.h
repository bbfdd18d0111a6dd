#pragma once
// Token selection from one row of logits: greedy, or sampling with temperature, top-k, top-p and
// min-p, applied in that order (vLLM's), then a draw whose random number is a function of (seed,
// step) only. The exact rule, ties included, is kernels/sampling_rule.h; the GPU sampler
// (kernels/cuda/sampling.h) implements the same rule and is tested token for token against this one.
#include <cstdint>
#include <optional>

namespace sunbae::engine {

struct SamplingParams {
  double temperature = 0.0;  // 0: greedy; used as a float, as on the GPU
  int64_t top_k = 0;         // 0: all tokens
  double top_p = 1.0;        // nucleus mass in (0, 1]
  double min_p = 0.0;        // in [0, 1]: keep tokens with p >= min_p * p_max; 0: off
  std::optional<uint64_t> seed;  // none: a random one

  void validate() const;  // throws Error for out-of-range values
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // The token of the current step, which then advances (greedy steps count too, so the step is
  // the index of the token in the sequence). Throws on a NaN logit.
  int32_t sample(const float* logits, int64_t vocab);

  uint64_t seed() const { return seed_; }
  uint64_t step() const { return step_; }
  // Continue from token `step`: a replayed sequence draws what it drew before.
  void set_step(uint64_t step) { step_ = step; }

 private:
  SamplingParams p_;
  uint64_t seed_;
  uint64_t step_ = 0;
};

// Index of the largest logit; the first one on ties, as torch.argmax.
int32_t argmax(const float* logits, int64_t vocab);

// The rule of kernels/sampling_rule.h for one row (params validated, logits free of NaN): the
// token Sampler::sample returns at `step` for `seed`.
int32_t select_token(const float* logits, int64_t vocab, const SamplingParams& params, uint64_t seed,
                     uint64_t step);

}  // namespace sunbae::engine
