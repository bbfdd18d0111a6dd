#include "server/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.h"
#include "server/api_error.h"
#include "server/http_reply.h"
#include "server/feedback_routes.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "server/prometheus.h"
#include "server/web_ui.h"

namespace sunbae::server {

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool same_secret(const std::string& a, const std::string& b) {
  // Constant time in the contents, so the key cannot be guessed byte by byte from timings.
  unsigned diff = unsigned(a.size() ^ b.size());
  for (size_t i = 0; i < a.size(); ++i) diff |= unsigned(uint8_t(a[i]) ^ uint8_t(b[i % (b.empty() ? 1 : b.size())]));
  return diff == 0 && !b.empty();
}

// One response in flight: its parsed request, streams and per-choice state. Shared with the
// chunked-content callbacks, which outlive the handler.
struct Call {
  ApiRequest req;
  std::shared_ptr<const ServingModel> model;
  ResponseMeta meta;
  std::vector<std::shared_ptr<engine::RequestStream>> streams;  // one per prompt
  std::vector<ChoiceOutput> choices;                            // prompt-major, n per prompt
  std::vector<uint8_t> started;                                 // chat: role chunk sent
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string error;
  std::atomic<int64_t>* active = nullptr;
  bool released = false;

  void cancel_all() {
    for (auto& s : streams) s->cancel();
  }
  bool all_done() const {
    for (auto& s : streams)
      if (!s->done()) return false;
    return true;
  }
  int64_t n() const { return req.params.n; }
  // Gathers the events that arrived (waiting up to `wait` on the first stream) and hands each,
  // with its global choice index, to `fn`.
  template <class F>
  void poll(std::chrono::milliseconds wait, F&& fn) {
    std::vector<engine::Event> evs;
    for (size_t p = 0; p < streams.size(); ++p) {
      evs.clear();
      streams[p]->next(evs, p == 0 ? wait : 0ms);
      for (auto& e : evs) {
        const int64_t idx = int64_t(p) * n() + e.index;
        ChoiceOutput& c = choices[size_t(idx)];
        c.token_ids.insert(c.token_ids.end(), e.token_ids.begin(), e.token_ids.end());
        completion_tokens += int64_t(e.token_ids.size());
        if (e.finish != engine::FinishReason::None) {
          c.finish = e.finish;
          c.stop_reason = e.stop_reason;
        }
        if (!e.error.empty()) error = e.error;
        fn(idx, e, c);
        c.text += e.text;
        c.logprobs.insert(c.logprobs.end(), e.logprobs.begin(), e.logprobs.end());
      }
    }
  }
  void release() {
    if (released) return;
    released = true;
    --*active;
  }
};

}  // namespace

struct HttpServer::Impl {
  ServerOptions opt;
  httplib::Server svr;
  std::mutex mu;
  std::shared_ptr<const ServingModel> model;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> active{0};  // completion calls not yet answered in full
  std::thread thread;
  int listen_fd = -1;
  int bound_port = 0;
  std::atomic<uint64_t> next_id{0};
  uint64_t id_salt = std::random_device{}();

  std::shared_ptr<const ServingModel> current() {
    std::lock_guard<std::mutex> lk(mu);
    return model;
  }

  void routes();
  void completions(const httplib::Request& req, httplib::Response& res, Endpoint ep);
  void stream_call(std::shared_ptr<Call> call, httplib::Response& res);
  void whole_call(std::shared_ptr<Call> call, httplib::Response& res);
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->routes();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::bind() {
  Impl& m = *impl_;
  m.svr.set_socket_options([&m](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    m.listen_fd = sock;
  });
  if (m.opt.port == 0) {
    m.bound_port = m.svr.bind_to_any_port(m.opt.host);
    SUNBAE_CHECK(m.bound_port > 0, "cannot bind ", m.opt.host, " to any port");
  } else {
    SUNBAE_CHECK(m.svr.bind_to_port(m.opt.host, m.opt.port), "cannot bind ", m.opt.host, ":", m.opt.port,
                 " (in use, or not an address of this machine)");
    m.bound_port = m.opt.port;
  }
  // cpp-httplib listens with a backlog of 5, too short for a burst of hundreds of clients;
  // listen() again on the same socket raises it.
  if (m.listen_fd >= 0) ::listen(m.listen_fd, 1024);
}

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::start() {
  impl_->thread = std::thread([this] { impl_->svr.listen_after_bind(); });
  // stop() is a no-op on a server that is not running yet, which would leave join() waiting
  // forever: return only once the accept loop runs.
  for (int i = 0; i < 5000 && !impl_->svr.is_running(); ++i) std::this_thread::sleep_for(1ms);
  SUNBAE_CHECK(impl_->svr.is_running(), "the HTTP server did not start");
}

void HttpServer::set_model(ServingModel model) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->model = std::make_shared<const ServingModel>(std::move(model));
}

