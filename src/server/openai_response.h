#pragma once
// OpenAI response bodies: streamed chunks (text_completion / chat.completion.chunk), whole
// responses, usage and logprobs, built from the engine's events.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "server/openai_request.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::server {

// Identity of one response: shared by all its chunks.
struct ResponseMeta {
  std::string id;       // "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;  // unix seconds
  std::string model;
  const ApiRequest* req = nullptr;
  const tok::Tokenizer* tokenizer = nullptr;
};

// One choice's output so far, for whole (non-streamed) responses and text offsets.
struct ChoiceOutput {
  std::string text;
  std::vector<int32_t> token_ids;
  std::vector<engine::TokenLogprob> logprobs;
  engine::FinishReason finish = engine::FinishReason::None;
  std::string stop_reason;
  size_t logprob_text_offset = 0;  // completions' text_offset of the next logprob entry
};

// The string a token stands for in logprobs: its decoded text, or "token_id:N" without a tokenizer.
std::string token_string(const tok::Tokenizer* tokenizer, int32_t id);

nlohmann::json usage_json(int64_t prompt_tokens, int64_t completion_tokens);

// A streamed chunk for one event of choice `index` (already offset for batched prompts).
// `first` marks a chat choice's first chunk, which carries the assistant role.
nlohmann::json chunk_json(const ResponseMeta& meta, int64_t index, const engine::Event& e, ChoiceOutput& state,
                          bool first);
// The final usage-only chunk of a stream with include_usage.
nlohmann::json usage_chunk_json(const ResponseMeta& meta, int64_t prompt_tokens, int64_t completion_tokens);
// A whole response.
nlohmann::json response_json(const ResponseMeta& meta, const std::vector<ChoiceOutput>& choices,
                             const std::vector<std::vector<int32_t>>& prompts, int64_t prompt_tokens,
                             int64_t completion_tokens);

}  // namespace sunbae::server
