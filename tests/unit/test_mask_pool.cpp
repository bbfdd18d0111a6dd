// The mask workers: every job's mask is the masker's own for that state, whichever thread computed
// it; jobs survive their submitter dropping the masker; and cancelling, dropping or waiting on jobs
// from several threads while the pool is torn down mid-flight neither crashes nor hands out a
// wrong mask (meant to be run under TSan/ASan too).
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "grammar/json_schema.h"
#include "grammar/mask_pool.h"

namespace sunbae::grammar {
namespace {

std::shared_ptr<const TokenVocab> small_vocab() {
  std::vector<std::string> bytes;
  for (const char* s : {"{", "}", "\"", "a", "ab", "\"a", "1", "12", ",", ":", "\":", "true", "false", "null", "[",
                        "]", "\\n", "é", "b", "\"b\":", "-", "0", "x\"", "\"c\":[", "<eos>"})
    bytes.push_back(s);
  return std::make_shared<const TokenVocab>(TokenVocab::from_bytes(bytes, {int32_t(bytes.size() - 1)}));
}

std::shared_ptr<const Grammar> schema() {
  return compile_schema(nlohmann::json::parse(R"({"type":"object","properties":{
      "a":{"type":"string","maxLength":6},"b":{"type":"integer","minimum":-5,"maximum":120},
      "c":{"type":"array","items":{"type":"boolean"},"maxItems":4}},"additionalProperties":false})"));
}

// States along random constrained walks (restarting when a document closes).
std::vector<MatchState> walk_states(const GrammarMasker& gm, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<MatchState> out;
  MatchState s = gm.matcher().initial();
  while (out.size() < n) {
    out.push_back(s);
    const TokenMask m = gm.compute(s);
    std::vector<int32_t> ok;
    for (int32_t id = 0; id < gm.vocab().size; ++id)
      if (mask_has(m, id) && !gm.is_eos(id)) ok.push_back(id);
    if (ok.empty() || JsonMatcher::finished(s)) {
      s = gm.matcher().initial();
      continue;
    }
    EXPECT_TRUE(gm.advance(s, ok[rng() % ok.size()]));
  }
  return out;
}

TEST(MaskPool, EveryJobGetsTheMaskersMaskForItsState) {
  auto v = small_vocab();
  auto gm = std::make_shared<GrammarMasker>(schema(), v);
  const auto states = walk_states(*gm, 300, 1);
  for (int workers : {0, 1, 3}) {
    MaskPool pool(workers);
    EXPECT_EQ(pool.workers(), workers);
    std::vector<std::shared_ptr<MaskJob>> jobs;
    for (const auto& s : states) jobs.push_back(pool.submit(gm, s));
    for (size_t i = 0; i < states.size(); ++i) ASSERT_EQ(*pool.wait(*jobs[i]), gm->compute(states[i])) << i;
    if (workers == 0) EXPECT_EQ(pool.computed_inline(), states.size());
  }
}

TEST(MaskPool, AJobKeepsItsMaskerAliveAfterTheSubmitterDropsIt) {
  auto v = small_vocab();
  MaskPool pool(2);
  std::vector<std::shared_ptr<MaskJob>> jobs;
  std::vector<TokenMask> want;
  for (int i = 0; i < 50; ++i) {
    auto gm = std::make_shared<GrammarMasker>(schema(), v, std::make_shared<MaskCache>(0));
    const MatchState s = walk_states(*gm, size_t(1 + i % 7), uint64_t(i)).back();
    want.push_back(gm->compute(s));
    jobs.push_back(pool.submit(std::move(gm), s));
  }
  for (size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(*pool.wait(*jobs[i]), want[i]);
}

TEST(MaskPool, CancellingAndDroppingJobsMidFlightWhileThePoolStops) {
  auto v = small_vocab();
  auto gm = std::make_shared<GrammarMasker>(schema(), v, std::make_shared<MaskCache>(64 << 10));
  const auto states = walk_states(*gm, 64, 2);
  std::vector<TokenMask> want;
  for (const auto& s : states) want.push_back(gm->compute(s));
  for (int round = 0; round < 20; ++round) {
    auto pool = std::make_unique<MaskPool>(3);
    std::atomic<int> wrong{0}, waited{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&, t] {
        std::mt19937_64 rng(uint64_t(round * 10 + t));
        for (int i = 0; i < 200; ++i) {
          const size_t k = rng() % states.size();
          auto job = pool->submit(gm, states[k]);
          switch (rng() % 3) {
            case 0: MaskPool::cancel(*job); break;  // then dropped
            case 1: break;                          // dropped, maybe while a worker runs it
            default:
              if (rng() % 2) MaskPool::cancel(*job);  // a waiter still gets its mask
              if (*pool->wait(*job) != want[k]) ++wrong;
              ++waited;
          }
        }
      });
    for (auto& t : ts) t.join();
    // Jobs still queued are dropped with the pool.
    for (size_t k = 0; k < states.size(); ++k) (void)pool->submit(gm, states[k]);
    pool.reset();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_GT(waited.load(), 0);
  }
}

}  // namespace
}  // namespace sunbae::grammar
