#include <gtest/gtest.h>

#include "server/prometheus.h"

namespace sunbae::server {
namespace {

TEST(Prometheus, HistogramsAreCumulativeWithInfSumAndCount) {
  engine::EngineStats s;
  s.ttft.observe(0.003);  // <= 0.005 and above
  s.ttft.observe(0.5);    // <= 0.5 and above
  s.ttft.observe(100.0);  // only +Inf
  s.num_running = 3;
  s.prefix_hits = 32;
  s.finished["length"] = 2;
  const std::string t = prometheus_text(s, "m\"x");
  auto has = [&](const std::string& line) { return t.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_bucket{model_name=\"m\\\"x\",le=\"0.001\"} 0"));
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_bucket{model_name=\"m\\\"x\",le=\"0.005\"} 1"));
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_bucket{model_name=\"m\\\"x\",le=\"0.5\"} 2"));
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_bucket{model_name=\"m\\\"x\",le=\"80\"} 2"));
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_bucket{model_name=\"m\\\"x\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_count{model_name=\"m\\\"x\"} 3"));
  EXPECT_TRUE(has("sunbae:time_to_first_token_seconds_sum{model_name=\"m\\\"x\"} 100.503"));
  EXPECT_TRUE(has("sunbae:num_requests_running{model_name=\"m\\\"x\"} 3"));
  EXPECT_TRUE(has("sunbae:prefix_cache_hits_total{model_name=\"m\\\"x\"} 32"));
  EXPECT_TRUE(has("sunbae:request_success_total{model_name=\"m\\\"x\",finished_reason=\"length\"} 2"));
  EXPECT_TRUE(has("sunbae:request_success_total{model_name=\"m\\\"x\",finished_reason=\"abort\"} 0"));
  EXPECT_TRUE(has("# TYPE sunbae:time_to_first_token_seconds histogram"));
  EXPECT_TRUE(has("# TYPE sunbae:prefix_cache_hits counter"));
}

}  // namespace
}  // namespace sunbae::server
