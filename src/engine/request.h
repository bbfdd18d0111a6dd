#pragma once
// What a client asks the engine for, and what it gets back as the request runs: per-choice
// events carrying new token ids, the new text, logprobs and, last, the finish reason.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/sampler.h"
#include "grammar/json_schema.h"

namespace sunbae::engine {

struct RequestParams {
  SamplingParams sampling;  // seed: choice i draws with seed + i
  int64_t max_tokens = 16;
  int64_t min_tokens = 0;   // eos, stop token ids and stop strings are ignored before this many
  bool ignore_eos = false;
  std::vector<std::string> stop;        // stop strings: the text ends before the match
  std::vector<int32_t> stop_token_ids;  // token ids that end the choice (kept in token_ids)
  bool include_stop_str_in_output = false;
  double repetition_penalty = 1.0;  // > 0; 1 is off. Applied over prompt and output tokens
  int64_t n = 1;                    // choices, each an independent sequence
  int64_t logprobs = -1;            // -1: none; k >= 0: the chosen token's plus the k most likely
  bool skip_special_tokens = true;
  // Constrained decoding (response_format): every token keeps the output a valid prefix of the
  // schema's document, and the choice stops with "stop" once the document is complete.
  std::shared_ptr<const grammar::Grammar> grammar;

  // Throws RequestError(Invalid) for out-of-range values.
  void validate() const;
};

enum class FinishReason { None, Stop, Length, Abort };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "abort"; "" for None

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.f;                         // log-softmax of the model's raw logits
  std::vector<std::pair<int32_t, float>> top;  // the most likely tokens, best first
};

// Progress of one choice since its previous event.
struct Event {
  int32_t index = 0;  // choice
  std::vector<int32_t> token_ids;
  std::string text;   // empty when the model has no tokenizer
  std::vector<TokenLogprob> logprobs;  // one per token when asked for
  FinishReason finish = FinishReason::None;
  std::string stop_reason;  // the matched stop string, or a stop token id as text
  std::string error;        // set when the engine failed the request
  int64_t cached_tokens = 0;  // final event: prompt tokens served by the prefix cache
};

// Timing of a finished request, for the client's usage report and the engine's histograms.
struct RequestTiming {
  using Clock = std::chrono::steady_clock;
  Clock::time_point arrival, first_scheduled, first_token, last_token, finished;
};

class RequestError : public std::runtime_error {
 public:
  enum Kind { Invalid, QueueFull, Unavailable };
  RequestError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }
  // The request field at fault, when there is one (OpenAI's error "param").
  std::string param;

 private:
  Kind kind_;
};

}  // namespace sunbae::engine
