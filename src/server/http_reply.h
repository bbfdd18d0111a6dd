#pragma once
// Reply helpers shared by the server's route files (OpenAI routes, feedback routes): error bodies
// in OpenAI's shape, the status of an engine refusal, and one SSE event.
#include <httplib.h>

#include <string>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "server/api_error.h"

namespace sunbae::server {

inline void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param = {}) {
  res.status = status;
  res.set_content(error_body(status, message, param).dump(), "application/json");
}

inline int status_of(const engine::RequestError& e) {
  switch (e.kind()) {
    case engine::RequestError::QueueFull: return 429;
    case engine::RequestError::Unavailable: return 503;
    case engine::RequestError::Invalid: break;
  }
  return 400;
}

// Invalid UTF-8 in a value is replaced rather than failing the stream.
inline std::string sse(const nlohmann::json& j) {
  return "data: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

}  // namespace sunbae::server
