#pragma once
// A feedback request, from the body of POST /v1/feedback or one line of `sunbae feedback --input`:
// parsed, validated (every problem is an InvalidRequest naming the field) and resolved against
// the question bank into what the prompt needs.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "feedback/prompt.h"
#include "feedback/question_bank.h"

namespace sunbae::feedback {

inline constexpr size_t kMaxAnswerChars = 20000;   // code points
inline constexpr size_t kMaxQuestionChars = 2000;

class InvalidRequest : public std::runtime_error {
 public:
  InvalidRequest(std::string param, const std::string& message) : std::runtime_error(message), param(std::move(param)) {}
  std::string param;
};

struct FeedbackRequest {
  std::string question;  // empty when question_id names a bank question
  std::string answer;
  std::optional<std::string> language;  // "ko" / "en"
  std::string category;                 // empty: none given
  std::string question_id;              // empty: none given
  std::optional<Level> level;
  std::string model;  // empty: none given
  bool stream = false;
  double temperature = 0.0;
  std::optional<uint64_t> seed;
  std::optional<int64_t> max_tokens;
};

// Throws InvalidRequest for a wrong type, a missing or empty question/answer, an answer over
// kMaxAnswerChars, an unknown category, language or level, or an out-of-range number.
FeedbackRequest parse_feedback_request(const nlohmann::json& body);

// What the prompt is built from, after the bank is consulted.
struct ResolvedFeedback {
  FeedbackInput input;      // language detected when absent; question and key points from the bank
  std::string question_id;  // empty for a free-form question
};
// Throws InvalidRequest for an unknown question_id or a category that contradicts it.
ResolvedFeedback resolve_feedback(const FeedbackRequest& r, const QuestionBank& bank);

}  // namespace sunbae::feedback
