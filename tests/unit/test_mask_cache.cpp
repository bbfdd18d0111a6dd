// The shared mask cache: never holds more bytes than its bound (checked after every insert, from
// many threads at once), evicts the least recently used first, and a mask handed out survives its
// eviction. Then the masker over it: the same masks with a cache far too small to keep anything.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "grammar/json_schema.h"
#include "grammar/mask_cache.h"
#include "grammar/token_mask.h"

namespace sunbae::grammar {
namespace {

std::string state_key(uint64_t i) { return std::string(reinterpret_cast<const char*>(&i), sizeof(i)) + "frame"; }

std::shared_ptr<const TokenMask> mask_of(size_t words, uint64_t fill) {
  return std::make_shared<const TokenMask>(words, fill);
}

TEST(MaskCache, NeverExceedsItsByteBoundUnderConcurrentInserts) {
  const size_t words = 2000;  // a 128k vocabulary's mask
  const size_t bound = 40 * MaskCache::entry_bytes(words, 8 + 13);
  MaskCache c(bound);
  std::atomic<bool> over{false};
  std::atomic<size_t> found{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      std::mt19937_64 rng{uint64_t(t)};
      for (int i = 0; i < 3000; ++i) {
        const uint64_t k = rng() % 500;
        if (auto m = c.find(uint64_t(t % 2), state_key(k))) {
          // A hit is the mask stored under that key, whichever thread stored it.
          if ((*m)[0] != k) over = true;
          ++found;
        } else {
          c.insert(uint64_t(t % 2), state_key(k), mask_of(words, k));
        }
        if (c.bytes() > bound) over = true;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_FALSE(over.load());
  EXPECT_LE(c.bytes(), bound);
  EXPECT_GT(c.entries(), 0u);
  EXPECT_GT(c.evictions(), 0u);
  EXPECT_GT(found.load(), 0u);
}

TEST(MaskCache, EvictsTheLeastRecentlyUsedAndHandedOutMasksOutliveEviction) {
  const size_t words = 100;
  const size_t one = MaskCache::entry_bytes(words, 8 + 13);
  // Room for 3 entries in every shard, so the keys below (in whichever shard) see LRU order.
  MaskCache c(3 * one * MaskCache::kShards);
  c.insert(7, state_key(0), mask_of(words, 0));
  c.insert(7, state_key(1), mask_of(words, 1));
  const std::shared_ptr<const TokenMask> held = c.find(7, state_key(0));
  for (uint64_t k = 2; k < 2000; ++k) {
    c.insert(7, state_key(k), mask_of(words, k));
    ASSERT_NE(c.find(7, state_key(1)), nullptr) << "a key looked up every round is never the oldest, at " << k;
  }
  EXPECT_EQ(c.find(7, state_key(0)), nullptr);  // evicted long ago...
  ASSERT_NE(held, nullptr);
  EXPECT_EQ((*held)[0], 0u);  // ...while its holder still reads it
  EXPECT_EQ(c.find(8, state_key(1)), nullptr);  // another masker's key space
  EXPECT_LE(c.entries(), 3 * MaskCache::kShards);
}

TEST(MaskCache, AMaskLargerThanAShardsShareIsNotKept) {
  MaskCache c(MaskCache::kShards * 1000);
  c.insert(1, state_key(1), mask_of(1000, 1));
  EXPECT_EQ(c.find(1, state_key(1)), nullptr);
  EXPECT_EQ(c.bytes(), 0u);
}

TEST(MaskCache, AMaskerOverATinyCacheGivesTheSameMasks) {
  std::vector<std::string> bytes;
  for (const char* s : {"{", "}", "\"", "a", "ab", "\"a", "1", "12", ",", ":", "\":", "true", "[", "]", "\\n", "é"})
    bytes.push_back(s);
  auto v = std::make_shared<const TokenVocab>(TokenVocab::from_bytes(bytes, {}));
  auto g = compile_schema(nlohmann::json::parse(
      R"({"type":"object","properties":{"a":{"type":"string","maxLength":3},"b":{"type":"integer"}}})"));
  GrammarMasker cached(g, v);
  GrammarMasker starved(g, v, std::make_shared<MaskCache>(0));
  MatchState s = cached.matcher().initial();
  for (const char* piece : {"{", "\"a", "\":", "\"", "ab", "é", "\"", ",", "\"b\":", "12"}) {
    EXPECT_EQ(*cached.get(s), cached.compute(s)) << piece;
    EXPECT_EQ(*starved.get(s), cached.compute(s)) << piece;
    ASSERT_TRUE(cached.matcher().step(s, std::string_view(piece))) << piece;
  }
  EXPECT_EQ(starved.cache().bytes(), 0u);
  EXPECT_EQ(starved.cache_hits(), 0u);
}

}  // namespace
}  // namespace sunbae::grammar
