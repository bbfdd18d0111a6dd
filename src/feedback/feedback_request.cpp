#include "feedback/feedback_request.h"

#include <cmath>

#include "core/error.h"
#include "feedback/language.h"

namespace sunbae::feedback {

using json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& param, const std::string& message) { throw InvalidRequest(param, message); }

const json* field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> get_string(const json& body, const char* name) {
  const json* v = field(body, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) bad(name, cat("'", name, "' must be a string, got ", v->type_name()));
  return v->get<std::string>();
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

std::string one_of_categories() {
  std::string all;
  for (const auto& c : categories()) all += (all.empty() ? "" : ", ") + c;
  return all;
}

}  // namespace

FeedbackRequest parse_feedback_request(const json& body) {
  if (!body.is_object()) bad("", "the request body must be a JSON object");
  FeedbackRequest r;
  r.question_id = get_string(body, "question_id").value_or("");
  if (auto q = get_string(body, "question")) {
    if (blank(*q)) bad("question", "'question' must not be empty");
    if (code_points(*q) > kMaxQuestionChars)
      bad("question", cat("'question' is ", code_points(*q), " characters; the limit is ", kMaxQuestionChars));
    r.question = *q;
  } else if (r.question_id.empty()) {
    bad("question", "'question' is required (or 'question_id' naming a question of the bank)");
  }
  const auto answer = get_string(body, "answer");
  if (!answer) bad("answer", "'answer' is required");
  if (blank(*answer)) bad("answer", "'answer' must not be empty");
  if (code_points(*answer) > kMaxAnswerChars)
    bad("answer", cat("'answer' is ", code_points(*answer), " characters; the limit is ", kMaxAnswerChars));
  r.answer = *answer;
  if (auto l = get_string(body, "language")) {
    if (*l != "ko" && *l != "en") bad("language", cat("'language' must be \"ko\" or \"en\", got \"", *l, "\""));
    r.language = *l;
  }
  if (auto c = get_string(body, "category")) {
    if (!is_category(*c)) bad("category", cat("unknown category \"", *c, "\"; expected one of ", one_of_categories()));
    r.category = *c;
  }
  if (auto l = get_string(body, "level")) {
    if (*l != "junior" && *l != "senior") bad("level", cat("'level' must be \"junior\" or \"senior\", got \"", *l, "\""));
    r.level = *l == "senior" ? Level::Senior : Level::Junior;
  }
  r.model = get_string(body, "model").value_or("");
  if (const json* s = field(body, "stream")) {
    if (!s->is_boolean()) bad("stream", cat("'stream' must be a boolean, got ", s->type_name()));
    r.stream = s->get<bool>();
  }
  if (const json* t = field(body, "temperature")) {
    if (!t->is_number()) bad("temperature", cat("'temperature' must be a number, got ", t->type_name()));
    r.temperature = t->get<double>();
    if (!std::isfinite(r.temperature) || r.temperature < 0 || r.temperature > 2)
      bad("temperature", "'temperature' must be between 0 and 2");
  }
  if (const json* s = field(body, "seed")) {
    if (!s->is_number_integer()) bad("seed", cat("'seed' must be an integer, got ", s->type_name()));
    r.seed = uint64_t(s->get<int64_t>());
  }
  if (const json* m = field(body, "max_tokens")) {
    if (!m->is_number_integer()) bad("max_tokens", cat("'max_tokens' must be an integer, got ", m->type_name()));
    if (m->get<int64_t>() < 1) bad("max_tokens", "'max_tokens' must be at least 1");
    r.max_tokens = m->get<int64_t>();
  }
  return r;
}

ResolvedFeedback resolve_feedback(const FeedbackRequest& r, const QuestionBank& bank) {
  ResolvedFeedback out;
  const Question* q = nullptr;
  if (!r.question_id.empty()) {
    q = bank.find(r.question_id);
    if (!q) bad("question_id", cat("unknown question_id \"", r.question_id, "\"; GET /v1/questions lists the bank"));
    if (!r.category.empty() && r.category != q->category)
      bad("category", cat("category \"", r.category, "\" contradicts question ", q->id, ", which is in \"", q->category, "\""));
  }
  FeedbackInput& in = out.input;
  in.language = r.language ? *r.language : detect_language(r.answer);
  // A bank question carries its level; an explicit level still wins.
  in.level = r.level ? *r.level : (q ? q->level : Level::Junior);
  in.answer = r.answer;
  if (q) {
    in.question = q->question(in.language);
    in.key_points = q->key_points(in.language);
    out.question_id = q->id;
  } else {
    in.question = r.question;
  }
  return out;
}

}  // namespace sunbae::feedback
