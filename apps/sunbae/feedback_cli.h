#pragma once
// Pieces of `sunbae feedback`: the in-process engine it runs on, the readable rendering of one
// response, and the concurrent JSONL batch.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "feedback/feedback_job.h"
#include "template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::app {

struct FeedbackEngine {
  std::string model_name;
  std::shared_ptr<engine::Engine> engine;
  std::shared_ptr<const tok::Tokenizer> tokenizer;
  std::shared_ptr<const tmpl::ChatTemplate> chat_template;
  std::shared_ptr<const feedback::Assets> assets;
};
// `concurrency` sequences at once, their KV within kv_cache_mb.
FeedbackEngine load_feedback_engine(const std::string& model_path, const std::string& data_dir, int64_t concurrency,
                                    int64_t kv_cache_mb);

// Runs one request to the end. Throws feedback::InvalidRequest, feedback::FeedbackFailure or
// engine::RequestError.
nlohmann::json run_feedback(const FeedbackEngine& fe, const nlohmann::json& request, const std::string& id);

// Scores as a small table with the criterion labels of the response's language, then strengths,
// improvements, missing key points, the model answer and the follow-up question.
std::string render_feedback(const nlohmann::json& response);

struct BatchSummary {
  int64_t count = 0, failures = 0, completion_tokens = 0;
  double wall_s = 0;
};
// Each non-blank input line is a request body; each gives one output line, in input order:
// {"line": n, "response": {...}} or {"line": n, "error": {"message", "param"}}. A progress bar
// goes to stderr.
BatchSummary run_feedback_batch(const FeedbackEngine& fe, const std::string& input_path, const std::string& output_path,
                                int64_t concurrency);

}  // namespace sunbae::app
