#pragma once
// Feedback prompts from the versioned templates data/prompts/feedback-v1.<lang>.txt. The
// conversation is a system message holding everything shared by every request of one language
// and level (role, rubric with its 1-5 anchors, output format), then a user message with the
// question, key points and answer: rendered through the model's chat template, all requests of a
// language and level start with the same tokens, which the prefix cache serves.
//
// Template file format: sections opened by a line "[[name]]" (system, user, key_points.none and
// criterion.<key> for every criterion); {{placeholders}} are replaced when building.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "feedback/data_files.h"
#include "feedback/result_schema.h"

namespace sunbae::feedback {

inline constexpr const char* kPromptVersion = "feedback-v1";

struct PromptTemplate {
  std::string language;  // "ko" / "en"
  std::map<std::string, std::string> sections;

  // Throws Error naming `source` and the section when one is missing or a placeholder is unknown.
  static PromptTemplate parse(const std::string& text, const std::string& language, const std::string& source);
  const std::string& section(const std::string& name) const;
};

// Both languages' templates from data/prompts/.
struct PromptSet {
  PromptTemplate ko, en;
  static PromptSet load(const DataFiles& files);
  const PromptTemplate& get(const std::string& language) const { return language == "ko" ? ko : en; }
};

struct FeedbackInput {
  std::string language;  // "ko" / "en"
  Level level = Level::Junior;
  std::string question;
  std::vector<std::string> key_points;  // may be empty
  std::string answer;
};

// The shared part: depends only on the template (language) and the level.
std::string system_prompt(const PromptTemplate& t, Level level);
std::string user_prompt(const PromptTemplate& t, const FeedbackInput& in);
// [{"role": "system", ...}, {"role": "user", ...}]
nlohmann::json feedback_messages(const PromptSet& prompts, const FeedbackInput& in);

}  // namespace sunbae::feedback
