#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "core/error.h"
#include "kernels/sampling_rule.h"

namespace sunbae::engine {

void SamplingParams::validate() const {
  SUNBAE_CHECK(std::isfinite(temperature) && temperature >= 0.0,
               "temperature must be >= 0, got ", temperature);
  SUNBAE_CHECK(top_k >= 0, "top_k must be >= 0 (0 disables it), got ", top_k);
  SUNBAE_CHECK(top_p > 0.0 && top_p <= 1.0, "top_p must be in (0, 1], got ", top_p);
  SUNBAE_CHECK(min_p >= 0.0 && min_p <= 1.0, "min_p must be in [0, 1], got ", min_p);
}

namespace {
uint64_t random_seed() {
  std::random_device rd;
  return uint64_t(rd()) << 32 | rd();
}
}  // namespace

Sampler::Sampler(const SamplingParams& params) : p_(params), seed_(params.seed ? *params.seed : random_seed()) {
  p_.validate();
}

int32_t argmax(const float* logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best]) best = i;
  return int32_t(best);
}

int32_t Sampler::sample(const float* logits, int64_t vocab) {
  // NaN compares false everywhere, so greedy would silently pick index 0: refuse instead.
  for (int64_t i = 0; i < vocab; ++i)
    SUNBAE_CHECK(!std::isnan(logits[i]), "sampler: logit ", i, " is NaN");
  return select_token(logits, vocab, p_, seed_, step_++);
}

// Written as the rule reads (sampling_rule.h), with sorts where the GPU uses radix selection.
int32_t select_token(const float* logits, int64_t vocab, const SamplingParams& params, uint64_t seed,
                     uint64_t step) {
  using namespace kernels;
  const float temperature = float(params.temperature);
  if (!(temperature > 0.f)) return argmax(logits, vocab);
  const float m = logits[argmax(logits, vocab)];
  const float inv_t = inv_temperature(temperature);
  std::vector<float> e(static_cast<size_t>(vocab));
  for (size_t i = 0; i < e.size(); ++i) e[i] = token_weight(logits[i], m, inv_t);

  float t = 0.f;  // every e is >= 0: keeps all
  if (params.top_k > 0 && params.top_k < vocab) {
    std::vector<float> s = e;
    const auto kth = s.begin() + (params.top_k - 1);
    std::nth_element(s.begin(), kth, s.end(), std::greater<float>());
    t = *kth;
  }
  const float top_p = float(params.top_p);
  if (top_p < 1.f) {
    std::vector<float> s;
    uint64_t mass_k = 0;
    for (float v : e)
      if (v >= t) s.push_back(v), mass_k += token_mass(v);
    std::sort(s.begin(), s.end(), std::greater<float>());
    uint64_t cum = 0;
    for (size_t i = 0; i < s.size();) {
      size_t j = i;
      while (j < s.size() && s[j] == s[i]) cum += token_mass(s[j++]);  // a whole tie group at once
      if (top_p_reached(cum, top_p, mass_k)) {
        t = s[i];
        break;
      }
      i = j;
    }
  }
  const float min_p = float(params.min_p);
  if (min_p > t) t = std::min(min_p, 1.f);

  uint64_t total = 0;
  for (float v : e)
    if (v >= t) total += token_mass(v);
  const uint64_t target = draw_target(draw_bits(seed, step), total);
  uint64_t cum = 0;
  for (size_t i = 0; i < e.size(); ++i)
    if (e[i] >= t && (cum += token_mass(e[i])) > target) return int32_t(i);
  fail("sampler: the draw ran past the kept tokens (mass ", total, ", target ", target, ")");
}

}  // namespace sunbae::engine
