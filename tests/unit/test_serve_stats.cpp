#include <gtest/gtest.h>

#include "bench/serve_stats.h"

namespace sunbae::bench {
namespace {

TEST(ServeStats, QuantilesInterpolateLikeNumpy) {
  // numpy.percentile([1..10], [50, 95, 99]) = 5.5, 9.55, 9.91
  const Summary s = summarize({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_NEAR(s.p95, 9.55, 1e-12);
  EXPECT_NEAR(s.p99, 9.91, 1e-12);
  EXPECT_DOUBLE_EQ(summarize({}).p99, 0.0);
  EXPECT_DOUBLE_EQ(summarize({4}).p95, 4.0);
}

TEST(ServeStats, ReportFollowsVllmDefinitions) {
  RequestRecord a;
  a.ok = true;
  a.prompt_tokens = 10;
  a.output_tokens = 5;
  a.ttft = 0.1;
  a.e2e = 0.5;  // TPOT = (0.5 - 0.1) / 4 = 0.1 s
  a.itl = {0.1, 0.1, 0.1, 0.1};
  RequestRecord b = a;
  b.output_tokens = 1;  // no TPOT for a single token
  b.itl.clear();
  RequestRecord c;
  c.error = "HTTP 429";
  const ServeReport r = make_report({a, b, c}, 2.0);
  EXPECT_EQ(r.completed, 2);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.first_error, "HTTP 429");
  EXPECT_DOUBLE_EQ(r.request_throughput, 1.0);
  EXPECT_DOUBLE_EQ(r.output_throughput, 3.0);
  EXPECT_DOUBLE_EQ(r.total_token_throughput, 13.0);
  EXPECT_NEAR(r.tpot_ms.mean, 100.0, 1e-9);
  EXPECT_NEAR(r.ttft_ms.median, 100.0, 1e-9);
  EXPECT_NEAR(r.itl_ms.p99, 100.0, 1e-9);
  const auto j = report_json(r);
  EXPECT_EQ(j["completed"], 2);
  EXPECT_TRUE(j.contains("p99_e2el_ms"));
  EXPECT_NE(report_table(r).find("| TPOT"), std::string::npos);
}

}  // namespace
}  // namespace sunbae::bench
