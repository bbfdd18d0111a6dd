#pragma once
// The serving benchmark's metrics, as vLLM's benchmark_serving computes them: per request the
// time to first token (TTFT), time per output token after the first (TPOT), the gaps between
// streamed tokens (ITL) and end-to-end latency; over the run request and token throughput and
// mean / median / p95 / p99 of each latency.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::bench {

struct RequestRecord {
  bool ok = false;
  std::string error;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  double ttft = 0.0;              // seconds from send to the first token
  double e2e = 0.0;               // seconds from send to the last byte
  std::vector<double> itl;        // seconds between consecutive token arrivals
};

struct Summary {
  double mean = 0, median = 0, p95 = 0, p99 = 0;
};

// Linear interpolation between closest ranks (numpy's default); zeros for an empty input.
Summary summarize(std::vector<double> values);

struct ServeReport {
  int64_t completed = 0, failed = 0;
  double duration = 0.0;  // seconds, first send to last finish
  int64_t prompt_tokens = 0, output_tokens = 0;
  double request_throughput = 0, output_throughput = 0, total_token_throughput = 0;
  Summary ttft_ms, tpot_ms, itl_ms, e2el_ms;
  std::string first_error;
};

ServeReport make_report(const std::vector<RequestRecord>& records, double duration);
nlohmann::json report_json(const ServeReport& r);
std::string report_table(const ServeReport& r);

}  // namespace sunbae::bench
