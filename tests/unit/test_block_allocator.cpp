#include <gtest/gtest.h>

#include <random>
#include <set>

#include "core/error.h"
#include "kv/block_allocator.h"

namespace sunbae::kv {
namespace {

// The allocator's written invariants, checked from outside.
void expect_invariants(const BlockAllocator& a) {
  int64_t used = 0;
  for (BlockId id = 0; id < a.num_blocks(); ++id) {
    EXPECT_GE(a.ref_count(id), 0);
    used += a.ref_count(id) > 0;
  }
  EXPECT_EQ(used + a.num_free(), a.num_blocks());
}

TEST(BlockAllocator, AllocatesEveryBlockOnceThenRunsOut) {
  BlockAllocator a(8);
  std::set<BlockId> seen;
  for (int i = 0; i < 8; ++i) {
    auto id = a.allocate();
    ASSERT_TRUE(id.has_value());
    EXPECT_TRUE(seen.insert(*id).second) << "block handed out twice";
    EXPECT_EQ(a.ref_count(*id), 1);
  }
  EXPECT_FALSE(a.allocate().has_value());
  EXPECT_EQ(a.num_free(), 0);
  expect_invariants(a);
}

TEST(BlockAllocator, RefCountsKeepSharedBlocksAlive) {
  BlockAllocator a(2);
  BlockId id = *a.allocate();
  a.ref(id);
  EXPECT_EQ(a.ref_count(id), 2);
  a.release(id);
  EXPECT_EQ(a.ref_count(id), 1);
  EXPECT_EQ(a.num_free(), 1);
  a.release(id);
  EXPECT_EQ(a.num_free(), 2);
  expect_invariants(a);
}

TEST(BlockAllocator, DoubleFreeAndBadIdsAreErrors) {
  BlockAllocator a(2);
  BlockId id = *a.allocate();
  a.release(id);
  EXPECT_THROW(a.release(id), Error);
  EXPECT_THROW(a.ref(id), Error);
  EXPECT_THROW(a.release(7), Error);
  EXPECT_THROW(a.ref_count(-1), Error);
  expect_invariants(a);
}

TEST(BlockTable, ReserveGrowsByWholeBlocksAndFailsAtomically) {
  BlockAllocator a(3);
  BlockTable t;
  EXPECT_TRUE(t.reserve(a, 1));
  EXPECT_EQ(t.blocks().size(), 1u);
  EXPECT_TRUE(t.reserve(a, kBlockSize));
  EXPECT_EQ(t.blocks().size(), 1u);
  EXPECT_TRUE(t.reserve(a, kBlockSize + 1));
  EXPECT_EQ(t.blocks().size(), 2u);
  EXPECT_FALSE(t.reserve(a, 4 * kBlockSize));  // needs 2 more, 1 free
  EXPECT_EQ(t.blocks().size(), 2u);
  EXPECT_EQ(a.num_free(), 1);
  t.release_all(a);
  EXPECT_EQ(a.num_free(), 3);
  EXPECT_TRUE(t.blocks().empty());
}

TEST(BlockTable, ForkSharesBlocksUntilBothRelease) {
  BlockAllocator a(4);
  BlockTable t;
  ASSERT_TRUE(t.reserve(a, 20));
  BlockTable f = t.fork(a);
  EXPECT_EQ(f.blocks(), t.blocks());
  for (BlockId id : t.blocks()) EXPECT_EQ(a.ref_count(id), 2);
  t.release_all(a);
  EXPECT_EQ(a.num_free(), 2);
  f.release_all(a);
  EXPECT_EQ(a.num_free(), 4);
}

// Random admit / grow / fork / finish sequences never leak or double-free a block.
TEST(BlockTable, RandomLifecyclesKeepInvariants) {
  std::mt19937 rng(42);
  BlockAllocator a(64);
  std::vector<BlockTable> live;
  std::vector<int64_t> lens;
  for (int step = 0; step < 5000; ++step) {
    const int op = int(rng() % 4);
    if (op == 0 || live.empty()) {
      BlockTable t;
      const int64_t n = 1 + rng() % 70;
      if (t.reserve(a, n)) {
        live.push_back(std::move(t));
        lens.push_back(n);
      }
    } else if (op == 1) {
      const size_t i = rng() % live.size();
      const int64_t n = lens[i] + 1 + rng() % 20;
      if (live[i].reserve(a, n)) lens[i] = n;
    } else if (op == 2) {
      const size_t i = rng() % live.size();
      live.push_back(live[i].fork(a));
      lens.push_back(lens[i]);
    } else {
      const size_t i = rng() % live.size();
      live[i].release_all(a);
      live.erase(live.begin() + long(i));
      lens.erase(lens.begin() + long(i));
    }
    for (size_t i = 0; i < live.size(); ++i) ASSERT_GE(live[i].capacity_tokens(), lens[i]);
  }
  expect_invariants(a);
  for (auto& t : live) t.release_all(a);
  EXPECT_EQ(a.num_free(), a.num_blocks());
}

}  // namespace
}  // namespace sunbae::kv
