#include "feedback/result_schema.h"

namespace sunbae::feedback {

using json = nlohmann::json;

const char* level_name(Level l) { return l == Level::Senior ? "senior" : "junior"; }

const std::vector<Criterion>& criteria() {
  static const std::vector<Criterion> c = {
      {"accuracy", "정확성", "Accuracy", false},
      {"completeness", "완결성", "Completeness", false},
      {"structure", "논리 구조", "Structure", false},
      {"communication", "전달력", "Communication", false},
      {"depth", "깊이", "Depth", true},
  };
  return c;
}

std::vector<Criterion> criteria_for(Level l) {
  std::vector<Criterion> out;
  for (const auto& c : criteria())
    if (!c.senior_only || l == Level::Senior) out.push_back(c);
  return out;
}

namespace {

// minLength 1: an empty reason or list item is never useful feedback.
json text(int max_len) { return {{"type", "string"}, {"minLength", 1}, {"maxLength", max_len}}; }
json score() { return {{"type", "integer"}, {"minimum", 1}, {"maximum", 5}}; }
json list(int min_items, int max_items) {
  return {{"type", "array"}, {"items", text(kItemMax)}, {"minItems", min_items}, {"maxItems", max_items}};
}
json object(json properties) {
  json required = json::array();
  for (auto it = properties.begin(); it != properties.end(); ++it) required.push_back(it.key());
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)},
          {"additionalProperties", false}};
}

}  // namespace

json feedback_schema(Level l) {
  json crit = json::object();
  for (const auto& c : criteria_for(l)) crit[c.key] = object({{"score", score()}, {"reason", text(kReasonMax)}});
  return object({{"criteria", object(std::move(crit))},
                 {"overall", object({{"score", score()}, {"summary", text(kSummaryMax)}})},
                 {"strengths", list(1, 3)},
                 {"improvements", list(1, 3)},
                 {"missing_key_points", list(0, 5)},
                 {"model_answer", text(kModelAnswerMax)},
                 {"follow_up_question", text(kFollowUpMax)}});
}

json response_schema() {
  const json count = {{"type", "integer"}, {"minimum", 0}};
  json usage = object({{"prompt_tokens", count}, {"completion_tokens", count}, {"total_tokens", count},
                       {"cached_tokens", count}});
  json s = object({
      {"id", {{"type", "string"}, {"pattern", "^fb-[0-9a-f]+$"}}},
      {"object", {{"const", "feedback"}}},
      {"created", {{"type", "integer"}}},
      {"model", {{"type", "string"}}},
      {"schema_version", {{"const", kSchemaVersion}}},
      {"language", {{"enum", {"ko", "en"}}}},
      {"level", {{"enum", {"junior", "senior"}}}},
      {"question", {{"type", "string"}, {"minLength", 1}}},
      {"question_id", {{"type", {"string", "null"}}}},
      {"feedback", {{"type", "object"}}},
      {"usage", usage},
  });
  // The level decides the feedback variant: depth is there exactly for senior.
  s["if"] = {{"properties", {{"level", {{"const", "senior"}}}}}};
  s["then"] = {{"properties", {{"feedback", feedback_schema(Level::Senior)}}}};
  s["else"] = {{"properties", {{"feedback", feedback_schema(Level::Junior)}}}};
  s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  s["$id"] = std::string("https://sunbae.dev/schemas/feedback-response/") + kSchemaVersion;
  s["title"] = std::string("Sunbae feedback response, schema version ") + kSchemaVersion;
  return s;
}

}  // namespace sunbae::feedback
