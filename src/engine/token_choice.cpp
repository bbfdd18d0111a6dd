#include "engine/token_choice.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "core/error.h"

namespace sunbae::engine {

void apply_repetition_penalty(float* logits, int64_t vocab, const std::vector<int32_t>& seen, double penalty) {
  if (penalty == 1.0) return;
  std::vector<uint8_t> done(size_t(vocab), 0);
  const float p = float(penalty);
  for (int32_t t : seen) {
    if (t < 0 || t >= vocab || done[size_t(t)]) continue;
    done[size_t(t)] = 1;
    float& l = logits[t];
    l = l > 0.f ? l / p : l * p;
  }
}

bool apply_token_mask(float* row, int64_t vocab, const std::vector<uint64_t>& mask) {
  // Word by word: inside a string nearly every word is all ones, elsewhere nearly all zeros.
  const float ninf = -std::numeric_limits<float>::infinity();
  bool any = false;
  for (int64_t w = 0; w * 64 < vocab; ++w) {
    const uint64_t bits = size_t(w) < mask.size() ? mask[size_t(w)] : 0;
    const int64_t end = std::min<int64_t>(vocab, (w + 1) * 64);
    any = any || bits != 0;
    if (bits == ~uint64_t(0) && end == (w + 1) * 64) continue;
    if (bits == 0) {
      std::fill(row + w * 64, row + end, ninf);
      continue;
    }
    // Only the disallowed bits: the past-the-end bits of a partial last word are skipped.
    for (uint64_t off = ~bits; off; off &= off - 1) {
      const int64_t i = w * 64 + std::countr_zero(off);
      if (i < end) row[size_t(i)] = ninf;
    }
  }
  return any;
}

bool copy_masked(const float* src, float* dst, int64_t vocab, const std::vector<uint64_t>& mask) {
  const float ninf = -std::numeric_limits<float>::infinity();
  bool any = false;
  for (int64_t w = 0; w * 64 < vocab; ++w) {
    const uint64_t bits = size_t(w) < mask.size() ? mask[size_t(w)] : 0;
    const int64_t begin = w * 64, n = std::min<int64_t>(vocab - begin, 64);
    float* d = dst + begin;
    const float* s = src + begin;
    any = any || bits != 0;
    // Plain loops, not std::copy/fill: a call per 64 floats cost more than the copy itself.
    if (bits == 0) {
      for (int64_t k = 0; k < n; ++k) d[k] = ninf;
      continue;
    }
    for (int64_t k = 0; k < n; ++k) d[k] = s[k];
    // Then only the ruled-out ones: inside a string nearly every bit of a word is set.
    for (uint64_t off = ~bits; off; off &= off - 1) {
      const int k = std::countr_zero(off);
      if (k < n) d[k] = ninf;
    }
  }
  return any;
}

namespace {
TokenLogprob logprobs_of(const float* logits, int64_t vocab, int32_t chosen, int64_t k) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < vocab; ++i) m = std::max(m, double(logits[i]));
  double sum = 0.0;
  for (int64_t i = 0; i < vocab; ++i) sum += std::exp(double(logits[i]) - m);
  const double lse = m + std::log(sum);
  TokenLogprob lp;
  lp.token = chosen;
  lp.logprob = float(double(logits[chosen]) - lse);
  if (k > 0) {
    std::vector<int32_t> idx(static_cast<size_t>(vocab));
    std::iota(idx.begin(), idx.end(), 0);
    const auto kk = size_t(std::min<int64_t>(k, vocab));
    // Ties by lower id, so the list is deterministic.
    std::partial_sort(idx.begin(), idx.begin() + long(kk), idx.end(), [&](int32_t a, int32_t b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    for (size_t i = 0; i < kk; ++i) lp.top.emplace_back(idx[i], float(double(logits[idx[i]]) - lse));
  }
  return lp;
}
}  // namespace

TokenChoice choose_token(const TokenChoiceInput& in, const RequestParams& params) {
  for (int64_t i = 0; i < in.vocab; ++i)
    SUNBAE_CHECK(!std::isnan(in.logits[i]), "sampler: logit ", i, " is NaN");
  // Masked first, in the copy: the penalty and min_tokens below leave a -inf logit at -inf, so
  // this is the row the mask-last order gives. Left uninitialised: every element is written here.
  std::unique_ptr<float[]> row(new float[size_t(in.vocab)]);
  if (in.allowed)
    SUNBAE_CHECK(copy_masked(in.logits, row.get(), in.vocab, *in.allowed), "sampler: the grammar allows no token");
  else
    std::copy(in.logits, in.logits + in.vocab, row.get());
  apply_repetition_penalty(row.get(), in.vocab, *in.tokens, params.repetition_penalty);
  if (in.output_len < params.min_tokens) {
    const float ninf = -std::numeric_limits<float>::infinity();
    if (!params.ignore_eos && in.eos_token_ids)
      for (int64_t e : *in.eos_token_ids)
        if (e >= 0 && e < in.vocab) row[size_t(e)] = ninf;
    for (int32_t s : params.stop_token_ids)
      if (s >= 0 && s < in.vocab) row[size_t(s)] = ninf;
  }
  TokenChoice c;
  c.token = select_token(row.get(), in.vocab, params.sampling, in.seed, uint64_t(in.output_len));
  if (params.logprobs >= 0) c.logprob = logprobs_of(in.logits, in.vocab, c.token, params.logprobs);
  return c;
}

}  // namespace sunbae::engine
