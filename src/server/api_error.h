#pragma once
// Errors in OpenAI's shape, {"error": {"message", "type", "param", "code"}}, with vLLM's type names
// and the HTTP status as the code.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace sunbae::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, std::string param = {})
      : std::runtime_error(message), status(status), param(std::move(param)) {}
  int status;
  std::string param;
};

inline const char* error_type(int status) {
  switch (status) {
    case 400: return "BadRequestError";
    case 401: return "AuthenticationError";
    case 404: return "NotFoundError";
    case 405: return "MethodNotAllowed";
    case 413: return "RequestEntityTooLarge";
    case 429: return "RateLimitError";
    case 503: return "ServiceUnavailableError";
    default: return "InternalServerError";
  }
}

inline nlohmann::json error_body(int status, const std::string& message, const std::string& param = {}) {
  nlohmann::json e = {{"message", message}, {"type", error_type(status)}, {"code", status}};
  e["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
  return {{"error", e}};
}

}  // namespace sunbae::server
