// Masks computed by workers during the forward give exactly the tokens of masks computed on the
// engine thread at sampling time: batch-64 constrained runs of the random-weight llama fixture at
// temperature 1.0 agree token for token across worker counts, a cache too small to keep a mask, and
// a KV cache small enough to force preemption. And cancelling constrained requests at random
// moments while their mask jobs are in flight leaves the engine idle with every block free.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "grammar/json_schema.h"
#include "model/model.h"
#include "unit/byte_tokenizer.h"

namespace sunbae::engine {
namespace {

using json = nlohmann::json;

const char* kSchema = R"({"type":"object","properties":{
    "name":{"type":"string","maxLength":12},
    "score":{"type":"integer","minimum":1,"maximum":5},
    "tags":{"type":"array","items":{"enum":["x","yz","한"]},"maxItems":3},
    "ok":{"type":"boolean"}},
    "required":["name","score"],"additionalProperties":false})";

struct Choice {
  std::vector<int32_t> ids;
  FinishReason finish = FinishReason::None;
  std::string error;
};

std::vector<Choice> run(Engine& e, std::shared_ptr<const grammar::Grammar> g, uint64_t seed, int64_t n) {
  Request r;
  r.prompt = {97, 98, 99};
  r.params.sampling.temperature = 1.0;
  r.params.sampling.seed = seed;
  r.params.max_tokens = 100;
  r.params.n = n;
  r.params.grammar = std::move(g);
  auto stream = e.submit(std::move(r));
  std::vector<Choice> out(static_cast<size_t>(n));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  while (!stream->done() && std::chrono::steady_clock::now() < deadline) {
    std::vector<Event> evs;
    stream->next(evs, std::chrono::milliseconds(50));
    for (auto& ev : evs) {
      auto& o = out[size_t(ev.index)];
      o.ids.insert(o.ids.end(), ev.token_ids.begin(), ev.token_ids.end());
      if (ev.finish != FinishReason::None) o.finish = ev.finish, o.error = ev.error;
    }
  }
  return out;
}

std::unique_ptr<Engine> make_engine(int workers, size_t cache_bytes, int64_t kv_blocks) {
  EngineOptions o;
  o.grammar_workers = workers;
  o.grammar_cache_bytes = cache_bytes;
  auto model = model::Model::load(std::string(SUNBAE_FIXTURES_DIR) + "/llama");
  return std::make_unique<Engine>(std::make_unique<CpuModelRunner>(std::move(model), kv_blocks),
                                  test::byte_tokenizer(), o);
}

void wait_idle(Engine& e) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!e.idle() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(e.idle());
}

TEST(ConstrainedOverlap, Batch64WithMaskWorkersEqualsSerialTokenForToken) {
  auto g = grammar::compile_schema(json::parse(kSchema));
  struct Config { int workers; size_t cache; int64_t blocks; };
  // Each KV size has its serial reference first (preemption changes the batches, and so the
  // logits' rounding). 40 blocks hold 640 tokens, far below 64 choices of up to 103.
  const Config configs[] = {{0, size_t(64) << 20, 512}, {3, size_t(64) << 20, 512}, {1, 0, 512},
                            {0, size_t(64) << 20, 40}, {2, size_t(64) << 20, 40}};
  std::vector<std::vector<Choice>> ref;
  for (const Config& c : configs) {
    auto e = make_engine(c.workers, c.cache, c.blocks);
    std::vector<std::vector<Choice>> got;
    for (uint64_t seed : {11u, 12u}) got.push_back(run(*e, g, seed, 64));
    wait_idle(*e);
    const EngineStats st = e->stats();
    if (c.blocks < 100) {
      EXPECT_GT(st.preemptions, 0) << "the small cache must preempt";
    }
    // Every sampled token of the 128 choices took a mask; the cache kept to its bound.
    EXPECT_GE(st.grammar_masks, st.generation_tokens);
    EXPECT_LE(st.grammar_cache_bytes, int64_t(c.cache));
    if (c.workers == 0) {
      ref = got;
      int stopped = 0;
      for (const auto& r : ref)
        for (const Choice& ch : r) {
          ASSERT_EQ(ch.error, "");
          stopped += ch.finish == FinishReason::Stop;
        }
      EXPECT_GT(stopped, 64) << "most documents close before max_tokens";
      continue;
    }
    for (size_t r = 0; r < ref.size(); ++r)
      for (size_t i = 0; i < ref[r].size(); ++i) {
        ASSERT_EQ(got[r][i].ids, ref[r][i].ids) << "workers " << c.workers << " cache " << c.cache << " blocks "
                                                << c.blocks << " run " << r << " choice " << i;
        ASSERT_EQ(got[r][i].finish, ref[r][i].finish);
      }
  }
}

TEST(ConstrainedOverlap, CancellingWhileMaskJobsAreInFlightLeavesNothingBehind) {
  auto g = grammar::compile_schema(json::parse(kSchema));
  auto e = make_engine(3, size_t(1) << 20, 512);  // a small cache: workers keep computing
  std::mt19937_64 rng(5);
  for (int round = 0; round < 4; ++round) {
    std::vector<std::shared_ptr<RequestStream>> streams;
    for (int i = 0; i < 16; ++i) {
      Request r;
      r.prompt = {97, int32_t(98 + i % 5)};
      r.params.sampling.temperature = 1.0;
      r.params.sampling.seed = rng();
      r.params.max_tokens = 100;
      r.params.n = 4;
      r.params.grammar = g;
      streams.push_back(e->submit(std::move(r)));
    }
    // Cancel at staggered moments: before admission, mid-prefill, mid-decode.
    for (auto& s : streams) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
      s->cancel();
    }
    for (auto& s : streams) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      std::vector<Event> evs;
      while (!s->done() && std::chrono::steady_clock::now() < deadline) s->next(evs, std::chrono::milliseconds(20));
      ASSERT_TRUE(s->done());
      for (const Event& ev : evs) ASSERT_EQ(ev.error, "");
    }
    wait_idle(*e);
    EXPECT_EQ(e->stats().kv_usage, 0.0);
  }
  // Still serves exactly after all that.
  const auto a = run(*e, g, 99, 8);
  auto serial = make_engine(0, size_t(64) << 20, 512);
  const auto b = run(*serial, g, 99, 8);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].ids, b[i].ids) << i;
}

}  // namespace
}  // namespace sunbae::engine
