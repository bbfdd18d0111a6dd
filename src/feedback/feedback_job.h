#pragma once
// One feedback request end to end, for the server and the CLI alike: the prompt and engine
// parameters (the feedback schema as the decoding grammar), then the engine's text checked and
// wrapped into the versioned response.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "feedback/feedback_request.h"
#include "template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::feedback {

// The question bank and prompt templates, loaded once.
struct Assets {
  QuestionBank bank;
  PromptSet prompts;
  // Throws Error naming the file, line and field of anything malformed. A data set without a
  // bank (data/questions/bank.jsonl absent) gives an empty bank.
  static std::shared_ptr<const Assets> load(const DataFiles& files);
};

struct PreparedFeedback {
  ResolvedFeedback resolved;
  std::vector<int32_t> prompt;
  engine::RequestParams params;
};

// Throws InvalidRequest (bad question_id, prompt longer than the context).
PreparedFeedback prepare_feedback(const FeedbackRequest& r, const Assets& assets, const tok::Tokenizer& tokenizer,
                                  const tmpl::ChatTemplate& chat_template, int64_t context_length);

// The model's output did not give a valid feedback object (cut by max_tokens, aborted, or -- never
// expected under the mask -- text that fails the schema).
class FeedbackFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FeedbackUsage {
  int64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
};

// Parses and validates `text` (the whole generated document) against the request's schema and
// builds the response object of the contract. Throws FeedbackFailure.
nlohmann::json feedback_response(const PreparedFeedback& p, const std::string& text, engine::FinishReason finish,
                                 const FeedbackUsage& usage, const std::string& id, int64_t created,
                                 const std::string& model);

}  // namespace sunbae::feedback
