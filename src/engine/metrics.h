#pragma once
// The engine's counters, gauges and latency histograms, copied out as one snapshot so a reader
// (the server's /metrics) never sees a half-updated set.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sunbae::engine {

// Cumulative-bucket histogram as Prometheus reads it: counts[i] counts observations <= bounds[i];
// the implicit +Inf bucket is `count`.
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  uint64_t count = 0;
  double sum = 0.0;

  explicit Histogram(std::vector<double> b = {}) : bounds(std::move(b)), counts(bounds.size(), 0) {}
  void observe(double v) {
    for (size_t i = 0; i < bounds.size(); ++i)
      if (v <= bounds[i]) ++counts[i];
    ++count;
    sum += v;
  }
};

struct EngineStats {
  int64_t num_running = 0;   // requests with a sequence running
  int64_t num_waiting = 0;   // requests queued, none of their sequences admitted yet
  double kv_usage = 0.0;     // fraction of KV blocks held by sequences
  int64_t kv_blocks = 0;
  int64_t prefix_queries = 0;  // prompt tokens looked up in the prefix cache
  int64_t prefix_hits = 0;
  int64_t prompt_tokens = 0;      // counted once per request, at admission
  int64_t generation_tokens = 0;
  int64_t preemptions = 0;
  // response_format: engine-thread time spent obtaining masks (waiting on the mask workers, or
  // computing one no worker had started) -- the masks' share of the critical path -- and the
  // masks' cache.
  double grammar_mask_seconds = 0.0;
  int64_t grammar_masks = 0;
  int64_t grammar_cache_bytes = 0;
  std::map<std::string, int64_t> finished;  // by finish reason: stop, length, abort, error
  Histogram ttft{{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}};
  Histogram itl{{0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0}};
  Histogram e2e{{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0}};
  Histogram queue{{0.001, 0.005, 0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0}};
};

}  // namespace sunbae::engine
