#include "feedback/feedback_job.h"

#include "core/error.h"
#include "feedback/schema_check.h"
#include "grammar/json_schema.h"

namespace sunbae::feedback {

using json = nlohmann::json;

std::shared_ptr<const Assets> Assets::load(const DataFiles& files) {
  auto a = std::make_shared<Assets>();
  const std::string bank = "questions/bank.jsonl";
  if (files.exists(bank)) a->bank = QuestionBank::parse(files.read(bank), bank);
  a->prompts = PromptSet::load(files);
  return a;
}

PreparedFeedback prepare_feedback(const FeedbackRequest& r, const Assets& assets, const tok::Tokenizer& tokenizer,
                                  const tmpl::ChatTemplate& chat_template, int64_t context_length) {
  PreparedFeedback p;
  p.resolved = resolve_feedback(r, assets.bank);
  const json messages = feedback_messages(assets.prompts, p.resolved.input);
  auto render = [&](const json& msgs) {
    json ctx = {{"messages", msgs}, {"add_generation_prompt", true}, {"tools", nullptr}, {"documents", nullptr}};
    if (const auto& b = tokenizer.bos_token()) ctx["bos_token"] = *b;
    if (const auto& e = tokenizer.eos_token()) ctx["eos_token"] = *e;
    return chat_template.render(ctx);
  };
  std::string text;
  try {
    text = render(messages);
  } catch (const Error&) {
    // Some templates (Mistral's) refuse a system role: the shared part then opens the user turn,
    // still first, so the prefix cache still serves it.
    text = render(json::array({{{"role", "user"},
                                {"content", messages[0]["content"].get<std::string>() + "\n\n" +
                                                messages[1]["content"].get<std::string>()}}}));
  }
  // The template writes the special tokens itself (as for chat completions).
  p.prompt = tokenizer.encode(text, false);
  const int64_t left = context_length - int64_t(p.prompt.size());
  if (left < 1)
    throw InvalidRequest("answer", cat("the feedback prompt is ", p.prompt.size(), " tokens, which leaves nothing of the model's ",
                                       context_length, "-token context; shorten the answer"));
  engine::RequestParams& e = p.params;
  e.sampling.temperature = r.temperature;
  if (r.seed) e.sampling.seed = *r.seed;
  // Every string and list of the schema is bounded, so the document ends; what is left of the
  // context is the only cap unless the client sets a lower one.
  e.max_tokens = r.max_tokens ? std::min(*r.max_tokens, left) : left;
  e.grammar = grammar::cached_schema(feedback_schema(p.resolved.input.level));
  return p;
}

json feedback_response(const PreparedFeedback& p, const std::string& text, engine::FinishReason finish,
                       const FeedbackUsage& usage, const std::string& id, int64_t created, const std::string& model) {
  if (finish == engine::FinishReason::Length)
    throw FeedbackFailure(cat("the feedback was cut at max_tokens (", p.params.max_tokens,
                              " tokens) before its JSON was complete; allow more tokens"));
  if (finish == engine::FinishReason::Abort) throw FeedbackFailure("the feedback request was aborted");
  json fb;
  try {
    fb = json::parse(text);
  } catch (const json::parse_error& e) {
    throw FeedbackFailure(cat("the model's feedback is not valid JSON (", e.what(), ")"));
  }
  const std::string violation = schema_violation(fb, feedback_schema(p.resolved.input.level));
  if (!violation.empty()) throw FeedbackFailure(cat("the model's feedback does not match the schema: ", violation));
  const FeedbackInput& in = p.resolved.input;
  return {{"id", id},
          {"object", "feedback"},
          {"created", created},
          {"model", model},
          {"schema_version", kSchemaVersion},
          {"language", in.language},
          {"level", level_name(in.level)},
          {"question", in.question},
          {"question_id", p.resolved.question_id.empty() ? json(nullptr) : json(p.resolved.question_id)},
          {"feedback", fb},
          {"usage",
           {{"prompt_tokens", usage.prompt_tokens},
            {"completion_tokens", usage.completion_tokens},
            {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
            {"cached_tokens", usage.cached_tokens}}}};
}

}  // namespace sunbae::feedback
