#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "core/error.h"
#include "kv/block_manager.h"

namespace sunbae::kv {
namespace {

std::vector<int32_t> tokens(int64_t n, int32_t base) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[size_t(i)] = base + int32_t(i);
  return t;
}

TEST(BlockManager, ReserveIsAllOrNothing) {
  BlockManager m(4, true);
  SeqBlocks a, b;
  EXPECT_TRUE(m.reserve(a, 40));  // 3 blocks
  EXPECT_EQ(a.blocks.size(), 3u);
  EXPECT_FALSE(m.reserve(b, 17));  // needs 2, 1 left
  EXPECT_TRUE(b.blocks.empty());
  EXPECT_EQ(m.num_free(), 1);
  m.check_invariants({&a, &b});
  m.release(a);
  EXPECT_EQ(m.num_free(), 4);
  m.check_invariants({&a, &b});
}

TEST(BlockManager, FullBlocksOfAPromptAreReusedAndCounted) {
  BlockManager m(16, true);
  const auto prompt = tokens(40, 7);  // 2 full blocks + 8
  SeqBlocks a;
  EXPECT_EQ(m.acquire_prefix(a, prompt), 0);
  ASSERT_TRUE(m.reserve(a, 40));
  m.commit(a, prompt, 40);
  EXPECT_EQ(m.num_cached(), 2);
  SeqBlocks b;
  EXPECT_EQ(m.acquire_prefix(b, prompt), 32);
  EXPECT_EQ(b.blocks[0], a.blocks[0]);
  EXPECT_EQ(b.blocks[1], a.blocks[1]);
  EXPECT_EQ(m.ref_count(a.blocks[0]), 2);
  m.check_invariants({&a, &b});
  // A different second block: only the first matches, since the hash chains over all before it.
  auto other = prompt;
  other[20] = 999;
  SeqBlocks c;
  EXPECT_EQ(m.acquire_prefix(c, other), 16);
  // A different first block breaks the chain even where the second block's tokens agree.
  auto other2 = prompt;
  other2[0] = 999;
  EXPECT_EQ(m.peek_prefix(other2), 0);
  m.check_invariants({&a, &b, &c});
}

TEST(BlockManager, AtLeastOneTokenIsLeftToCompute) {
  BlockManager m(8, true);
  const auto prompt = tokens(32, 1);  // exactly 2 blocks
  SeqBlocks a;
  ASSERT_TRUE(m.reserve(a, 32));
  m.commit(a, prompt, 32);
  m.release(a);
  SeqBlocks b;
  EXPECT_EQ(m.acquire_prefix(b, prompt), 16);  // the last block is recomputed for its logits
  m.check_invariants({&b});
}

TEST(BlockManager, UnreferencedCachedBlocksAreEvictedLeastRecentlyUsedFirst) {
  BlockManager m(4, true);
  const auto p1 = tokens(17, 100), p2 = tokens(17, 200);
  SeqBlocks a, b;
  ASSERT_TRUE(m.reserve(a, 17));
  m.commit(a, p1, 17);
  ASSERT_TRUE(m.reserve(b, 17));
  m.commit(b, p2, 17);
  m.release(a);  // p1's block cached first: older
  m.release(b);
  EXPECT_EQ(m.num_cached(), 2);
  EXPECT_EQ(m.num_free(), 4);  // cached blocks count as free: they can be evicted
  SeqBlocks c;
  ASSERT_TRUE(m.reserve(c, 48));  // 2 plain free blocks + 1 eviction
  EXPECT_EQ(m.num_cached(), 1);
  EXPECT_EQ(m.peek_prefix(p1), 0) << "the older block should have gone first";
  EXPECT_EQ(m.peek_prefix(p2), 16);
  m.check_invariants({&c});
  SeqBlocks d;
  EXPECT_EQ(m.acquire_prefix(d, p2), 16);  // a hit takes the block out of the LRU list
  EXPECT_EQ(m.num_free(), 0);
  SeqBlocks e;
  EXPECT_FALSE(m.reserve(e, 1));
  m.check_invariants({&c, &d, &e});
}

TEST(BlockManager, DisabledCacheNeverHits) {
  BlockManager m(8, false);
  const auto prompt = tokens(40, 3);
  SeqBlocks a;
  ASSERT_TRUE(m.reserve(a, 40));
  m.commit(a, prompt, 40);
  m.release(a);
  SeqBlocks b;
  EXPECT_EQ(m.acquire_prefix(b, prompt), 0);
  EXPECT_EQ(m.num_cached(), 0);
  m.check_invariants({&b});
}

TEST(BlockManager, DuplicateComputationKeepsOneCachedCopy) {
  BlockManager m(8, true);
  const auto prompt = tokens(20, 5);
  SeqBlocks a, b;
  ASSERT_TRUE(m.reserve(a, 20));
  ASSERT_TRUE(m.reserve(b, 20));
  m.commit(a, prompt, 20);
  m.commit(b, prompt, 20);
  EXPECT_EQ(m.num_cached(), 1);
  m.release(a);
  m.release(b);
  EXPECT_EQ(m.num_cached(), 1);
  m.check_invariants({});
}

TEST(BlockManager, DoubleReleaseIsAnError) {
  BlockManager m(2, true);
  SeqBlocks a;
  ASSERT_TRUE(m.reserve(a, 5));
  SeqBlocks copy = a;
  m.release(a);
  EXPECT_THROW(m.release(copy), Error);
  EXPECT_THROW(BlockManager(0, true), Error);
}

// Random lifecycles over a small pool: sequences with shared prompt prefixes are admitted,
// computed in chunks, preempted (released for recompute), cancelled or finished, in any order.
// After every operation the written invariants hold; at the end every block is free or cached.
TEST(BlockManager, RandomLifecyclesLeakNothing) {
  for (bool cache : {true, false}) {
    std::mt19937 rng(cache ? 1234 : 99);
    BlockManager m(24, cache);
    struct Seq {
      std::vector<int32_t> toks;
      int64_t computed = 0;
      SeqBlocks kv;
      bool admitted = false;
    };
    std::map<int, Seq> live;
    int next = 0;
    const std::vector<std::vector<int32_t>> prefixes = {tokens(32, 0), tokens(48, 1000), tokens(16, 2000)};
    auto all = [&] {
      std::vector<const SeqBlocks*> t;
      for (auto& [id, s] : live) t.push_back(&s.kv);
      return t;
    };
    for (int op = 0; op < 4000; ++op) {
      const int kind = int(rng() % 6);
      if (kind == 0 || live.empty()) {  // a new sequence
        Seq s;
        s.toks = prefixes[rng() % prefixes.size()];
        const int extra = int(rng() % 40);
        for (int i = 0; i < extra; ++i) s.toks.push_back(int32_t(rng() % 50));
        live.emplace(next++, std::move(s));
      } else {
        auto it = live.begin();
        std::advance(it, long(rng() % live.size()));
        Seq& s = it->second;
        if (kind <= 2) {  // a step: admit if needed, compute a chunk, maybe append a sampled token
          if (!s.admitted) {
            s.computed = m.acquire_prefix(s.kv, s.toks);
            m.note_lookup(int64_t(s.toks.size()), s.computed);
            s.admitted = true;
            EXPECT_EQ(s.computed % kBlockSize, 0);
            EXPECT_LT(s.computed, int64_t(s.toks.size()));
          }
          const int64_t chunk = 1 + int64_t(rng() % 24);
          const int64_t upto = std::min<int64_t>(int64_t(s.toks.size()), s.computed + chunk);
          if (m.reserve(s.kv, upto)) {
            s.computed = upto;
            m.commit(s.kv, s.toks, s.computed);
            if (s.computed == int64_t(s.toks.size())) s.toks.push_back(int32_t(rng() % 50));
          }
        } else if (kind == 3) {  // preempt: recompute later from scratch
          m.release(s.kv);
          s.computed = 0;
          s.admitted = false;
        } else {  // finish or cancel
          m.release(s.kv);
          live.erase(it);
        }
      }
      ASSERT_NO_THROW(m.check_invariants(all())) << "after op " << op;
    }
    for (auto& [id, s] : live) m.release(s.kv);
    live.clear();
    m.check_invariants({});
    EXPECT_EQ(m.num_free(), m.num_blocks());
    if (cache) {
      EXPECT_GT(m.stats().hits, 0);
    }
  }
}

}  // namespace
}  // namespace sunbae::kv