void HttpServer::begin_drain() { impl_->draining = true; }

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  // Answered calls finish writing before the socket closes; the caller bounds the wait.
  for (int i = 0; i < 500 && impl_->active > 0; ++i) std::this_thread::sleep_for(10ms);
  impl_->svr.stop();
  impl_->thread.join();
}

void HttpServer::Impl::routes() {
  const int threads = std::max(opt.http_threads, 4);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  svr.set_payload_max_length(size_t(opt.max_body_bytes));
  svr.set_keep_alive_max_count(1000);
  svr.set_keep_alive_timeout(2);
  svr.set_tcp_nodelay(true);  // tokens are small writes: Nagle would hold them back ~40 ms

  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const char* msg = res.status == 413 ? "the request body is too large"
                      : res.status == 404 ? "no such route"
                                          : "the request could not be served";
    res.set_content(error_body(res.status, msg).dump(), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });

  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!opt.allowed_origins.empty() && req.has_header("Origin")) {
      const std::string origin = req.get_header_value("Origin");
      const bool any = std::find(opt.allowed_origins.begin(), opt.allowed_origins.end(), "*") != opt.allowed_origins.end();
      if (any || std::find(opt.allowed_origins.begin(), opt.allowed_origins.end(), origin) != opt.allowed_origins.end()) {
        res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
        if (!any) res.set_header("Vary", "Origin");
        if (req.method == "OPTIONS") {
          res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
          res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
          res.set_header("Access-Control-Max-Age", "600");
          res.status = 204;
          return httplib::Server::HandlerResponse::Handled;
        }
      }
    }
    if (!opt.api_key.empty() && req.path.rfind("/v1", 0) == 0) {
      const std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) != 0 || !same_secret(auth.substr(7), opt.api_key)) {
        send_error(res, 401, "invalid or missing API key (Authorization: Bearer ...)");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  svr.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (!current()) return send_error(res, 503, "the model is loading");
    if (draining) return send_error(res, 503, "the server is shutting down");
    res.status = 200;
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto m = current();
    res.set_content(m ? prometheus_text(m->engine->stats(), m->name) : prometheus_text({}, ""),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    auto m = current();
    if (!m) return send_error(res, 503, "the model is loading");
    json card = {{"id", m->name}, {"object", "model"}, {"created", int64_t(std::time(nullptr))},
                 {"owned_by", "sunbae"}, {"max_model_len", m->engine->context_length()}};
    res.set_content(json({{"object", "list"}, {"data", json::array({card})}}).dump(), "application/json");
  });
  svr.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    completions(req, res, Endpoint::Completions);
  });
  svr.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    completions(req, res, Endpoint::Chat);
  });
  FeedbackRoutes fr;
  fr.current = [this] { return current(); };
  fr.draining = &draining;
  fr.active = &active;
  fr.next_id = [this] {
    char id[24];
    std::snprintf(id, sizeof id, "%016llx", (unsigned long long)(id_salt ^ (++next_id * 0x9e3779b97f4a7c15ULL)));
    return std::string(id);
  };
  fr.assets = opt.feedback ? opt.feedback : feedback::Assets::load(feedback::DataFiles());
  add_feedback_routes(svr, std::move(fr));
  add_web_ui(svr);
}

