// The in-process communicator: every collective's result on every rank, the rank-order sum that
// makes it deterministic, and abort waking ranks that wait for a failed peer.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/cpu_communicator.h"
#include "core/error.h"
#include "core/rank_threads.h"

namespace sunbae {
namespace {

TEST(CpuCommunicator, CollectivesOnFourRanks) {
  constexpr int N = 4;
  constexpr int64_t n = 1000;
  CpuCommGroup g(N);
  RankThreads threads(N);
  std::vector<std::vector<float>> reduced(N), gathered(N), bcast(N);
  std::vector<std::vector<uint16_t>> reduced_bf16(N);
  threads.run([&](int r) {
    Communicator& c = g.rank(r);
    ASSERT_EQ(c.rank(), r);
    ASSERT_EQ(c.world(), N);
    std::vector<float> x(n);
    for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float(r * 1000 + i) * 0.001f;
    reduced[size_t(r)] = x;
    c.all_reduce_sum(reduced[size_t(r)].data(), n, DType::F32);
    std::vector<uint16_t> xb(n);
    for (int64_t i = 0; i < n; ++i) xb[size_t(i)] = f32_to_bf16(float(r + 1) * 0.5f);
    c.all_reduce_sum(xb.data(), n, DType::BF16);
    reduced_bf16[size_t(r)] = xb;
    gathered[size_t(r)].resize(size_t(N * 3));
    const float mine[3] = {float(r), float(r) + 0.25f, float(r) + 0.5f};
    c.all_gather(mine, gathered[size_t(r)].data(), 3, DType::F32);
    bcast[size_t(r)] = {float(r), float(-r)};
    c.broadcast(bcast[size_t(r)].data(), 2, DType::F32, 2);
    c.barrier();
  });
  for (int r = 0; r < N; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      // The sum in rank order, as every rank computes it.
      float want = 0;
      for (int k = 0; k < N; ++k) want += float(k * 1000 + i) * 0.001f;
      ASSERT_EQ(reduced[size_t(r)][size_t(i)], want) << "rank " << r << " element " << i;
      ASSERT_EQ(bf16_to_f32(reduced_bf16[size_t(r)][size_t(i)]), 5.0f);  // 0.5 + 1 + 1.5 + 2
    }
    for (int k = 0; k < N; ++k) {
      EXPECT_EQ(gathered[size_t(r)][size_t(3 * k)], float(k));
      EXPECT_EQ(gathered[size_t(r)][size_t(3 * k + 2)], float(k) + 0.5f);
    }
    EXPECT_EQ(bcast[size_t(r)], (std::vector<float>{2.f, -2.f}));
  }
}

TEST(CpuCommunicator, AFailedRankReleasesItsPeers) {
  constexpr int N = 3;
  CpuCommGroup g(N);
  RankThreads threads(N);
  std::atomic<int> released{0};
  try {
    threads.run(
        [&](int r) {
          if (r == 1) throw Error("rank 1 broke");
          try {
            g.rank(r).barrier();
          } catch (const Error&) {
            ++released;
            throw;
          }
        },
        [&](int) { g.abort(); });
    FAIL() << "the failure was not rethrown";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "rank 1 broke");  // the cause, not a peer's "another rank failed"
  }
  EXPECT_EQ(released.load(), N - 1);
  EXPECT_THROW(g.rank(0).barrier(), Error);
}

}  // namespace
}  // namespace sunbae
