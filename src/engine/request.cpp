#include "engine/request.h"

#include <cmath>

#include "core/error.h"

namespace sunbae::engine {

namespace {
void check(bool ok, const char* param, const std::string& message) {
  if (ok) return;
  RequestError e(RequestError::Invalid, message);
  e.param = param;
  throw e;
}
}  // namespace

void RequestParams::validate() const {
  // The sampler's own check, field by field, so the error can name the field.
  const auto sampling_field = [&](const char* name, auto set) {
    SamplingParams only;
    set(only);
    try {
      only.validate();
    } catch (const Error& e) {
      check(false, name, e.what());
    }
  };
  sampling_field("temperature", [&](SamplingParams& s) { s.temperature = sampling.temperature; });
  sampling_field("top_k", [&](SamplingParams& s) { s.top_k = sampling.top_k; });
  sampling_field("top_p", [&](SamplingParams& s) { s.top_p = sampling.top_p; });
  sampling_field("min_p", [&](SamplingParams& s) { s.min_p = sampling.min_p; });
  try {
    sampling.validate();
  } catch (const Error& e) {
    check(false, "", e.what());
  }
  check(max_tokens >= 1, "max_tokens", cat("max_tokens must be >= 1, got ", max_tokens));
  check(min_tokens >= 0 && min_tokens <= max_tokens, "min_tokens",
        cat("min_tokens must be in [0, max_tokens], got ", min_tokens));
  check(n >= 1 && n <= 128, "n", cat("n must be in [1, 128], got ", n));
  check(logprobs >= -1 && logprobs <= 20, "logprobs", cat("logprobs must be in [0, 20], got ", logprobs));
  check(std::isfinite(repetition_penalty) && repetition_penalty > 0.0, "repetition_penalty",
        cat("repetition_penalty must be > 0, got ", repetition_penalty));
  check(stop.size() <= 16, "stop", "at most 16 stop strings");
  for (const auto& s : stop) check(!s.empty() && s.size() <= 1024, "stop", "stop strings must be 1..1024 bytes");
  // Both would force tokens past the end of a complete document, which the grammar allows none of.
  check(!grammar || min_tokens == 0, "min_tokens", "min_tokens cannot be combined with response_format");
  check(!grammar || !ignore_eos, "ignore_eos", "ignore_eos cannot be combined with response_format");
}

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Abort: return "abort";
    case FinishReason::None: break;
  }
  return "";
}

}  // namespace sunbae::engine
