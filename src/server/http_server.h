#pragma once
// The HTTP layer over the engine: OpenAI routes, the feedback routes (feedback_routes.h), /health, /metrics, auth, CORS and SSE. It listens
// before the model is loaded (so /health can say 503 while loading) and is handed the engine when
// it is ready. Thin by design: parse, validate, submit, format.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::feedback {
struct Assets;
}

namespace sunbae::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                 // 0: any free port (see HttpServer::port)
  std::string api_key;             // empty: no auth
  std::vector<std::string> allowed_origins;  // empty: no CORS headers; "*": any origin
  int http_threads = 512;          // each open stream holds one
  int64_t max_body_bytes = 8 << 20;
  // Question bank and prompts for /v1/feedback and /v1/questions; null: the embedded data.
  std::shared_ptr<const feedback::Assets> feedback;
};

struct ServingModel {
  std::string name;  // what /v1/models lists and requests must name
  std::shared_ptr<engine::Engine> engine;
  std::shared_ptr<const tok::Tokenizer> tokenizer;      // may be null
  std::shared_ptr<const tmpl::ChatTemplate> chat_template;  // null without a tokenizer
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();

  void bind();  // throws Error when host:port cannot be bound
  int port() const;
  void start();  // serves on a background thread
  void set_model(ServingModel model);  // /health turns 200, /v1 routes open
  void begin_drain();                  // /v1 routes answer 503 from now on
  void stop();                         // stops accepting; returns when every handler has returned

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sunbae::server
