#include "server/openai_request.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "server/api_error.h"

namespace sunbae::server {

using json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& param, const std::string& message) { throw ApiError(400, message, param); }

const json* field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

double get_number(const json& body, const char* name, double fallback) {
  const json* v = field(body, name);
  if (!v) return fallback;
  if (!v->is_number()) bad(name, cat("'", name, "' must be a number"));
  const double d = v->get<double>();
  if (!std::isfinite(d)) bad(name, cat("'", name, "' must be finite"));
  return d;
}

int64_t get_int(const json& body, const char* name, int64_t fallback, bool* given = nullptr) {
  const json* v = field(body, name);
  if (given) *given = v != nullptr;
  if (!v) return fallback;
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d != std::floor(d) || std::fabs(d) > 9e15) bad(name, cat("'", name, "' must be an integer"));
    return int64_t(d);
  }
  if (!v->is_number_integer()) bad(name, cat("'", name, "' must be an integer"));
  return v->get<int64_t>();
}

bool get_bool(const json& body, const char* name, bool fallback) {
  const json* v = field(body, name);
  if (!v) return fallback;
  if (!v->is_boolean()) bad(name, cat("'", name, "' must be a boolean"));
  return v->get<bool>();
}

std::vector<int32_t> token_ids(const json& arr, const char* name) {
  std::vector<int32_t> ids;
  for (const auto& t : arr) {
    if (!t.is_number_integer()) bad(name, cat("'", name, "' must hold integer token ids"));
    const int64_t v = t.get<int64_t>();
    if (v < 0 || v > INT32_MAX) bad(name, cat("token id ", v, " is out of range"));
    ids.push_back(int32_t(v));
  }
  return ids;
}

std::vector<int32_t> encode(const ParseContext& ctx, const std::string& text, bool special, const char* param) {
  if (!ctx.tokenizer)
    bad(param, "this model directory has no tokenizer: give the prompt as an array of token ids");
  return ctx.tokenizer->encode(text, special);
}

std::vector<std::vector<int32_t>> completion_prompts(const json& body, const ParseContext& ctx) {
  const json* p = field(body, "prompt");
  if (!p) bad("prompt", "'prompt' is required");
  std::vector<std::vector<int32_t>> out;
  if (p->is_string()) {
    out.push_back(encode(ctx, p->get<std::string>(), true, "prompt"));
  } else if (p->is_array() && !p->empty() && (*p)[0].is_number()) {
    out.push_back(token_ids(*p, "prompt"));
  } else if (p->is_array() && !p->empty()) {
    for (const auto& item : *p) {
      if (item.is_string()) out.push_back(encode(ctx, item.get<std::string>(), true, "prompt"));
      else if (item.is_array()) out.push_back(token_ids(item, "prompt"));
      else bad("prompt", "'prompt' must be a string, an array of token ids, or an array of either");
    }
  } else {
    bad("prompt", "'prompt' must be a non-empty string or array");
  }
  if (out.size() > 64) bad("prompt", "at most 64 prompts in one request");
  for (const auto& ids : out)
    if (ids.empty()) bad("prompt", "the prompt is empty");
  return out;
}

