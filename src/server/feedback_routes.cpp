#include "server/feedback_routes.h"

#include <httplib.h>

#include <chrono>
#include <ctime>

#include "core/error.h"
#include "server/api_error.h"
#include "server/http_reply.h"

namespace sunbae::server {

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// One feedback request in flight, shared with the chunked-content callbacks that outlive the handler.
struct FeedbackCall {
  feedback::PreparedFeedback prep;
  std::shared_ptr<const ServingModel> model;
  std::shared_ptr<engine::RequestStream> stream;
  std::string id, text, error;
  int64_t created = 0, completion_tokens = 0, cached_tokens = 0;
  engine::FinishReason finish = engine::FinishReason::None;
  std::atomic<int64_t>* active = nullptr;
  bool released = false;

  // Reads what arrived, handing each new piece of text to `on_text`.
  template <class F>
  void poll(std::chrono::milliseconds wait, F&& on_text) {
    std::vector<engine::Event> evs;
    stream->next(evs, wait);
    for (auto& e : evs) {
      completion_tokens += int64_t(e.token_ids.size());
      if (!e.error.empty()) error = e.error;
      if (e.finish != engine::FinishReason::None) finish = e.finish, cached_tokens = e.cached_tokens;
      if (!e.text.empty()) {
        text += e.text;
        on_text(e.text);
      }
    }
  }
  bool done() const { return stream->done(); }
  // The response object, or throws FeedbackFailure.
  json result() const {
    if (!error.empty()) throw feedback::FeedbackFailure(cat("the engine failed the request: ", error));
    return feedback::feedback_response(prep, text, finish,
                                       {int64_t(prep.prompt.size()), completion_tokens, cached_tokens}, id, created,
                                       model->name);
  }
  void release() {
    if (released) return;
    released = true;
    --*active;
  }
};

void whole(std::shared_ptr<FeedbackCall> call, httplib::Response& res) {
  auto body = [call] {
    try {
      return call->result().dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const feedback::FeedbackFailure& e) {
      return error_body(500, e.what()).dump();
    }
  };
  const auto quick = std::chrono::steady_clock::now() + 1s;
  while (!call->done() && std::chrono::steady_clock::now() < quick) call->poll(50ms, [](const std::string&) {});
  if (call->done()) {
    call->release();
    try {
      return res.set_content(call->result().dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    } catch (const feedback::FeedbackFailure& e) {
      return send_error(res, 500, e.what());
    }
  }
  // As for completions: commit to 200 and write a space every 250 ms, so a client that left is
  // noticed and its request cancelled; a failure past this point is an error body.
  res.set_chunked_content_provider(
      "application/json",
      [call, body](size_t, httplib::DataSink& sink) {
        const auto until = std::chrono::steady_clock::now() + 250ms;
        while (!call->done() && std::chrono::steady_clock::now() < until) call->poll(50ms, [](const std::string&) {});
        if (!call->done()) {
          if (sink.write(" ", 1)) return true;
          call->stream->cancel();
          call->release();
          return false;
        }
        const std::string b = body();
        sink.write(b.data(), b.size());
        sink.done();
        call->release();
        return true;
      },
      [call](bool success) {
        if (!success) call->stream->cancel();
        call->release();
      });
}

void streamed(std::shared_ptr<FeedbackCall> call, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [call, last_write = std::chrono::steady_clock::now()](size_t, httplib::DataSink& sink) mutable {
        std::string out;
        call->poll(50ms, [&](const std::string& piece) { out += sse({{"type", "delta"}, {"text", piece}}); });
        const bool finished = call->done();
        if (finished) {
          try {
            json r = call->result();
            r["type"] = "result";
            out += sse(r);
          } catch (const feedback::FeedbackFailure& e) {
            json err = error_body(500, e.what());
            err["type"] = "error";
            out += sse(err);
          }
          out += "data: [DONE]\n\n";
        }
        const auto now = std::chrono::steady_clock::now();
        if (out.empty() && now - last_write > 2s) out = ": keep-alive\n\n";
        if (!out.empty()) {
          if (!sink.write(out.data(), out.size())) {
            call->stream->cancel();
            call->release();
            return false;
          }
          last_write = now;
        }
        if (finished) {
          sink.done();
          call->release();
        }
        return true;
      },
      [call](bool success) {
        if (!success) call->stream->cancel();
        call->release();
      });
}

}  // namespace

void add_feedback_routes(httplib::Server& svr, FeedbackRoutes r) {
  auto ctx = std::make_shared<FeedbackRoutes>(std::move(r));

  svr.Get("/v1/feedback/schema", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(feedback::response_schema().dump(2), "application/schema+json");
  });

  svr.Get("/v1/questions", [ctx](const httplib::Request& req, httplib::Response& res) {
    const std::string category = req.get_param_value("category"), level = req.get_param_value("level");
    if (!category.empty() && !feedback::is_category(category)) {
      std::string all;
      for (const auto& c : feedback::categories()) all += (all.empty() ? "" : ", ") + c;
      return send_error(res, 400, cat("unknown category \"", category, "\"; expected one of ", all), "category");
    }
    std::optional<feedback::Level> lv;
    if (!level.empty()) {
      if (level != "junior" && level != "senior")
        return send_error(res, 400, cat("'level' must be \"junior\" or \"senior\", got \"", level, "\""), "level");
      lv = level == "senior" ? feedback::Level::Senior : feedback::Level::Junior;
    }
    json data = json::array();
    for (const auto* q : ctx->assets->bank.filter(category, lv)) data.push_back(q->to_json());
    res.set_content(json({{"object", "list"}, {"data", std::move(data)}}).dump(), "application/json");
  });

  svr.Post("/v1/feedback", [ctx](const httplib::Request& hreq, httplib::Response& res) {
    auto m = ctx->current();
    if (!m) return send_error(res, 503, "the model is loading");
    if (*ctx->draining) return send_error(res, 503, "the server is shutting down");
    json body;
    try {
      body = json::parse(hreq.body);
    } catch (const json::exception& e) {
      return send_error(res, 400, cat("the body is not valid JSON: ", e.what()));
    }
    auto call = std::make_shared<FeedbackCall>();
    feedback::FeedbackRequest fr;
    try {
      fr = feedback::parse_feedback_request(body);
      if (!fr.model.empty() && fr.model != m->name)
        return send_error(res, 404, cat("The model `", fr.model, "` does not exist."), "model");
      if (!m->tokenizer || !m->chat_template)
        return send_error(res, 400, "this model has no tokenizer, which feedback needs", "model");
      call->prep = feedback::prepare_feedback(fr, *ctx->assets, *m->tokenizer, *m->chat_template,
                                              m->engine->context_length());
    } catch (const feedback::InvalidRequest& e) {
      return send_error(res, 400, e.what(), e.param);
    }
    try {
      call->stream = m->engine->submit({call->prep.prompt, call->prep.params});
    } catch (const engine::RequestError& e) {
      return send_error(res, status_of(e), e.what(), e.param);
    }
    call->model = m;
    call->id = "fb-" + ctx->next_id();
    call->created = int64_t(std::time(nullptr));
    ++*ctx->active;
    call->active = ctx->active;
    if (fr.stream) streamed(call, res);
    else whole(call, res);
  });
}

}  // namespace sunbae::server
