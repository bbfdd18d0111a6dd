// sunbae bench serve: a load generator for an OpenAI-compatible server (vLLM's benchmark_serving
// metrics): fixed concurrency and/or Poisson arrivals, synthetic token-id prompts or a JSONL.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "bench/serve_stats.h"
#include "commands.h"
#include "core/error.h"

namespace sunbae::app {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Job {
  json prompt;  // text or token ids
  int64_t max_tokens = 0;
  double arrival = 0.0;  // seconds after the start
};

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bench::RequestRecord run_one(httplib::Client& cli, const std::string& model, const std::string& api_key,
                             const Job& job, bool ignore_eos) {
  bench::RequestRecord rec;
  json body = {{"model", model},          {"prompt", job.prompt},  {"max_tokens", job.max_tokens},
               {"temperature", 0.0},      {"stream", true},        {"stream_options", {{"include_usage", true}}},
               {"ignore_eos", ignore_eos}, {"return_token_ids", true}};
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  if (!api_key.empty()) req.set_header("Authorization", "Bearer " + api_key);
  std::string buf, raw;
  bool done = false;
  double last = 0.0;
  const auto t0 = Clock::now();
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    buf.append(data, len);
    if (raw.size() < 2000) raw.append(data, std::min<size_t>(len, 2000));
    for (size_t end; (end = buf.find("\n\n")) != std::string::npos;) {
      std::string ev = buf.substr(0, end);
      buf.erase(0, end + 2);
      if (ev.rfind("data: ", 0) != 0) continue;  // SSE comments (keep-alives)
      ev.erase(0, 6);
      if (ev == "[DONE]") {
        done = true;
        continue;
      }
      const json j = json::parse(ev, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("error")) rec.error = j["error"].value("message", "error");
      if (j.contains("usage") && j["usage"].is_object()) {
        rec.prompt_tokens = j["usage"].value("prompt_tokens", int64_t(0));
        rec.output_tokens = j["usage"].value("completion_tokens", int64_t(0));
      }
      if (!j.contains("choices") || j["choices"].empty()) continue;
      const auto& c = j["choices"][0];
      const size_t n = c.contains("token_ids") && c["token_ids"].is_array() ? c["token_ids"].size() : 0;
      if (n == 0) continue;
      const double now = since(t0);
      if (last == 0.0) rec.ttft = now;
      else rec.itl.push_back(now - last);
      last = now;
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = cli.send(req, res, err);
  rec.e2e = since(t0);
  if (!sent) rec.error = "request failed: " + httplib::to_string(err);
  else if (res.status != 200) rec.error = "HTTP " + std::to_string(res.status) + ": " + raw.substr(0, 300);
  else if (!done && rec.error.empty()) rec.error = "the stream ended without [DONE]";
  rec.ok = rec.error.empty() && rec.output_tokens > 0;
  if (rec.error.empty() && !rec.ok) rec.error = "no tokens came back";
  return rec;
}

std::string first_model(httplib::Client& cli, const std::string& api_key) {
  httplib::Headers h;
  if (!api_key.empty()) h.emplace("Authorization", "Bearer " + api_key);
  auto r = cli.Get("/v1/models", h);
  SUNBAE_CHECK(r && r->status == 200, "GET /v1/models failed",
               r ? ": HTTP " + std::to_string(r->status) : ": " + httplib::to_string(r.error()));
  const json j = json::parse(r->body, nullptr, false);
  SUNBAE_CHECK(!j.is_discarded() && j.contains("data") && !j["data"].empty(), "/v1/models lists no model");
  return j["data"][0].value("id", "");
}

int64_t jittered(std::mt19937_64& rng, int64_t mean, double ratio) {
  const int64_t lo = std::max<int64_t>(1, int64_t(double(mean) * (1.0 - ratio)));
  const int64_t hi = std::max<int64_t>(lo, int64_t(double(mean) * (1.0 + ratio)));
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

}  // namespace

Run add_bench_serve(CLI::App& app) {
  struct Opts {
    std::string url, model, api_key, dataset, json_out;
    int64_t num_prompts = 100, concurrency = 16, input_len = 512, output_len = 128, vocab = 1000;
    double request_rate = 0.0, range_ratio = 0.0, timeout = 600;
    uint64_t seed = 0;
    bool allow_eos = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--url", o->url, "Server base URL, e.g. http://127.0.0.1:8000")->required();
  app.add_option("--model", o->model, "Model name (default: the first of /v1/models)");
  app.add_option("--api-key", o->api_key, "Bearer key")->envname("SUNBAE_API_KEY");
  app.add_option("--num-prompts", o->num_prompts, "Requests to send")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", o->concurrency, "Most requests in flight at once")->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(4096)));
  app.add_option("--request-rate", o->request_rate, "Poisson arrivals per second (0: all at once)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--input-len", o->input_len, "Synthetic prompt tokens (mean)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--output-len", o->output_len, "Tokens to generate (mean)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--range-ratio", o->range_ratio, "Lengths uniform in mean * [1 - r, 1 + r]")->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--vocab", o->vocab, "Synthetic token ids are drawn from [0, vocab)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dataset", o->dataset, "JSONL of {\"prompt\": text or ids, \"max_tokens\"?: n} instead");
  app.add_option("--seed", o->seed, "Seed of prompts and arrivals")->capture_default_str();
  app.add_flag("--allow-eos", o->allow_eos, "Let requests stop at end-of-sequence (default: ignore_eos)");
  app.add_option("--timeout", o->timeout, "Seconds one request may take")->capture_default_str();
  app.add_option("--json", o->json_out, "Also write the results as JSON to this file");
  return [o] {
    std::mt19937_64 rng(o->seed);
    std::vector<Job> jobs;
    if (!o->dataset.empty()) {
      std::ifstream in(o->dataset);
      SUNBAE_CHECK(in, o->dataset, ": cannot open");
      std::string line;
      for (int64_t n = 1; std::getline(in, line) && int64_t(jobs.size()) < o->num_prompts; ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const json j = json::parse(line, nullptr, false);
        SUNBAE_CHECK(!j.is_discarded() && j.is_object() && j.contains("prompt"), o->dataset, ":", n,
                     ": expected {\"prompt\": ...}");
        jobs.push_back({j["prompt"], j.value("max_tokens", jittered(rng, o->output_len, o->range_ratio)), 0.0});
      }
      SUNBAE_CHECK(!jobs.empty(), o->dataset, ": no prompts");
    } else {
      for (int64_t i = 0; i < o->num_prompts; ++i) {
        json ids = json::array();
        const int64_t len = jittered(rng, o->input_len, o->range_ratio);
        for (int64_t t = 0; t < len; ++t) ids.push_back(std::uniform_int_distribution<int64_t>(0, o->vocab - 1)(rng));
        jobs.push_back({ids, jittered(rng, o->output_len, o->range_ratio), 0.0});
      }
    }
    if (o->request_rate > 0) {
      std::exponential_distribution<double> gap(o->request_rate);
      double t = 0;
      for (auto& j : jobs) j.arrival = (t += gap(rng));
    }
    std::string model = o->model;
    {
      httplib::Client probe(o->url);
      probe.set_connection_timeout(10);
      if (model.empty()) model = first_model(probe, o->api_key);
    }
    std::vector<bench::RequestRecord> records(jobs.size());
    std::atomic<size_t> next{0};
    const auto t0 = Clock::now();
    auto worker = [&] {
      httplib::Client cli(o->url);
      cli.set_connection_timeout(10);
      cli.set_read_timeout(std::chrono::duration<double>(o->timeout));
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      for (size_t i; (i = next++) < jobs.size();) {
        const double wait = jobs[i].arrival - since(t0);
        if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
        records[i] = run_one(cli, model, o->api_key, jobs[i], !o->allow_eos);
      }
    };
    std::vector<std::thread> threads;
    for (int64_t i = 0; i < std::min<int64_t>(o->concurrency, int64_t(jobs.size())); ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    const bench::ServeReport rep = bench::make_report(records, since(t0));
    std::printf("%s", bench::report_table(rep).c_str());
    if (!o->json_out.empty()) {
      json j = bench::report_json(rep);
      j["url"] = o->url;
      j["model"] = model;
      j["num_prompts"] = jobs.size();
      j["concurrency"] = o->concurrency;
      j["request_rate"] = o->request_rate;
      std::ofstream(o->json_out) << j.dump(2) << "\n";
    }
    return rep.failed == 0 ? 0 : 1;
  };
}

}  // namespace sunbae::app