std::string message_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  if (!content.is_array()) bad("messages", "message content must be a string or an array of parts");
  std::string text;
  for (const auto& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
      bad("messages", "only text content parts are supported");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<int32_t> chat_prompt(const json& body, const ParseContext& ctx) {
  const json* m = field(body, "messages");
  if (!m || !m->is_array() || m->empty()) bad("messages", "'messages' must be a non-empty array");
  if (!ctx.tokenizer || !ctx.chat_template)
    bad("messages", "this model directory has no tokenizer, so chat is unavailable; use /v1/completions with token ids");
  json msgs = json::array();
  for (const auto& msg : *m) {
    if (!msg.is_object() || !msg.contains("role") || !msg["role"].is_string())
      bad("messages", "each message needs a string 'role'");
    json copy = msg;
    copy["content"] = message_text(msg.contains("content") ? msg["content"] : json(nullptr));
    msgs.push_back(std::move(copy));
  }
  json tctx = json::object();
  tctx["messages"] = std::move(msgs);
  tctx["add_generation_prompt"] = get_bool(body, "add_generation_prompt", true);
  tctx["tools"] = nullptr;
  tctx["documents"] = nullptr;
  if (ctx.tokenizer->bos_token()) tctx["bos_token"] = *ctx.tokenizer->bos_token();
  if (ctx.tokenizer->eos_token()) tctx["eos_token"] = *ctx.tokenizer->eos_token();
  std::string text;
  try {
    text = ctx.chat_template->render(tctx);
  } catch (const Error& e) {
    bad("messages", cat("the chat template refused the messages: ", e.what()));
  }
  // The template writes the special tokens itself (vLLM's default for chat).
  auto ids = ctx.tokenizer->encode(text, false);
  if (ids.empty()) bad("messages", "the rendered conversation is empty");
  return ids;
}

void check_unsupported(const json& body) {
  if (get_bool(body, "echo", false)) bad("echo", "'echo' is not supported");
  if (const json* lb = field(body, "logit_bias"); lb && !lb->empty()) bad("logit_bias", "'logit_bias' is not supported");
  for (const char* pen : {"presence_penalty", "frequency_penalty"})
    if (get_number(body, pen, 0.0) != 0.0) bad(pen, cat("'", pen, "' is not supported; use repetition_penalty"));
  if (const json* t = field(body, "tools"); t && !t->empty()) bad("tools", "tools are not supported");
}

// OpenAI's shapes: {"type": "text"}, {"type": "json_object"} (any object), and
// {"type": "json_schema", "json_schema": {"name", "schema", "strict"?, "description"?}}.
std::shared_ptr<const grammar::Grammar> response_format(const json& body) {
  const json* rf = field(body, "response_format");
  if (!rf) return nullptr;
  const char* P = "response_format";
  if (!rf->is_object() || !rf->contains("type") || !(*rf)["type"].is_string())
    bad(P, "'response_format' must be an object with a string 'type'");
  const std::string type = (*rf)["type"].get<std::string>();
  if (type == "text") return nullptr;
  if (type == "json_object") return grammar::cached_schema(json{{"type", "object"}});
  if (type != "json_schema")
    bad(P, cat("unknown response_format type '", type, "'; expected text, json_object or json_schema"));
  const json* js = field(*rf, "json_schema");
  if (!js || !js->is_object()) bad(P, "response_format json_schema needs a 'json_schema' object");
  if (const json* n = field(*js, "name"); n && !n->is_string()) bad(P, "response_format json_schema 'name' must be a string");
  if (const json* st = field(*js, "strict"); st && !st->is_boolean())
    bad(P, "response_format json_schema 'strict' must be a boolean");
  const json* schema = field(*js, "schema");
  if (!schema) bad(P, "response_format json_schema needs a 'schema'");
  try {
    return grammar::cached_schema(*schema);
  } catch (const grammar::SchemaError& e) {
    bad(P, cat("invalid response_format json_schema: ", e.what()));
  }
}

}  // namespace

