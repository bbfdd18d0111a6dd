#include "grammar_step_sim.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include <time.h>

#include "core/error.h"
#include "grammar/mask_pool.h"

namespace sunbae::app {

namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) * 1e-3;
}

// Draws from softmax(row) in O(log V), so the simulated steps cost the engine thread what the
// mask costs, not what a host sampler over the whole row would.
class RowDraw {
 public:
  explicit RowDraw(const std::vector<float>& row) : cdf_(row.size()) {
    const float m = *std::max_element(row.begin(), row.end());
    double sum = 0;
    for (size_t i = 0; i < row.size(); ++i) cdf_[i] = sum += std::exp(double(row[i] - m));
  }
  int32_t draw(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, cdf_.back())(rng);
    return int32_t(std::min(cdf_.size() - 1, size_t(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin())));
  }

 private:
  std::vector<double> cdf_;
};

// The row's distribution restricted to the mask: rejection sampling is exact; when the mask keeps
// almost none of the row's mass, a uniform pick among the allowed tokens stands in.
int32_t pick(const grammar::TokenMask& m, const RowDraw& row, std::mt19937_64& rng) {
  for (int tries = 0; tries < 256; ++tries) {
    const int32_t id = row.draw(rng);
    if (grammar::mask_has(m, id)) return id;
  }
  int64_t n = 0;
  for (uint64_t w : m) n += std::popcount(w);
  SUNBAE_CHECK(n > 0, "bench: the grammar allows no token");
  int64_t k = int64_t(rng() % uint64_t(n));
  for (size_t w = 0; w < m.size(); ++w)
    for (uint64_t bits = m[w]; bits; bits &= bits - 1)
      if (k-- == 0) return int32_t(w * 64 + size_t(std::countr_zero(bits)));
  fail("bench: unreachable");
}

}  // namespace

StepSimResult simulate_steps(std::shared_ptr<const grammar::Grammar> g, std::shared_ptr<const grammar::TokenVocab> v,
                             const std::vector<std::vector<float>>& logits, const StepSimOptions& o) {
  std::vector<RowDraw> rows;
  for (const auto& r : logits) rows.emplace_back(r);
  auto cache = std::make_shared<grammar::MaskCache>(o.cache_bytes);
  auto gm = std::make_shared<grammar::GrammarMasker>(std::move(g), std::move(v), cache);
  grammar::MaskPool pool(o.workers);
  const size_t batch = size_t(o.batch);
  std::vector<grammar::MatchState> st(batch, gm->matcher().initial());
  std::vector<std::shared_ptr<grammar::MaskJob>> jobs(batch);
  std::vector<int64_t> len(batch, 0);
  for (size_t b = 0; b < batch; ++b) jobs[b] = grammar::MaskPool::job(gm, st[b]);
  pool.start(jobs);
  std::mt19937_64 rng(o.seed);
  StepSimResult r;
  std::vector<double> step_us;
  double mask_us = 0, adv_us = 0, cpu_us = 0;
  const auto forward = std::chrono::duration<double, std::milli>(o.forward_ms);
  for (int64_t step = 0; step < o.steps; ++step) {
    // The forward: the engine thread blocks while the workers run.
    std::this_thread::sleep_for(forward);
    double sm = 0, sa = 0, untimed_cpu = 0;
    const double cpu0 = thread_cpu_us();
    for (size_t b = 0; b < batch; ++b) {
      auto t0 = Clock::now();
      // workers == 0: the pool computes each job here, as the engine did before the workers.
      const std::shared_ptr<const grammar::TokenMask> m = pool.wait(*jobs[b]);
      sm += us_since(t0);
      const double pick0 = thread_cpu_us();
      const int32_t tok = pick(*m, rows[size_t(step * 7 + int64_t(b)) % rows.size()], rng);
      untimed_cpu += thread_cpu_us() - pick0;
      t0 = Clock::now();
      SUNBAE_CHECK(gm->advance(st[b], tok), "bench: the mask allowed token ", tok, " that the automaton refuses");
      ++r.tokens;
      if (grammar::JsonMatcher::finished(st[b]) || ++len[b] >= 512) {
        r.docs += grammar::JsonMatcher::finished(st[b]);
        st[b] = gm->matcher().initial();
        len[b] = 0;
      }
      jobs[b] = grammar::MaskPool::job(gm, st[b]);
      sa += us_since(t0);
    }
    const auto t0 = Clock::now();
    pool.start(jobs);
    sa += us_since(t0);
    cpu_us += thread_cpu_us() - cpu0 - untimed_cpu;
    mask_us += sm;
    adv_us += sa;
    step_us.push_back(sm + sa);
    r.cache_bytes_peak = std::max(r.cache_bytes_peak, cache->bytes());
  }
  const double n = double(o.steps);
  r.mask_us_per_step = mask_us / n;
  r.advance_us_per_step = adv_us / n;
  r.critical_us_per_step = (mask_us + adv_us) / n;
  r.cpu_us_per_step = cpu_us / n;
  std::sort(step_us.begin(), step_us.end());
  r.p99_step_us = step_us[std::min(step_us.size() - 1, size_t(0.99 * double(step_us.size())))];
  const double lookups = double(gm->cache_hits() + gm->cache_misses());
  r.cache_hit_rate = lookups > 0 ? double(gm->cache_hits()) / lookups : 0;
  r.cache_bytes_end = cache->bytes();
  r.evictions = cache->evictions();
  r.computed_inline = pool.computed_inline();
  return r;
}

}  // namespace sunbae::app
