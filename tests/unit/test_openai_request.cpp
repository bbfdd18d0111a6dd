#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace sunbae::server {
namespace {

using json = nlohmann::json;

ParseContext no_tokenizer() { return {nullptr, nullptr, 128}; }

// The status and param of the ApiError a body raises; {0, ""} when it parses.
std::pair<int, std::string> error_of(Endpoint ep, const json& body) {
  try {
    parse_request(ep, body, no_tokenizer());
  } catch (const ApiError& e) {
    return {e.status, e.param};
  }
  return {0, ""};
}

TEST(OpenAIRequest, CompletionDefaultsFollowOpenAI) {
  const ApiRequest r = parse_request(Endpoint::Completions, {{"prompt", {1, 2, 3}}}, no_tokenizer());
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0], (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(r.params.sampling.temperature, 1.0);
  EXPECT_EQ(r.params.max_tokens, 125);  // the rest of the context
  EXPECT_FALSE(r.max_tokens_given);
  EXPECT_EQ(r.params.n, 1);
  EXPECT_EQ(r.params.logprobs, -1);
  EXPECT_FALSE(r.stream);
}

TEST(OpenAIRequest, VllmExtensionsAndBatchedPrompts) {
  const json body = {{"prompt", {{1, 2}, {3}}}, {"max_tokens", 5}, {"top_k", -1}, {"min_p", 0.1},
                     {"ignore_eos", true}, {"min_tokens", 2}, {"repetition_penalty", 1.3},
                     {"stop_token_ids", {7}}, {"return_token_ids", true}, {"stream", true},
                     {"stream_options", {{"include_usage", true}}}, {"seed", 3}, {"logprobs", 2}};
  const ApiRequest r = parse_request(Endpoint::Completions, body, no_tokenizer());
  EXPECT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.params.sampling.top_k, 0);
  EXPECT_EQ(r.params.sampling.min_p, 0.1);
  EXPECT_TRUE(r.params.ignore_eos);
  EXPECT_EQ(r.params.min_tokens, 2);
  EXPECT_EQ(r.params.repetition_penalty, 1.3);
  EXPECT_EQ(r.params.stop_token_ids, std::vector<int32_t>{7});
  EXPECT_TRUE(r.return_token_ids && r.stream && r.include_usage);
  EXPECT_EQ(*r.params.sampling.seed, 3u);
  EXPECT_EQ(r.params.logprobs, 2);
}

TEST(OpenAIRequest, BadFieldsAre400NamingTheField) {
  using P = std::pair<int, std::string>;
  const json p = {1, 2};
  EXPECT_EQ(error_of(Endpoint::Completions, json::array()), P(400, ""));
  EXPECT_EQ(error_of(Endpoint::Completions, json::object()), P(400, "prompt"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", "text"}}), P(400, "prompt"));  // no tokenizer
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", json::array()}}), P(400, "prompt"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", {1, -2}}}), P(400, "prompt"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"temperature", "hot"}}), P(400, "temperature"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"temperature", -1}}), P(400, "temperature"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"top_p", 0}}), P(400, "top_p"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"min_p", 2}}), P(400, "min_p"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"max_tokens", 0}}), P(400, "max_tokens"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"max_tokens", 2.5}}), P(400, "max_tokens"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"n", 0}}), P(400, "n"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"logprobs", 21}}), P(400, "logprobs"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"stop", 5}}), P(400, "stop"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"stream_options", {{"include_usage", true}}}}),
            P(400, "stream_options"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"echo", true}}), P(400, "echo"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"presence_penalty", 0.5}}), P(400, "presence_penalty"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"best_of", 3}}), P(400, "best_of"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"min_tokens", 9}, {"max_tokens", 4}}),
            P(400, "min_tokens"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", json::array({json(1)}) }, {"model", 5}}), P(400, "model"));
  // A prompt that fills the context leaves nothing to generate: refused, not truncated.
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", std::vector<int>(128, 1)}}), P(400, "prompt"));
  EXPECT_EQ(error_of(Endpoint::Completions, {{"prompt", p}, {"stop", {""}}}), P(400, "stop"));
}

TEST(OpenAIRequest, ChatNeedsATokenizerAndValidLogprobs) {
  using P = std::pair<int, std::string>;
  const json msgs = {{{"role", "user"}, {"content", "hi"}}};
  EXPECT_EQ(error_of(Endpoint::Chat, {{"messages", msgs}}), P(400, "messages"));
  EXPECT_EQ(error_of(Endpoint::Chat, {{"messages", json::array()}}), P(400, "messages"));
  EXPECT_EQ(error_of(Endpoint::Chat, {{"messages", msgs}, {"top_logprobs", 2}}), P(400, "messages"));
}

TEST(OpenAIRequest, ErrorBodyHasOpenAIShape) {
  const json e = error_body(429, "full", "");
  EXPECT_EQ(e["error"]["code"], 429);
  EXPECT_EQ(e["error"]["type"], "RateLimitError");
  EXPECT_TRUE(e["error"]["param"].is_null());
  EXPECT_EQ(e["error"]["message"], "full");
}

}  // namespace
}  // namespace sunbae::server

namespace sunbae::server {
namespace {

TEST(OpenAIRequest, ResponseFormatShapesAndErrors) {
  using P = std::pair<int, std::string>;
  const json p = {1, 2};
  const json schema = {{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}};
  // Parsed (and refused only for want of a tokenizer, after the schema itself was accepted).
  auto rf_error = [&](const json& rf) {
    try {
      parse_request(Endpoint::Completions, {{"prompt", p}, {"response_format", rf}}, no_tokenizer());
    } catch (const ApiError& e) {
      return std::make_pair(P(e.status, e.param), std::string(e.what()));
    }
    return std::make_pair(P(0, ""), std::string());
  };
  EXPECT_EQ(rf_error({{"type", "text"}}).first, P(0, ""));
  EXPECT_NE(rf_error({{"type", "json_object"}}).second.find("needs a tokenizer"), std::string::npos);
  EXPECT_NE(rf_error({{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", schema}, {"strict", true}}}})
                .second.find("needs a tokenizer"),
            std::string::npos);
  const auto bad_schema = rf_error({{"type", "json_schema"}, {"json_schema", {{"schema", {{"type", "string"}, {"format", "date"}}}}}});
  EXPECT_EQ(bad_schema.first, P(400, "response_format"));
  EXPECT_NE(bad_schema.second.find("'format' is not supported"), std::string::npos);
  EXPECT_EQ(rf_error({{"type", "xml"}}).first, P(400, "response_format"));
  EXPECT_EQ(rf_error("json").first, P(400, "response_format"));
  EXPECT_EQ(rf_error({{"type", "json_schema"}}).first, P(400, "response_format"));
  EXPECT_EQ(rf_error({{"type", "json_schema"}, {"json_schema", {{"name", 3}, {"schema", schema}}}}).first,
            P(400, "response_format"));
  EXPECT_EQ(rf_error({{"type", "json_schema"}, {"json_schema", {{"strict", "yes"}, {"schema", schema}}}}).first,
            P(400, "response_format"));
}

}  // namespace
}  // namespace sunbae::server