ApiRequest parse_request(Endpoint endpoint, const json& body, const ParseContext& ctx) {
  if (!body.is_object()) bad("", "the request body must be a JSON object");
  ApiRequest r;
  r.endpoint = endpoint;
  if (const json* m = field(body, "model")) {
    if (!m->is_string()) bad("model", "'model' must be a string");
    r.model = m->get<std::string>();
  }
  check_unsupported(body);
  if (endpoint == Endpoint::Completions) r.prompts = completion_prompts(body, ctx);
  else r.prompts.push_back(chat_prompt(body, ctx));

  engine::RequestParams& p = r.params;
  p.sampling.temperature = get_number(body, "temperature", 1.0);
  p.sampling.top_p = get_number(body, "top_p", 1.0);
  p.sampling.min_p = get_number(body, "min_p", 0.0);
  const int64_t top_k = get_int(body, "top_k", 0);
  if (top_k < -1) bad("top_k", "'top_k' must be -1, 0 (both off) or positive");
  p.sampling.top_k = std::max<int64_t>(top_k, 0);
  if (const json* s = field(body, "seed")) {
    if (!s->is_number_integer()) bad("seed", "'seed' must be an integer");
    p.sampling.seed = uint64_t(s->get<int64_t>());
  }
  p.n = get_int(body, "n", 1);
  const int64_t best_of = get_int(body, "best_of", p.n);
  if (best_of != p.n) bad("best_of", "'best_of' other than n is not supported");
  p.min_tokens = get_int(body, "min_tokens", 0);
  p.ignore_eos = get_bool(body, "ignore_eos", false);
  p.repetition_penalty = get_number(body, "repetition_penalty", 1.0);
  p.include_stop_str_in_output = get_bool(body, "include_stop_str_in_output", false);
  p.skip_special_tokens = get_bool(body, "skip_special_tokens", true);
  if (const json* s = field(body, "stop")) {
    if (s->is_string()) p.stop.push_back(s->get<std::string>());
    else if (s->is_array())
      for (const auto& x : *s) {
        if (!x.is_string()) bad("stop", "'stop' must be a string or an array of strings");
        p.stop.push_back(x.get<std::string>());
      }
    else bad("stop", "'stop' must be a string or an array of strings");
  }
  if (const json* s = field(body, "stop_token_ids")) {
    if (!s->is_array()) bad("stop_token_ids", "'stop_token_ids' must be an array of token ids");
    p.stop_token_ids = token_ids(*s, "stop_token_ids");
  }
  if (endpoint == Endpoint::Completions) {
    p.logprobs = get_int(body, "logprobs", -1);
    if (p.logprobs < -1 || p.logprobs > 20) bad("logprobs", "'logprobs' must be in [0, 20]");
  } else {
    r.chat_logprobs = get_bool(body, "logprobs", false);
    const int64_t top = get_int(body, "top_logprobs", 0);
    if (top < 0 || top > 20) bad("top_logprobs", "'top_logprobs' must be in [0, 20]");
    if (top > 0 && !r.chat_logprobs) bad("top_logprobs", "'top_logprobs' needs 'logprobs': true");
    p.logprobs = r.chat_logprobs ? top : -1;
  }
  r.stream = get_bool(body, "stream", false);
  if (const json* so = field(body, "stream_options")) {
    if (!so->is_object()) bad("stream_options", "'stream_options' must be an object");
    if (!r.stream) bad("stream_options", "'stream_options' is only allowed with 'stream': true");
    r.include_usage = get_bool(*so, "include_usage", false);
  }
  r.return_token_ids = get_bool(body, "return_token_ids", false);
  p.grammar = response_format(body);
  if (p.grammar && !ctx.tokenizer)
    bad("response_format", "response_format needs a tokenizer and this model directory has none");

  size_t longest = 0;
  for (const auto& ids : r.prompts) longest = std::max(longest, ids.size());
  bool given = false;
  int64_t max_tokens = get_int(body, "max_tokens", 0, &given);
  if (endpoint == Endpoint::Chat) {
    bool given2 = false;
    const int64_t mct = get_int(body, "max_completion_tokens", 0, &given2);
    if (given2) max_tokens = mct, given = true;
  }
  r.max_tokens_given = given;
  if (!given) {
    max_tokens = ctx.context_length - int64_t(longest);
    if (max_tokens < 1)
      bad("prompt", cat("This model's maximum context length is ", ctx.context_length, " tokens. However, the prompt has ",
                        longest, " tokens, leaving none to generate."));
  }
  p.max_tokens = max_tokens;
  try {
    p.validate();
  } catch (const engine::RequestError& e) {
    bad(e.param, e.what());
  }
  return r;
}

}  // namespace sunbae::server
