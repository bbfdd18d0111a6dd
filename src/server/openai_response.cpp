#include "server/openai_response.h"

namespace sunbae::server {

using json = nlohmann::json;

std::string token_string(const tok::Tokenizer* tokenizer, int32_t id) {
  if (!tokenizer) return "token_id:" + std::to_string(id);
  try {
    return tokenizer->decode({id}, false);
  } catch (const std::exception&) {
    return "token_id:" + std::to_string(id);
  }
}

json usage_json(int64_t prompt_tokens, int64_t completion_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

namespace {

json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(int(c));
  return b;
}

// Completions' legacy shape: parallel arrays of tokens, logprobs, top alternatives, offsets.
json completion_logprobs(const ResponseMeta& m, const std::vector<engine::TokenLogprob>& lps, ChoiceOutput& st,
                         const std::vector<std::string>& piece_texts) {
  json tokens = json::array(), lp = json::array(), top = json::array(), off = json::array();
  for (size_t i = 0; i < lps.size(); ++i) {
    tokens.push_back(token_string(m.tokenizer, lps[i].token));
    lp.push_back(lps[i].logprob);
    json t = json::object();
    for (const auto& [id, v] : lps[i].top) t[token_string(m.tokenizer, id)] = v;
    top.push_back(t);
    off.push_back(st.logprob_text_offset);
    if (i < piece_texts.size()) st.logprob_text_offset += piece_texts[i].size();
  }
  return {{"tokens", tokens}, {"token_logprobs", lp}, {"top_logprobs", top}, {"text_offset", off}};
}

json chat_logprobs(const ResponseMeta& m, const std::vector<engine::TokenLogprob>& lps) {
  json content = json::array();
  for (const auto& l : lps) {
    const std::string s = token_string(m.tokenizer, l.token);
    json top = json::array();
    for (const auto& [id, v] : l.top) {
      const std::string ts = token_string(m.tokenizer, id);
      top.push_back({{"token", ts}, {"logprob", v}, {"bytes", bytes_of(ts)}});
    }
    content.push_back({{"token", s}, {"logprob", l.logprob}, {"bytes", bytes_of(s)}, {"top_logprobs", top}});
  }
  return {{"content", content}};
}

json finish_json(engine::FinishReason r) {
  if (r == engine::FinishReason::None) return nullptr;
  return engine::finish_reason_name(r);
}

json stop_reason_json(const std::string& s, engine::FinishReason r) {
  if (s.empty() || r == engine::FinishReason::None) return nullptr;
  return s;
}

}  // namespace

json chunk_json(const ResponseMeta& m, int64_t index, const engine::Event& e, ChoiceOutput& st, bool first) {
  const bool chat = m.req->endpoint == Endpoint::Chat;
  json choice = {{"index", index}};
  json lp = nullptr;
  if (m.req->params.logprobs >= 0 && !e.logprobs.empty()) {
    // Offsets need each token's own text; a single token per event is the common case.
    std::vector<std::string> pieces(e.logprobs.size());
    if (!pieces.empty()) pieces.back() = e.text;
    lp = chat ? chat_logprobs(m, e.logprobs) : completion_logprobs(m, e.logprobs, st, pieces);
  }
  if (chat) {
    json delta = json::object();
    if (first) delta["role"] = "assistant";
    if (!e.text.empty() || first) delta["content"] = e.text;
    choice["delta"] = delta;
  } else {
    choice["text"] = e.text;
  }
  choice["logprobs"] = lp;
  choice["finish_reason"] = finish_json(e.finish);
  choice["stop_reason"] = stop_reason_json(e.stop_reason, e.finish);
  if (m.req->return_token_ids) choice["token_ids"] = e.token_ids;
  json out = {{"id", m.id},
              {"object", chat ? "chat.completion.chunk" : "text_completion"},
              {"created", m.created},
              {"model", m.model},
              {"choices", json::array({choice})}};
  if (m.req->include_usage) out["usage"] = nullptr;
  return out;
}

json usage_chunk_json(const ResponseMeta& m, int64_t prompt_tokens, int64_t completion_tokens) {
  const bool chat = m.req->endpoint == Endpoint::Chat;
  return {{"id", m.id},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", m.created},
          {"model", m.model},
          {"choices", json::array()},
          {"usage", usage_json(prompt_tokens, completion_tokens)}};
}

json response_json(const ResponseMeta& m, const std::vector<ChoiceOutput>& choices,
                   const std::vector<std::vector<int32_t>>& prompts, int64_t prompt_tokens,
                   int64_t completion_tokens) {
  const bool chat = m.req->endpoint == Endpoint::Chat;
  json arr = json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceOutput& c = choices[i];
    json choice = {{"index", i}};
    if (chat) choice["message"] = {{"role", "assistant"}, {"content", c.text}};
    else choice["text"] = c.text;
    json lp = nullptr;
    if (m.req->params.logprobs >= 0) {
      if (chat) {
        lp = chat_logprobs(m, c.logprobs);
      } else {
        ChoiceOutput tmp;
        std::vector<std::string> pieces;
        for (const auto& l : c.logprobs) pieces.push_back(m.tokenizer ? token_string(m.tokenizer, l.token) : "");
        lp = completion_logprobs(m, c.logprobs, tmp, pieces);
      }
    }
    choice["logprobs"] = lp;
    choice["finish_reason"] = finish_json(c.finish);
    choice["stop_reason"] = stop_reason_json(c.stop_reason, c.finish);
    if (m.req->return_token_ids) choice["token_ids"] = c.token_ids;
    arr.push_back(choice);
  }
  json out = {{"id", m.id},
              {"object", chat ? "chat.completion" : "text_completion"},
              {"created", m.created},
              {"model", m.model},
              {"choices", arr},
              {"usage", usage_json(prompt_tokens, completion_tokens)}};
  if (m.req->return_token_ids) out["prompt_token_ids"] = prompts.size() == 1 ? json(prompts[0]) : json(prompts);
  return out;
}

}  // namespace sunbae::server
