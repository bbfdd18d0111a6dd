#pragma once
// Single-sequence generation over the paged forward: prefill in chunks, then decode step by step.
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/sampler.h"
#include "model/model.h"

namespace sunbae::engine {

struct GenerateOptions {
  int64_t max_tokens = 16;
  SamplingParams sampling;
  bool ignore_eos = false;
  int64_t prefill_chunk = 512;  // prompt tokens per forward call
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // new tokens, eos included when it stopped generation
  bool stopped_on_eos = false;
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
};

// Longest sequence (prompt + generated) the model accepts: max_position_embeddings, stretched by
// the factor for dynamic NTK rope.
int64_t context_length(const io::ModelConfig& config);

// Throws Error for an empty prompt, ids outside the vocabulary, or a prompt + max_tokens past the
// model's context (no silent truncation). on_token, when given, sees each token as it is chosen.
GenerateResult generate(const model::Model& model, const std::vector<int32_t>& prompt,
                        const GenerateOptions& options,
                        const std::function<void(int32_t)>& on_token = {});

}  // namespace sunbae::engine
