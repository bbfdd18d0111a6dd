#include "server/prometheus.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace sunbae::server {

namespace {

// The shortest text that reads back as the same double: le="0.005", not 0.0050000000000000001.
std::string num(double v) {
  char buf[64];
  if (std::isfinite(v) && v > -1e15 && v < 1e15 && v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%lld", (long long)v);
    return buf;
  }
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string escape_label(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

struct Writer {
  std::ostringstream os;
  std::string labels;  // model_name="..."

  void head(const std::string& name, const char* type, const char* help) {
    os << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
  }
  void value(const std::string& name, double v, const std::string& extra = {}) {
    os << name << '{' << labels << (extra.empty() ? "" : ",") << extra << "} " << num(v) << '\n';
  }
  void gauge(const std::string& name, const char* help, double v) {
    head(name, "gauge", help);
    value(name, v);
  }
  void counter(const std::string& name, const char* help, double v) {
    head(name, "counter", help);
    value(name + "_total", v);
  }
  void histogram(const std::string& name, const char* help, const engine::Histogram& h) {
    head(name, "histogram", help);
    for (size_t i = 0; i < h.bounds.size(); ++i)
      value(name + "_bucket", double(h.counts[i]), "le=\"" + num(h.bounds[i]) + "\"");
    value(name + "_bucket", double(h.count), "le=\"+Inf\"");
    value(name + "_sum", h.sum);
    value(name + "_count", double(h.count));
  }
};

}  // namespace

std::string prometheus_text(const engine::EngineStats& s, const std::string& model_name) {
  Writer w;
  w.labels = "model_name=\"" + escape_label(model_name) + "\"";
  w.gauge("sunbae:num_requests_running", "Requests with a sequence in the running batch.", double(s.num_running));
  w.gauge("sunbae:num_requests_waiting", "Requests queued, none of their sequences admitted yet.", double(s.num_waiting));
  w.gauge("sunbae:kv_cache_usage_perc", "Fraction of KV-cache blocks in use (1 = full).", s.kv_usage);
  w.gauge("sunbae:kv_cache_blocks", "KV-cache blocks of 16 tokens.", double(s.kv_blocks));
  w.counter("sunbae:prefix_cache_queries", "Prompt tokens looked up in the prefix cache.", double(s.prefix_queries));
  w.counter("sunbae:prefix_cache_hits", "Prompt tokens found in the prefix cache.", double(s.prefix_hits));
  w.counter("sunbae:prompt_tokens", "Prompt tokens of admitted requests.", double(s.prompt_tokens));
  w.counter("sunbae:generation_tokens", "Generated tokens.", double(s.generation_tokens));
  w.counter("sunbae:num_preemptions", "Sequences preempted for recompute when KV blocks ran out.", double(s.preemptions));
  w.counter("sunbae:grammar_mask_seconds",
            "Engine-thread time spent obtaining response_format masks (waiting on mask workers or computing).",
            s.grammar_mask_seconds);
  w.counter("sunbae:grammar_masks", "response_format masks applied.", double(s.grammar_masks));
  w.gauge("sunbae:grammar_mask_cache_bytes", "Bytes held by the response_format mask cache.",
          double(s.grammar_cache_bytes));
  w.head("sunbae:request_success", "counter", "Finished requests by finish reason.");
  for (const char* r : {"stop", "length", "abort", "error"}) {
    auto it = s.finished.find(r);
    w.value("sunbae:request_success_total", it == s.finished.end() ? 0.0 : double(it->second),
            std::string("finished_reason=\"") + r + "\"");
  }
  w.histogram("sunbae:time_to_first_token_seconds", "Time from arrival to the first token.", s.ttft);
  w.histogram("sunbae:inter_token_latency_seconds", "Time between consecutive tokens of a sequence.", s.itl);
  w.histogram("sunbae:e2e_request_latency_seconds", "Time from arrival to the last token.", s.e2e);
  w.histogram("sunbae:request_queue_time_seconds", "Time from arrival to first scheduling.", s.queue);
  return w.os.str();
}

}  // namespace sunbae::server
