#pragma once
// The interview question bank: data/questions/bank.jsonl, one question per line,
// {"id", "category", "level", "question": {"ko", "en"}, "key_points": {"ko": [...], "en": [...]}}.
// Every line is validated when loaded; an error names the source, the line and the field.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "feedback/result_schema.h"

namespace sunbae::feedback {

// The nine category ids, in display order.
const std::vector<std::string>& categories();
bool is_category(const std::string& id);

struct Question {
  std::string id;        // "os-001"
  std::string category;  // one of categories()
  Level level = Level::Junior;
  std::string question_ko, question_en;
  std::vector<std::string> key_points_ko, key_points_en;

  const std::string& question(const std::string& lang) const { return lang == "ko" ? question_ko : question_en; }
  const std::vector<std::string>& key_points(const std::string& lang) const {
    return lang == "ko" ? key_points_ko : key_points_en;
  }
  nlohmann::json to_json() const;  // the bank line's shape, as GET /v1/questions lists it
};

class QuestionBank {
 public:
  // Throws Error "<source>:<line>: <field>: <problem>" for the first bad line.
  static QuestionBank parse(const std::string& text, const std::string& source);

  const std::vector<Question>& all() const { return questions_; }
  const Question* find(const std::string& id) const;
  // Empty filters match everything.
  std::vector<const Question*> filter(const std::string& category, std::optional<Level> level) const;

 private:
  std::vector<Question> questions_;
};

}  // namespace sunbae::feedback
