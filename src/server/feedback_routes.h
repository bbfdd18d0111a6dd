#pragma once
// POST /v1/feedback, GET /v1/feedback/schema and GET /v1/questions: thin HTTP handlers over the
// feedback layer (src/feedback), which parses, prompts and checks; this file only submits to the
// engine and writes JSON or SSE. Auth and CORS come from the server's pre-routing handler.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "feedback/feedback_job.h"
#include "server/http_server.h"

namespace httplib {
class Server;
}

namespace sunbae::server {

struct FeedbackRoutes {
  std::function<std::shared_ptr<const ServingModel>()> current;  // null while loading
  const std::atomic<bool>* draining = nullptr;
  std::atomic<int64_t>* active = nullptr;  // calls not yet answered in full (stop() waits on it)
  std::function<std::string()> next_id;    // hex digits
  std::shared_ptr<const feedback::Assets> assets;
};

void add_feedback_routes(httplib::Server& svr, FeedbackRoutes routes);

}  // namespace sunbae::server
