#include "bench/serve_stats.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace sunbae::bench {

namespace {
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q * double(sorted.size() - 1);
  const size_t lo = size_t(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

std::vector<double> ms(std::vector<double> v) {
  for (double& x : v) x *= 1000.0;
  return v;
}
}  // namespace

Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  s.median = quantile(v, 0.5);
  s.p95 = quantile(v, 0.95);
  s.p99 = quantile(v, 0.99);
  return s;
}

ServeReport make_report(const std::vector<RequestRecord>& records, double duration) {
  ServeReport r;
  r.duration = duration;
  std::vector<double> ttft, tpot, itl, e2e;
  for (const auto& x : records) {
    if (!x.ok) {
      ++r.failed;
      if (r.first_error.empty()) r.first_error = x.error;
      continue;
    }
    ++r.completed;
    r.prompt_tokens += x.prompt_tokens;
    r.output_tokens += x.output_tokens;
    ttft.push_back(x.ttft);
    e2e.push_back(x.e2e);
    // TPOT excludes the first token, as vLLM's; undefined for single-token outputs.
    if (x.output_tokens > 1) tpot.push_back((x.e2e - x.ttft) / double(x.output_tokens - 1));
    itl.insert(itl.end(), x.itl.begin(), x.itl.end());
  }
  if (duration > 0) {
    r.request_throughput = double(r.completed) / duration;
    r.output_throughput = double(r.output_tokens) / duration;
    r.total_token_throughput = double(r.prompt_tokens + r.output_tokens) / duration;
  }
  r.ttft_ms = summarize(ms(ttft));
  r.tpot_ms = summarize(ms(tpot));
  r.itl_ms = summarize(ms(itl));
  r.e2el_ms = summarize(ms(e2e));
  return r;
}

nlohmann::json report_json(const ServeReport& r) {
  nlohmann::json j = {{"completed", r.completed},
                      {"failed", r.failed},
                      {"duration_s", r.duration},
                      {"total_input_tokens", r.prompt_tokens},
                      {"total_output_tokens", r.output_tokens},
                      {"request_throughput", r.request_throughput},
                      {"output_throughput", r.output_throughput},
                      {"total_token_throughput", r.total_token_throughput}};
  auto put = [&](const char* name, const Summary& s) {
    j[std::string("mean_") + name + "_ms"] = s.mean;
    j[std::string("median_") + name + "_ms"] = s.median;
    j[std::string("p95_") + name + "_ms"] = s.p95;
    j[std::string("p99_") + name + "_ms"] = s.p99;
  };
  put("ttft", r.ttft_ms);
  put("tpot", r.tpot_ms);
  put("itl", r.itl_ms);
  put("e2el", r.e2el_ms);
  if (!r.first_error.empty()) j["first_error"] = r.first_error;
  return j;
}

std::string report_table(const ServeReport& r) {
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf,
                "requests: %lld completed, %lld failed in %.2f s\n"
                "throughput: %.2f req/s, %.1f output tok/s, %.1f total tok/s (%lld in, %lld out)\n",
                (long long)r.completed, (long long)r.failed, r.duration, r.request_throughput, r.output_throughput,
                r.total_token_throughput, (long long)r.prompt_tokens, (long long)r.output_tokens);
  out += buf;
  out += "| metric (ms) |     mean |   median |      p95 |      p99 |\n|---|---:|---:|---:|---:|\n";
  auto row = [&](const char* name, const Summary& s) {
    std::snprintf(buf, sizeof buf, "| %-11s | %8.2f | %8.2f | %8.2f | %8.2f |\n", name, s.mean, s.median, s.p95, s.p99);
    out += buf;
  };
  row("TTFT", r.ttft_ms);
  row("TPOT", r.tpot_ms);
  row("ITL", r.itl_ms);
  row("E2E", r.e2el_ms);
  if (!r.first_error.empty()) out += "first error: " + r.first_error + "\n";
  return out;
}

}  // namespace sunbae::bench
