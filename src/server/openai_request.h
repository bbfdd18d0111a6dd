#pragma once
// Parsing and validating the bodies of POST /v1/completions and /v1/chat/completions into engine
// requests. Every malformed or out-of-range field is an ApiError 400 naming the field; fields
// Sunbae cannot honour (echo, logit_bias, penalties other than 0, best_of > n) are refused rather
// than ignored. Unknown fields are ignored, as OpenAI clients send extras.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::server {

enum class Endpoint { Completions, Chat };

struct ApiRequest {
  Endpoint endpoint = Endpoint::Completions;
  std::string model;  // as asked; empty when absent
  std::vector<std::vector<int32_t>> prompts;  // completions may batch several; chat has one
  engine::RequestParams params;
  bool max_tokens_given = false;
  bool stream = false;
  bool include_usage = false;
  bool return_token_ids = false;
  bool chat_logprobs = false;  // chat: logprobs true (top_logprobs in params.logprobs)
};

struct ParseContext {
  const tok::Tokenizer* tokenizer = nullptr;  // null: token-id prompts only
  const tmpl::ChatTemplate* chat_template = nullptr;  // null: chat is refused (no tokenizer)
  int64_t context_length = 0;
};

// Throws ApiError(400) for bad JSON types or values; max_tokens, when absent, is what is left of
// the context after the longest prompt.
ApiRequest parse_request(Endpoint endpoint, const nlohmann::json& body, const ParseContext& ctx);

}  // namespace sunbae::server
