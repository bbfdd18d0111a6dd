#pragma once
// Choosing a sequence's next token from its logits row under the request's parameters:
// logprobs from the raw row, then repetition penalty, min_tokens masking, the grammar's mask and
// the sampler's rule
// (engine/sampler.h) at step = the token's index in the output, so a sequence recomputed after
// preemption draws exactly what it drew before.
#include <cstdint>
#include <vector>

#include "engine/request.h"

namespace sunbae::engine {

struct TokenChoiceInput {
  const float* logits = nullptr;  // one row of the model's output
  int64_t vocab = 0;
  const std::vector<int32_t>* tokens = nullptr;  // prompt + output so far
  int64_t output_len = 0;
  uint64_t seed = 0;
  const std::vector<int64_t>* eos_token_ids = nullptr;
  // Grammar mask (bit i: token i allowed), applied after the penalty and min_tokens and before the
  // sampler's rule. Logprobs stay those of the unmasked row, as vLLM reports them.
  const std::vector<uint64_t>* allowed = nullptr;
};

struct TokenChoice {
  int32_t token = 0;
  TokenLogprob logprob;  // filled when params.logprobs >= 0
};

// Throws Error on a NaN logit.
TokenChoice choose_token(const TokenChoiceInput& in, const RequestParams& params);

// Sets the logits of tokens outside `mask` (bit i: token i) to -inf; false when none is allowed.
bool apply_token_mask(float* row, int64_t vocab, const std::vector<uint64_t>& mask);
// The same while copying `src` into `dst`: the sampler copies its row anyway, and a word the mask
// rules out is then written, never read (outside strings that is nearly every word).
bool copy_masked(const float* src, float* dst, int64_t vocab, const std::vector<uint64_t>& mask);

// HF/vLLM repetition penalty: a positive logit of a seen token is divided by `penalty`, a
// negative one multiplied, so the token always becomes less likely for penalty > 1.
void apply_repetition_penalty(float* logits, int64_t vocab, const std::vector<int32_t>& seen, double penalty);

}  // namespace sunbae::engine
