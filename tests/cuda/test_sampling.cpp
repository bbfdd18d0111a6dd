// GPU sampling (kernels/cuda/sampling.h) against engine::Sampler, token for token: both implement
// kernels/sampling_rule.h, whose every decision is correctly rounded float or integer arithmetic,
// so the tolerance is zero — any mismatch is a bug, not rounding. Outputs are poisoned before
// each run (0xff: token -1, which a correct row never returns unless its logits hold a NaN).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "cuda/cuda_test_util.h"
#include "engine/sampler.h"
#include "kernels/cuda/sampling.h"
#include "unit/filtered_softmax.h"

namespace sunbae::cuda {
namespace {
using namespace test;
using engine::SamplingParams;
using sunbae::test::chi_square;
using sunbae::test::chi_square_limit;
using sunbae::test::filtered_softmax;

SampleRow to_row(const SamplingParams& p, uint64_t step) {
  return {float(p.temperature), int32_t(p.top_k), float(p.top_p), float(p.min_p), *p.seed, step};
}

// What engine::Sampler returns for (logits, params, seed) at `step`.
int32_t cpu_token(const float* logits, int64_t vocab, const SamplingParams& p, uint64_t step) {
  engine::Sampler s(p);
  s.set_step(step);
  return s.sample(logits, vocab);
}

std::vector<int32_t> gpu_tokens(const std::vector<float>& logits, int64_t vocab, const std::vector<SampleRow>& rows) {
  const int64_t M = int64_t(rows.size());
  DeviceBuffer dl = up(logits), dp = up(rows), out = poisoned(size_t(M) * 4);
  DeviceBuffer ws = poisoned(sample_workspace_bytes(M, vocab));
  sample_rows(dl.get<float>(), M, vocab, dp.get<SampleRow>(), out.get<int32_t>(), ws.get(), nullptr);
  return down<int32_t>(out, size_t(M));
}

// Each kind is one row of a batch, cycled: greedy, temperature alone, each filter alone, all of
// them, the degenerate top_k = 1 and tiny top_p, and wide settings that keep thousands of tokens.
const std::vector<SamplingParams> kKinds = {
    {0.0, 0, 1.0, 0.0, 0},     {0.7, 0, 1.0, 0.0, 0},    {1.0, 50, 1.0, 0.0, 0},   {1.0, 0, 0.9, 0.0, 0},
    {1.0, 0, 1.0, 0.05, 0},    {0.8, 100, 0.95, 0.02, 0}, {1.2, 1, 1.0, 0.0, 0},   {1.0, 0, 1e-6, 0.0, 0},
    {2.5, 0, 0.8, 0.0, 0},     {1.0, 5000, 0.99, 0.0, 0}, {1.5, 0, 0.97, 0.001, 0}, {0.3, 20000, 1.0, 0.0, 0},
};

struct Case {
  int64_t vocab;
  int rows, rounds;
  bool ties;  // logits on a grid of 0.5 with masked (-inf) tokens: ties at every threshold
};

TEST(CudaSampling, MatchesTheCpuSamplerTokenForToken) {
  std::mt19937_64 seeds(77);
  int draws = 0, sampled = 0, not_argmax = 0;
  for (const Case c : {Case{320, 256, 4, false}, Case{32768, 64, 2, false}, Case{128256, 64, 2, false},
                       Case{152064, 64, 2, false}, Case{32003, 64, 2, true}}) {
    for (int round = 0; round < c.rounds; ++round) {
      std::vector<float> logits = randn(size_t(c.rows * c.vocab), 3.f);
      if (c.ties)
        for (size_t i = 0; i < logits.size(); ++i) logits[i] = i % 97 == 5 ? -INFINITY : std::round(logits[i] * 2) / 2;
      std::vector<SamplingParams> params;
      std::vector<SampleRow> rows;
      for (int r = 0; r < c.rows; ++r) {
        SamplingParams p = kKinds[size_t(r + round) % kKinds.size()];
        p.seed = seeds();
        params.push_back(p);
        rows.push_back(to_row(p, seeds() >> 40));
      }
      const auto got = gpu_tokens(logits, c.vocab, rows);
      int bad = 0;
      for (int r = 0; r < c.rows; ++r) {
        const float* l = logits.data() + int64_t(r) * c.vocab;
        const int32_t want = cpu_token(l, c.vocab, params[size_t(r)], rows[size_t(r)].step);
        ++draws;
        if (params[size_t(r)].temperature > 0 && params[size_t(r)].top_k != 1 && params[size_t(r)].top_p > 1e-3)
          ++sampled, not_argmax += want != engine::argmax(l, c.vocab);
        if (got[size_t(r)] != want && bad++ < 5)
          ADD_FAILURE() << "vocab " << c.vocab << " round " << round << " row " << r << " (T "
                        << rows[size_t(r)].temperature << " k " << rows[size_t(r)].top_k << " p " << rows[size_t(r)].top_p
                        << " min_p " << rows[size_t(r)].min_p << "): GPU " << got[size_t(r)] << ", CPU " << want;
      }
      EXPECT_EQ(bad, 0) << "vocab " << c.vocab << " round " << round << (c.ties ? " (ties)" : "");
    }
  }
  EXPECT_GE(draws, 1000);
  // A quarter of the sampled rows leave the argmax: the comparison covers real draws, not the mode.
  EXPECT_GT(not_argmax, sampled / 4) << not_argmax << " of " << sampled;
  RecordProperty("draws", draws);
}

// A row holding a NaN yields token -1 on the GPU (greedy or not) and leaves the other rows alone;
// the CPU sampler throws for the same row. Poisoned with 0x7f bytes here so -1 is the kernel's.
TEST(CudaSampling, NaNRowYieldsMinusOne) {
  const int64_t V = 1000;
  std::vector<float> logits = randn(size_t(4 * V), 3.f);
  logits[size_t(0 * V + 17)] = NAN;
  logits[size_t(1 * V + 999)] = NAN;
  const SamplingParams greedy{0.0, 0, 1.0, 0.0, 1}, hot{1.0, 40, 0.9, 0.01, 1};
  const std::vector<SampleRow> rows = {to_row(greedy, 0), to_row(hot, 0), to_row(greedy, 0), to_row(hot, 0)};
  DeviceBuffer dl = up(logits), dp = up(rows), out(16, "tokens"), ws = poisoned(sample_workspace_bytes(4, V));
  SUNBAE_CUDA_CHECK(cudaMemset(out.get(), 0x7f, 16));
  sample_rows(dl.get<float>(), 4, V, dp.get<SampleRow>(), out.get<int32_t>(), ws.get(), nullptr);
  const auto got = down<int32_t>(out, 4);
  EXPECT_EQ(got[0], -1);
  EXPECT_EQ(got[1], -1);
  EXPECT_EQ(got[2], cpu_token(logits.data() + 2 * V, V, greedy, 0));
  EXPECT_EQ(got[3], cpu_token(logits.data() + 3 * V, V, hot, 0));
  EXPECT_THROW(cpu_token(logits.data(), V, greedy, 0), Error);
  EXPECT_THROW(cpu_token(logits.data() + V, V, hot, 0), Error);
}

// 20k rows, steps 0..19999, drawn from the same 10 logits: frequencies against the filtered
// softmax computed independently in double (chi-square at p = 1e-4), and every token equal to the
// CPU's. Vocab 10 also takes the kernel's scalar (not 16-byte) load path.
TEST(CudaSampling, DrawsMatchTheFilteredSoftmax) {
  const std::vector<float> one = {2.0f, 1.6f, 1.1f, 0.9f, 0.3f, 0.0f, -0.4f, -1.0f, -1.5f, -3.0f};
  const int64_t V = 10, n = 20000;
  std::vector<float> logits;
  for (int64_t i = 0; i < n; ++i) logits.insert(logits.end(), one.begin(), one.end());
  for (const SamplingParams& p : {SamplingParams{1.3, 0, 1.0, 0.0, 3}, SamplingParams{0.8, 7, 0.9, 0.15, 3}}) {
    std::vector<SampleRow> rows;
    for (int64_t s = 0; s < n; ++s) rows.push_back(to_row(p, uint64_t(s)));
    const auto got = gpu_tokens(logits, V, rows);
    std::vector<int64_t> count(static_cast<size_t>(V));
    int mismatches = 0;
    for (int64_t s = 0; s < n; ++s) {
      ASSERT_TRUE(got[size_t(s)] >= 0 && got[size_t(s)] < V) << "row " << s << ": " << got[size_t(s)];
      ++count[size_t(got[size_t(s)])];
      mismatches += got[size_t(s)] != engine::select_token(one.data(), V, p, 3, uint64_t(s));
    }
    EXPECT_EQ(mismatches, 0);
    const auto chi = chi_square(count, filtered_softmax(one, p.temperature, p.top_k, p.top_p, p.min_p));
    EXPECT_LT(chi.stat, chi_square_limit(chi.df)) << "T " << p.temperature << " df " << chi.df;
    EXPECT_EQ(chi.df, p.top_k ? 3 : 9);
  }
}

// Not a timed test: microseconds per call in the log, for vocab 128256 at 1 and 64 rows.
TEST(CudaSampling, TimingLog) {
  const int64_t V = 128256;
  for (int64_t M : {1, 64}) {
    const std::vector<float> logits = randn(size_t(M * V), 3.f);
    DeviceBuffer dl = up(logits), out = poisoned(size_t(M) * 4), ws(sample_workspace_bytes(M, V), "workspace");
    for (const auto& [name, p] : {std::pair<const char*, SamplingParams>{"greedy", {0.0, 0, 1.0, 0.0, 5}},
                                  {"top-p 0.9", {1.0, 0, 0.9, 0.0, 5}},
                                  {"top-k 50 + top-p 0.9 + min-p 0.05", {0.8, 50, 0.9, 0.05, 5}}}) {
      std::vector<SampleRow> rows;
      for (int64_t r = 0; r < M; ++r) rows.push_back(to_row(p, uint64_t(r)));
      DeviceBuffer dp = up(rows);
      cudaEvent_t a, b;
      SUNBAE_CUDA_CHECK(cudaEventCreate(&a));
      SUNBAE_CUDA_CHECK(cudaEventCreate(&b));
      const int iters = 200;
      for (int i = 0; i < 10; ++i) sample_rows(dl.get<float>(), M, V, dp.get<SampleRow>(), out.get<int32_t>(), ws.get(), nullptr);
      SUNBAE_CUDA_CHECK(cudaEventRecord(a));
      for (int i = 0; i < iters; ++i) sample_rows(dl.get<float>(), M, V, dp.get<SampleRow>(), out.get<int32_t>(), ws.get(), nullptr);
      SUNBAE_CUDA_CHECK(cudaEventRecord(b));
      SUNBAE_CUDA_CHECK(cudaEventSynchronize(b));
      float ms = 0;
      SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
      SUNBAE_CUDA_CHECK(cudaEventDestroy(a));
      SUNBAE_CUDA_CHECK(cudaEventDestroy(b));
      std::printf("[ timing ] sample_rows vocab %lld M %lld %s: %.1f us per call\n", (long long)V, (long long)M, name,
                  1000.0 * ms / iters);
      const auto got = down<int32_t>(out, size_t(M));
      for (int64_t r = 0; r < M; ++r)
        EXPECT_EQ(got[size_t(r)], cpu_token(logits.data() + r * V, V, p, uint64_t(r))) << name << " row " << r;
    }
  }
}

}  // namespace
}  // namespace sunbae::cuda