void HttpServer::Impl::completions(const httplib::Request& hreq, httplib::Response& res, Endpoint ep) {
  auto m = current();
  if (!m) return send_error(res, 503, "the model is loading");
  if (draining) return send_error(res, 503, "the server is shutting down");
  json body;
  try {
    body = json::parse(hreq.body);
  } catch (const json::exception& e) {
    return send_error(res, 400, cat("the body is not valid JSON: ", e.what()));
  }
  if (body.is_object() && body.contains("model") && body["model"].is_string() && body["model"] != m->name)
    return send_error(res, 404, cat("The model `", body["model"].get<std::string>(), "` does not exist."), "model");

  auto call = std::make_shared<Call>();
  call->model = m;
  try {
    ParseContext ctx{m->tokenizer.get(), m->chat_template.get(), m->engine->context_length()};
    call->req = parse_request(ep, body, ctx);
  } catch (const ApiError& e) {
    return send_error(res, e.status, e.what(), e.param);
  } catch (const Error& e) {
    return send_error(res, 400, e.what());
  }
  for (const auto& prompt : call->req.prompts) {
    try {
      call->streams.push_back(m->engine->submit({prompt, call->req.params}));
    } catch (const engine::RequestError& e) {
      call->cancel_all();
      return send_error(res, status_of(e), e.what(), e.param);
    }
    call->prompt_tokens += int64_t(prompt.size());
  }
  call->choices.resize(call->req.prompts.size() * size_t(call->req.params.n));
  call->started.assign(call->choices.size(), 0);
  char id[40];
  std::snprintf(id, sizeof id, "%s-%016llx", ep == Endpoint::Chat ? "chatcmpl" : "cmpl",
                (unsigned long long)(id_salt ^ (++next_id * 0x9e3779b97f4a7c15ULL)));
  call->meta = {id, int64_t(std::time(nullptr)), m->name, &call->req, m->tokenizer.get()};
  ++active;
  call->active = &active;
  if (call->req.stream) stream_call(call, res);
  else whole_call(call, res);
}

void HttpServer::Impl::whole_call(std::shared_ptr<Call> call, httplib::Response& res) {
  auto body = [call] {
    if (!call->error.empty()) return error_body(500, call->error).dump();
    return response_json(call->meta, call->choices, call->req.prompts, call->prompt_tokens, call->completion_tokens)
        .dump(-1, ' ', false, json::error_handler_t::replace);
  };
  // Short requests answer at once, with their true status.
  const auto quick = std::chrono::steady_clock::now() + 1s;
  while (!call->all_done() && std::chrono::steady_clock::now() < quick)
    call->poll(50ms, [](int64_t, const engine::Event&, ChoiceOutput&) {});
  if (call->all_done()) {
    call->release();
    if (!call->error.empty()) return send_error(res, 500, call->error);
    return res.set_content(body(), "application/json");
  }
  // A long one commits to 200 and sends a space (leading whitespace is valid JSON) every 250 ms
  // while it runs, so that a client that left fails a write (the second after its close) and
  // cancels the request instead of generating to max_tokens for nobody. An engine failure past
  // this point is an error body.
  res.set_chunked_content_provider(
      "application/json",
      [call, body](size_t, httplib::DataSink& sink) {
        const auto until = std::chrono::steady_clock::now() + 250ms;
        while (!call->all_done() && std::chrono::steady_clock::now() < until)
          call->poll(50ms, [](int64_t, const engine::Event&, ChoiceOutput&) {});
        if (!call->all_done()) {
          if (sink.write(" ", 1)) return true;
          call->cancel_all();
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
        if (!success) call->cancel_all();
        call->release();
      });
}

void HttpServer::Impl::stream_call(std::shared_ptr<Call> call, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [call, last_write = std::chrono::steady_clock::now()](size_t, httplib::DataSink& sink) mutable {
        bool ok = true;
        std::string out;
        call->poll(50ms, [&](int64_t idx, const engine::Event& e, ChoiceOutput& c) {
          if (!e.error.empty()) {
            out += sse(error_body(500, e.error));
            return;
          }
          const bool first = call->req.endpoint == Endpoint::Chat && !call->started[size_t(idx)];
          call->started[size_t(idx)] = 1;
          out += sse(chunk_json(call->meta, idx, e, c, first));
        });
        const auto now = std::chrono::steady_clock::now();
        if (out.empty() && now - last_write > 2s) out = ": keep-alive\n\n";  // finds a closed client
        if (!out.empty()) {
          ok = sink.write(out.data(), out.size());
          last_write = now;
        }
        if (!ok) {
          call->cancel_all();
          call->release();
          return false;
        }
        if (call->all_done()) {
          std::string tail;
          if (call->req.include_usage)
            tail += sse(usage_chunk_json(call->meta, call->prompt_tokens, call->completion_tokens));
          tail += "data: [DONE]\n\n";
          sink.write(tail.data(), tail.size());
          sink.done();
          call->release();
        }
        return true;
      },
      [call](bool success) {
        // The client went away (or the server is stopping) before the end: stop generating.
        if (!success) call->cancel_all();
        call->release();
      });
}

}  // namespace sunbae::server
