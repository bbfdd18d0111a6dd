#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace sunbae::engine {

void SamplingParams::validate() const {
  SUNBAE_CHECK(std::isfinite(temperature) && temperature >= 0.0,
               "temperature must be >= 0, got ", temperature);
  SUNBAE_CHECK(top_k >= 0, "top_k must be >= 0 (0 disables it), got ", top_k);
  SUNBAE_CHECK(top_p > 0.0 && top_p <= 1.0, "top_p must be in (0, 1], got ", top_p);
}

Sampler::Sampler(const SamplingParams& params)
    : p_(params), rng_(params.seed ? *params.seed : std::random_device{}()) {
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
  if (p_.temperature == 0.0) return argmax(logits, vocab);
  // Candidates sorted by logit (stable on index), cut by top-k, softmax, then cut by top-p.
  std::vector<int32_t> idx(static_cast<size_t>(vocab));
  std::iota(idx.begin(), idx.end(), 0);
  const int64_t k = p_.top_k > 0 ? std::min(p_.top_k, vocab) : vocab;
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), by_logit);
  idx.resize(size_t(k));
  std::vector<double> prob(idx.size());
  const double mx = logits[idx[0]];
  double sum = 0.0;
  for (size_t i = 0; i < idx.size(); ++i) {
    prob[i] = std::exp((double(logits[idx[i]]) - mx) / p_.temperature);
    sum += prob[i];
  }
  size_t keep = idx.size();
  if (p_.top_p < 1.0) {
    double mass = 0.0;
    for (size_t i = 0; i < idx.size(); ++i) {
      mass += prob[i] / sum;
      if (mass >= p_.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) total += prob[i];
  const double u = std::uniform_real_distribution<double>(0.0, total)(rng_);
  double acc = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    acc += prob[i];
    if (u < acc) return idx[i];
  }
  return idx[keep - 1];
}

}  // namespace sunbae::engine
