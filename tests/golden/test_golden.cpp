// The engine against transformers' own numbers on the committed tiny checkpoints, and the
// forward interface's promises: batching, chunking and decoding step by step change nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/generate.h"
#include "golden/fixtures.h"
#include "model/model.h"

namespace sunbae::test {
namespace {

// Logits tolerance, relative to the largest reference logit. Both sides compute in fp32 on the
// same weights; only summation order differs (torch's BLAS vs our 8-lane dot products), which
// measured 1e-6 to 2e-6 on every fixture, AVX2 and scalar alike. A wrong rope frequency, mask,
// bias or norm moves logits by 1e-2 or more.
constexpr double kRelTol = 1e-5;

// Infinity when any value is not finite: std::max would otherwise drop a NaN and pass it.
double max_rel_err(const float* a, const float* ref, size_t n) {
  double max_ref = 0, max_diff = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    max_ref = std::max(max_ref, std::fabs(double(ref[i])));
    max_diff = std::max(max_diff, std::fabs(double(a[i]) - ref[i]));
  }
  return max_diff / std::max(max_ref, 1e-30);
}

// A model with a KV cache big enough for several sequences as long as the fixture's prompt.
struct Harness {
  std::unique_ptr<model::Model> m;
  kv::BlockAllocator alloc;
  std::unique_ptr<kv::KVCache> cache;
  explicit Harness(const test::Golden& g)
      : m(model::Model::load(g.dir)), alloc(4 * kv::blocks_for_tokens(int64_t(g.prompt.size())) + 8) {
    cache = std::make_unique<kv::KVCache>(m->kv_layout(alloc.num_blocks()));
  }
  kv::BlockTable table(int64_t tokens) {
    kv::BlockTable t;
    EXPECT_TRUE(t.reserve(alloc, tokens));
    return t;
  }
  // All-row logits of `tokens` in one forward with a fresh block table.
  model::Logits prefill(const std::vector<int32_t>& tokens) {
    kv::BlockTable t = table(int64_t(tokens.size()));
    model::Batch b;
    b.seqs.push_back(step(tokens, 0, t));
    model::Logits l = m->forward(b, *cache);
    t.release_all(alloc);
    return l;
  }
  static model::SequenceStep step(std::vector<int32_t> tokens, int64_t start, const kv::BlockTable& t) {
    model::SequenceStep s;
    s.tokens = std::move(tokens);
    s.start_pos = start;
    s.blocks = &t.blocks();
    for (size_t i = 0; i < s.tokens.size(); ++i) s.logit_rows.push_back(int32_t(i));
    return s;
  }
};

// Dynamic NTK rope (like transformers') changes its frequencies once a sequence grows past
// max_position_embeddings, so a token's rotation depends on the length at the time it was
// computed; chunking and step-by-step decoding are compared within that length, where they must
// still be exact.
std::vector<int32_t> length_independent_prompt(const test::Golden& g, const model::Model& m) {
  const io::ModelConfig& c = m.config();
  if (c.rope.type != io::RopeType::Dynamic) return g.prompt;
  const size_t n = std::min(g.prompt.size(), size_t(c.max_position_embeddings));
  return {g.prompt.begin(), g.prompt.begin() + long(n)};
}

class Golden : public testing::TestWithParam<std::string> {};

TEST_P(Golden, LogitsMatchTransformers) {
  const test::Golden g = load_golden(GetParam());
  Harness h(g);
  const model::Logits l = h.prefill(g.prompt);
  ASSERT_EQ(l.rows, int64_t(g.prompt.size()));
  ASSERT_EQ(l.vocab, g.vocab);
  const double err = max_rel_err(l.data.data(), g.logits.data(), g.logits.size());
  RecordProperty("max_rel_err", std::to_string(err));
  EXPECT_LT(err, kRelTol) << g.name;
}

TEST_P(Golden, GreedyMatchesTransformers) {
  const test::Golden g = load_golden(GetParam());
  auto m = model::Model::load(GetParam());
  engine::GenerateOptions o;
  o.max_tokens = int64_t(g.greedy.size());
  o.ignore_eos = true;
  EXPECT_EQ(engine::generate(*m, g.prompt, o).tokens, g.greedy) << g.name;
}

// Two sequences of different lengths in one forward give each one's logits alone. Rows never
// interact and every kernel sums in the same order whatever the batch size, so this is exact.
TEST_P(Golden, BatchOfTwoEqualsEachAlone) {
  const test::Golden g = load_golden(GetParam());
  Harness h(g);
  const std::vector<int32_t> a = g.prompt;
  const std::vector<int32_t> b(g.prompt.rbegin(), g.prompt.rbegin() + long(g.prompt.size() * 2 / 3 + 1));
  const model::Logits la = h.prefill(a), lb = h.prefill(b);
  kv::BlockTable ta = h.table(int64_t(a.size())), tb = h.table(int64_t(b.size()));
  model::Batch batch;
  batch.seqs.push_back(Harness::step(b, 0, tb));
  batch.seqs.push_back(Harness::step(a, 0, ta));
  const model::Logits both = h.m->forward(batch, *h.cache);
  ASSERT_EQ(both.rows, la.rows + lb.rows);
  EXPECT_TRUE(std::equal(lb.data.begin(), lb.data.end(), both.data.begin()));
  EXPECT_TRUE(std::equal(la.data.begin(), la.data.end(), both.data.begin() + long(lb.data.size())));
}

// Prefill in chunks of 7 tokens (crossing KV block boundaries) equals prefill in one call.
TEST_P(Golden, ChunkedPrefillEqualsOneShot) {
  const test::Golden g = load_golden(GetParam());
  Harness h(g);
  const std::vector<int32_t> prompt = length_independent_prompt(g, *h.m);
  const model::Logits whole = h.prefill(prompt);
  kv::BlockTable t = h.table(int64_t(prompt.size()));
  std::vector<float> chunked;
  for (size_t pos = 0; pos < prompt.size(); pos += 7) {
    const size_t end = std::min(prompt.size(), pos + 7);
    model::Batch b;
    b.seqs.push_back(Harness::step({prompt.begin() + long(pos), prompt.begin() + long(end)},
                                   int64_t(pos), t));
    const model::Logits l = h.m->forward(b, *h.cache);
    chunked.insert(chunked.end(), l.data.begin(), l.data.end());
  }
  EXPECT_EQ(chunked, whole.data);
}

// Decoding one token at a time over the cache reproduces every row of the full prefill.
TEST_P(Golden, StepByStepDecodeEqualsPrefill) {
  const test::Golden g = load_golden(GetParam());
  Harness h(g);
  const std::vector<int32_t> prompt = length_independent_prompt(g, *h.m);
  const model::Logits whole = h.prefill(prompt);
  kv::BlockTable t = h.table(int64_t(prompt.size()));
  for (size_t i = 0; i < prompt.size(); ++i) {
    model::Batch b;
    b.seqs.push_back(Harness::step({prompt[i]}, int64_t(i), t));
    const model::Logits l = h.m->forward(b, *h.cache);
    ASSERT_TRUE(std::equal(l.data.begin(), l.data.end(), whole.row(int64_t(i)))) << "position " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden, testing::ValuesIn(supported_fixture_dirs()), fixture_param_name);

}  // namespace
}  // namespace sunbae::test
