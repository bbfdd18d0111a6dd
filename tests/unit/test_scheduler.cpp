#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>

#include "engine/scheduler.h"

namespace sunbae::engine {
namespace {

std::unique_ptr<Sequence> make_seq(int64_t id, int64_t prompt_len, int32_t base = 0) {
  auto s = std::make_unique<Sequence>();
  s->id = id;
  for (int64_t i = 0; i < prompt_len; ++i) s->tokens.push_back(base + int32_t(i % 97));
  s->prompt_len = prompt_len;
  return s;
}

// What the engine does after the forward pass: mark the chunk computed, register full blocks,
// and sample one token (any value) where the chunk reached the end.
void complete_step(const SchedulerOutput& out, kv::BlockManager& bm, std::mt19937& rng) {
  for (const auto& ss : out.scheduled) {
    ss.seq->num_computed += ss.num_tokens;
    bm.commit(ss.seq->kv, ss.seq->tokens, ss.seq->num_computed);
    if (ss.seq->num_computed == int64_t(ss.seq->tokens.size())) ss.seq->tokens.push_back(int32_t(rng() % 97));
  }
}

void check_step(const SchedulerOutput& out, const Scheduler& sch, const kv::BlockManager& bm) {
  EXPECT_LE(out.num_tokens, sch.config().max_batch_tokens);
  EXPECT_LE(int64_t(sch.running().size()), sch.config().max_num_seqs);
  int64_t sum = 0;
  std::set<const Sequence*> seen;
  for (const auto& ss : out.scheduled) {
    EXPECT_TRUE(seen.insert(ss.seq).second) << "scheduled twice in one step";
    EXPECT_GE(ss.num_tokens, 1);
    EXPECT_LE(ss.seq->num_computed + ss.num_tokens, int64_t(ss.seq->tokens.size()));
    EXPECT_GE(ss.seq->kv.blocks.size() * kv::kBlockSize, size_t(ss.seq->num_computed + ss.num_tokens));
    EXPECT_EQ(ss.seq->status, Sequence::Status::Running);
    sum += ss.num_tokens;
  }
  EXPECT_EQ(sum, out.num_tokens);
  std::vector<const kv::SeqBlocks*> tables;
  for (const Sequence* s : sch.running()) tables.push_back(&s->kv);
  for (const Sequence* s : sch.waiting()) {
    EXPECT_TRUE(s->kv.blocks.empty()) << "a waiting sequence holds blocks";
    EXPECT_EQ(std::count(sch.running().begin(), sch.running().end(), s), 0) << "both waiting and running";
  }
  bm.check_invariants(tables);
}

TEST(Scheduler, LongPromptIsPrefilledInChunksWithinTheBudget) {
  kv::BlockManager bm(64, true);
  Scheduler sch({8, 32}, bm);
  auto a = make_seq(1, 100);
  sch.add(a.get());
  std::mt19937 rng(1);
  std::vector<int64_t> chunks;
  while (a->output_len() == 0) {
    auto out = sch.schedule();
    check_step(out, sch, bm);
    ASSERT_EQ(out.scheduled.size(), 1u);
    chunks.push_back(out.scheduled[0].num_tokens);
    complete_step(out, bm, rng);
  }
  EXPECT_EQ(chunks, (std::vector<int64_t>{32, 32, 32, 4}));
  auto out = sch.schedule();  // decode: one token
  ASSERT_EQ(out.scheduled.size(), 1u);
  EXPECT_EQ(out.scheduled[0].num_tokens, 1);
}

TEST(Scheduler, DecodesGoFirstAndPrefillsShareTheRest) {
  kv::BlockManager bm(64, false);
  Scheduler sch({8, 20}, bm);
  auto a = make_seq(1, 10), b = make_seq(2, 30);
  std::mt19937 rng(1);
  sch.add(a.get());
  complete_step(sch.schedule(), bm, rng);  // a prefilled, one token sampled
  sch.add(b.get());
  auto out = sch.schedule();
  ASSERT_EQ(out.scheduled.size(), 2u);
  EXPECT_EQ(out.scheduled[0].seq, a.get());
  EXPECT_EQ(out.scheduled[0].num_tokens, 1);
  EXPECT_EQ(out.scheduled[1].seq, b.get());
  EXPECT_EQ(out.scheduled[1].num_tokens, 19);
  check_step(out, sch, bm);
}

TEST(Scheduler, MaxNumSeqsAndFcfsAreRespected) {
  kv::BlockManager bm(64, false);
  Scheduler sch({2, 1000}, bm);
  auto a = make_seq(1, 5), b = make_seq(2, 5), c = make_seq(3, 5);
  sch.add(a.get());
  sch.add(b.get());
  sch.add(c.get());
  auto out = sch.schedule();
  ASSERT_EQ(out.scheduled.size(), 2u);
  EXPECT_EQ(out.scheduled[0].seq, a.get());
  EXPECT_EQ(out.scheduled[1].seq, b.get());
  EXPECT_EQ(sch.waiting().front(), c.get());
  std::mt19937 rng(1);
  complete_step(out, bm, rng);
  sch.remove(a.get());  // finished
  out = sch.schedule();
  EXPECT_EQ(sch.running().back(), c.get());
  check_step(out, sch, bm);
}

TEST(Scheduler, LatestAdmittedIsPreemptedWhenBlocksRunOut) {
  kv::BlockManager bm(4, false);  // 64 token slots
  Scheduler sch({8, 1000}, bm);
  auto a = make_seq(1, 32), b = make_seq(2, 32);
  sch.add(a.get());
  sch.add(b.get());
  std::mt19937 rng(1);
  auto out = sch.schedule();
  ASSERT_EQ(out.scheduled.size(), 2u);  // 2 blocks each
  complete_step(out, bm, rng);          // each now 33 tokens: the next needs a third block
  out = sch.schedule();
  check_step(out, sch, bm);
  ASSERT_EQ(out.preempted.size(), 1u);
  EXPECT_EQ(out.preempted[0], b.get());
  EXPECT_EQ(b->num_computed, 0);
  EXPECT_EQ(b->num_preemptions, 1);
  EXPECT_EQ(sch.waiting().front(), b.get());
  ASSERT_EQ(out.scheduled.size(), 1u);
  EXPECT_EQ(out.scheduled[0].seq, a.get());
  EXPECT_EQ(sch.num_preemptions(), 1);
}

TEST(Scheduler, AdmissionStartsAfterTheCachedPrefix) {
  kv::BlockManager bm(16, true);
  Scheduler sch({8, 1000}, bm);
  std::mt19937 rng(1);
  auto a = make_seq(1, 40);
  sch.add(a.get());
  complete_step(sch.schedule(), bm, rng);
  auto b = make_seq(2, 40);
  sch.add(b.get());
  auto out = sch.schedule();
  ASSERT_EQ(out.scheduled.size(), 2u);
  EXPECT_EQ(out.scheduled[1].seq, b.get());
  EXPECT_EQ(b->num_computed, 32);
  EXPECT_EQ(out.scheduled[1].num_tokens, 8);
  EXPECT_EQ(bm.stats().hits, 32);
  EXPECT_EQ(bm.stats().queries, 80);
  check_step(out, sch, bm);
}

// Random arrivals, finishes and cancels over a small cache: every step keeps the invariants, every
// sequence eventually finishes (no livelock), and no block leaks.
TEST(Scheduler, RandomWorkloadKeepsInvariantsAndDrains) {
  for (bool cache : {true, false}) {
    std::mt19937 rng(cache ? 7 : 8);
    kv::BlockManager bm(20, cache);
    Scheduler sch({6, 48}, bm);
    std::vector<std::unique_ptr<Sequence>> seqs;
    std::vector<int64_t> max_out;
    int64_t finished = 0;
    for (int stepi = 0; stepi < 20000 && finished < 200; ++stepi) {
      if (seqs.size() < 200 && rng() % 3 == 0) {
        seqs.push_back(make_seq(int64_t(seqs.size()), 1 + int64_t(rng() % 120), int32_t(rng() % 3)));
        max_out.push_back(1 + int64_t(rng() % 40));
        sch.add(seqs.back().get());
      }
      auto out = sch.schedule();
      check_step(out, sch, bm);
      if (out.scheduled.empty()) {
        EXPECT_TRUE(sch.running().empty() && sch.waiting().empty()) << "stalled at step " << stepi;
        if (seqs.size() >= 200) break;
        continue;
      }
      complete_step(out, bm, rng);
      for (size_t i = 0; i < seqs.size(); ++i) {
        Sequence* s = seqs[i].get();
        if (s->status == Sequence::Status::Finished) continue;
        const bool cancel = s->status == Sequence::Status::Running && rng() % 200 == 0;
        if (s->output_len() >= max_out[i] || cancel) {
          sch.remove(s);
          ++finished;
        }
      }
    }
    EXPECT_EQ(finished, int64_t(seqs.size())) << "every sequence must finish";
    EXPECT_TRUE(sch.running().empty());
    EXPECT_TRUE(sch.waiting().empty());
    bm.check_invariants({});
    EXPECT_EQ(bm.num_free(), bm.num_blocks());
    EXPECT_GT(sch.num_preemptions(), 0) << "the workload should have exercised preemption";
  }
}

}  // namespace
}  // namespace sunbae::engine
