// Tensor parallelism on the CPU: N rank threads, each with only its shard, give the unsharded
// model's logits and greedy tokens, on the golden fixtures and on a random-weight model with
// every bias and a vocabulary that does not split evenly; and the sharding rules themselves.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "bench/synthetic.h"
#include "core/cpu_communicator.h"
#include "core/error.h"
#include "core/rank_threads.h"
#include "golden/fixtures.h"
#include "model/cpu_tensor_parallel.h"
#include "model/model.h"

namespace sunbae::test {
namespace {

using model::Batch;
using model::Logits;

// Logits of N ranks against N = 1, relative to the largest logit. Same weights, fp32 throughout;
// what differs is where sums are split: o_proj's and down_proj's dot products become N partial
// dots added in rank order, and the bias is added after them rather than inside. Each such
// reordering moves a value by a few ulp of the sum; through the fixtures' layers that measured
// below 1e-6 relative (the same size as our difference from torch, golden tests' kRelTol). A
// wrong shard, head mapping or missing all-reduce moves logits by 1e-2 or more.
constexpr double kRelTol = 1e-5;

double max_rel_err(const std::vector<float>& a, const std::vector<float>& ref) {
  if (a.size() != ref.size()) return INFINITY;
  double max_ref = 0, max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    max_ref = std::max(max_ref, std::fabs(double(ref[i])));
    max_diff = std::max(max_diff, std::fabs(double(a[i]) - ref[i]));
  }
  return max_diff / std::max(max_ref, 1e-30);
}

using Forward = std::function<Logits(const Batch&)>;

struct Trace {
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // every logit row of every step, in order
};

// Prefill in chunks of `chunk` tokens through the paged cache (all rows' logits), then greedy
// decode `steps` tokens one at a time.
Trace greedy(const Forward& fwd, kv::BlockAllocator& alloc, const std::vector<int32_t>& prompt, int64_t steps,
             size_t chunk) {
  kv::BlockTable t;
  EXPECT_TRUE(t.reserve(alloc, int64_t(prompt.size()) + steps));
  Trace out;
  Logits last;
  for (size_t pos = 0; pos < prompt.size(); pos += chunk) {
    model::SequenceStep s;
    s.tokens.assign(prompt.begin() + long(pos), prompt.begin() + long(std::min(prompt.size(), pos + chunk)));
    s.start_pos = int64_t(pos);
    s.blocks = &t.blocks();
    for (size_t i = 0; i < s.tokens.size(); ++i) s.logit_rows.push_back(int32_t(i));
    Batch b;
    b.seqs.push_back(s);
    last = fwd(b);
    out.logits.insert(out.logits.end(), last.data.begin(), last.data.end());
  }
  int64_t pos = int64_t(prompt.size());
  for (int64_t i = 0; i < steps; ++i, ++pos) {
    const float* row = last.row(last.rows - 1);
    const int32_t next = int32_t(std::max_element(row, row + last.vocab) - row);
    out.tokens.push_back(next);
    Batch b;
    b.seqs.push_back({{next}, pos, &t.blocks(), {0}});
    last = fwd(b);
    out.logits.insert(out.logits.end(), last.data.begin(), last.data.end());
  }
  t.release_all(alloc);
  return out;
}

// N ranks against the plain model on the same weights: logits of chunked prefill and of every
// decode step within kRelTol, the same greedy tokens, and each rank's KV cache and weights only
// its share.
void expect_sharded_equals_whole(const io::ModelConfig& config, std::shared_ptr<const model::TensorSource> weights,
                                 int world, const std::vector<int32_t>& prompt) {
  constexpr int64_t kSteps = 6, kBlocks = 16;
  // The plain model reads the same tensors (a world-1 shard is the whole model).
  auto whole = model::Model::load_shard(config, weights, model::tp_shard(config, 1, 0));
  kv::KVCache whole_cache(whole->kv_layout(kBlocks));
  kv::BlockAllocator a1(kBlocks), aN(kBlocks);
  const Trace ref = greedy([&](const Batch& b) { return whole->forward(b, whole_cache); }, a1, prompt, kSteps, 5);

  model::CpuTensorParallel tp(config, weights, world, kBlocks);
  const Trace got = greedy([&](const Batch& b) { return tp.forward(b); }, aN, prompt, kSteps, 5);
  const double err = max_rel_err(got.logits, ref.logits);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", err);
  testing::Test::RecordProperty("max_rel_err_tp" + std::to_string(world), buf);
  EXPECT_LT(err, kRelTol) << "world " << world;
  EXPECT_EQ(got.tokens, ref.tokens) << "world " << world;

  int64_t shard_bytes = 0;
  for (int r = 0; r < world; ++r) {
    const model::TpShard s = model::tp_shard(config, world, r);
    const kv::KVLayout& lay = tp.cache(r).layout();
    EXPECT_EQ(lay.num_kv_heads, config.num_kv_heads >= world ? config.num_kv_heads / world : 1) << "rank " << r;
    EXPECT_EQ(tp.rank(r).config().num_heads, config.num_heads / world);
    EXPECT_EQ(tp.rank(r).config().intermediate_size, config.intermediate_size / world);
    EXPECT_EQ(tp.rank(r).config().vocab_size, s.vocab);
    shard_bytes += tp.rank(r).weights().bytes;
  }
  // Only norms and row-parallel biases are replicated (and KV heads when there are fewer than
  // ranks: up to 20% more on these tiny shapes), so the shards together hold the whole model about
  // once; ranks holding it all would make world (>= 2) times.
  const int64_t whole_bytes = whole->weights().bytes;
  EXPECT_LT(shard_bytes, whole_bytes * 3 / 2) << "world " << world;
  if (config.num_kv_heads >= world) {
    EXPECT_EQ(tp.cache(0).layout().bytes() * world, whole_cache.layout().bytes());
  }
}

class TensorParallelGolden : public testing::TestWithParam<std::string> {};

TEST_P(TensorParallelGolden, TwoAndFourRanksEqualOne) {
  const Golden g = load_golden(GetParam());
  auto [config, weights] = model::Model::open(GetParam());
  std::shared_ptr<const model::TensorSource> shared(std::move(weights));
  // Dynamic NTK changes frequencies past max_position_embeddings: stay below it so the chunked
  // prefill and decode are comparable token for token (as the golden tests do).
  std::vector<int32_t> prompt = g.prompt;
  if (config.rope.type == io::RopeType::Dynamic)
    prompt.resize(std::min(prompt.size(), size_t(config.max_position_embeddings - 8)));
  for (int world : {2, 4}) expect_sharded_equals_whole(config, shared, world, prompt);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TensorParallelGolden, testing::ValuesIn(supported_fixture_dirs()), fixture_param_name);

// Random weights: 8 heads over 2 KV heads (replicated at 4 and 8 ranks), q/k/v, o and MLP biases,
// and a vocabulary of 1001 that leaves the last rank a shorter range.
TEST(TensorParallelSynthetic, TwoFourAndEightRanksEqualOne) {
  const std::string json = R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "vocab_size": 1001, "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 3,
    "num_attention_heads": 8, "num_key_value_heads": 2, "max_position_embeddings": 512,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "attention_bias": true, "mlp_bias": true,
    "tie_word_embeddings": false})";
  const io::ModelConfig c = io::parse_model_config(json, "", "synthetic");
  auto w = std::make_shared<bench::SyntheticWeights>(c, DType::F32, 99);
  std::vector<int32_t> prompt;
  for (int i = 0; i < 37; ++i) prompt.push_back(int32_t((i * 7919 + 13) % 1001));
  for (int world : {2, 4, 8}) expect_sharded_equals_whole(c, w, world, prompt);
}

// Passes every collective on to a rank's endpoint, counting the all-reduces.
class CountingComm : public Communicator {
 public:
  explicit CountingComm(Communicator& inner) : inner_(inner) {}
  int rank() const override { return inner_.rank(); }
  int world() const override { return inner_.world(); }
  void all_reduce_sum(void* buf, int64_t n, DType t) override {
    ++all_reduces;
    inner_.all_reduce_sum(buf, n, t);
  }
  void all_gather(const void* send, void* recv, int64_t n, DType t) override { inner_.all_gather(send, recv, n, t); }
  void broadcast(void* buf, int64_t n, DType t, int root) override { inner_.broadcast(buf, n, t, root); }
  void barrier() override { inner_.barrier(); }
  int all_reduces = 0;

 private:
  Communicator& inner_;
};

// GPT-NeoX on random weights, both residual forms, equal to the unsharded model at 2, 4 and 8
// ranks. With use_parallel_residual the attention and MLP partial sums of a layer share one
// all-reduce (Megatron's GPT-J/NeoX layer): a forward issues 1 (embedding) + layers all-reduces,
// the sequential form 1 + 2 x layers.
TEST(TensorParallelSynthetic, GptNeoXBothResidualsAndOneAllReducePerParallelLayer) {
  for (bool parallel : {true, false}) {
    SCOPED_TRACE(parallel ? "parallel residual" : "sequential residual");
    const std::string json = std::string(R"({"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox",
      "vocab_size": 1001, "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 3,
      "num_attention_heads": 8, "max_position_embeddings": 512, "layer_norm_eps": 1e-5,
      "rotary_pct": 0.25, "rotary_emb_base": 10000, "hidden_act": "gelu", "use_parallel_residual": )") +
                             (parallel ? "true" : "false") + "}";
    const io::ModelConfig c = io::parse_model_config(json, "", "synthetic");
    auto w = std::make_shared<bench::SyntheticWeights>(c, DType::F32, 7);
    std::vector<int32_t> prompt;
    for (int i = 0; i < 29; ++i) prompt.push_back(int32_t((i * 7919 + 5) % 1001));
    for (int world : {2, 4, 8}) expect_sharded_equals_whole(c, w, world, prompt);

    constexpr int kWorld = 2;
    CpuCommGroup group(kWorld);
    RankThreads threads(kWorld);
    std::vector<std::unique_ptr<model::Model>> ranks;
    std::vector<std::unique_ptr<kv::KVCache>> caches;
    std::vector<std::unique_ptr<CountingComm>> comms;
    for (int r = 0; r < kWorld; ++r) {
      ranks.push_back(model::Model::load_shard(c, w, model::tp_shard(c, kWorld, r)));
      caches.push_back(std::make_unique<kv::KVCache>(ranks.back()->kv_layout(4)));
      comms.push_back(std::make_unique<CountingComm>(group.rank(r)));
    }
    const std::vector<kv::BlockId> blocks = {0, 1};
    Batch b;
    b.seqs.push_back({prompt, 0, &blocks, {int32_t(prompt.size() - 1)}});
    threads.run([&](int r) { ranks[size_t(r)]->forward(b, *caches[size_t(r)], comms[size_t(r)].get()); });
    for (int r = 0; r < kWorld; ++r)
      EXPECT_EQ(comms[size_t(r)]->all_reduces, 1 + (parallel ? 1 : 2) * c.num_layers) << "rank " << r;
  }
}

io::ModelConfig shape(int64_t heads, int64_t kv, int64_t ffn, int64_t vocab) {
  io::ModelConfig c;
  c.num_heads = heads;
  c.num_kv_heads = kv;
  c.head_dim = 128;
  c.hidden_size = heads * 128;
  c.intermediate_size = ffn;
  c.vocab_size = vocab;
  return c;
}

// Every rank's q heads read, through the local GQA mapping (q / (q_heads / kv_heads)), exactly the
// KV head the whole model maps them to.
TEST(TpShard, EachRanksQueryHeadsFindTheirKvHeads) {
  for (auto [hq, hkv] : {std::pair{32, 8}, {32, 32}, {28, 4}, {40, 8}, {64, 8}, {8, 1}, {16, 2}})
    for (int world : {1, 2, 4, 8, 16}) {
      if (hq % world != 0 || (hkv % world != 0 && world % hkv != 0)) continue;
      const io::ModelConfig c = shape(hq, hkv, 1024, 32000);
      for (int r = 0; r < world; ++r) {
        const model::TpShard s = model::tp_shard(c, world, r);
        ASSERT_EQ(s.q_heads % s.kv_heads, 0);
        for (int64_t i = 0; i < s.q_heads; ++i) {
          const int64_t global_q = s.q_head0 + i;
          const int64_t local_kv = i / (s.q_heads / s.kv_heads);
          EXPECT_EQ(s.kv_head0 + local_kv, global_q / (hq / hkv))
              << hq << "/" << hkv << " heads, rank " << r << " of " << world;
        }
      }
    }
}

TEST(TpShard, VocabularyRangesCoverEveryRowOnce) {
  for (int64_t vocab : {32000, 128256, 151936, 1001, 7})
    for (int world : {1, 2, 3, 4, 8}) {
      const io::ModelConfig c = shape(24, 24, 24 * 64, vocab);
      if ((world - 1) * ((vocab + world - 1) / world) >= vocab) {
        EXPECT_THROW(model::tp_shard(c, world, 0), Error) << vocab << " over " << world;
        continue;
      }
      int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        const model::TpShard s = model::tp_shard(c, world, r);
        EXPECT_EQ(s.vocab0, next);
        EXPECT_GT(s.vocab, 0);
        EXPECT_LE(s.vocab, s.vocab_stride);
        next += s.vocab;
      }
      EXPECT_EQ(next, vocab);
    }
}

void expect_error_mentions(const io::ModelConfig& c, int world, const std::string& what) {
  try {
    model::tp_shard(c, world, 0);
    ADD_FAILURE() << "world " << world << " was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(TpShard, RefusesWhatDoesNotSplit) {
  expect_error_mentions(shape(32, 8, 14336, 128256), 3, "32 attention heads");
  expect_error_mentions(shape(24, 6, 4096, 32000), 4, "6 key/value heads");  // 4 neither divides nor is divided by 6
  expect_error_mentions(shape(32, 8, 11010, 32000), 4, "intermediate_size 11010");
  expect_error_mentions(shape(32, 8, 14336, 5), 4, "vocabulary of 5");
}

// The split table itself: which rows or columns of each tensor rank 1 of 4 holds.
TEST(TpShard, WeightSplitTable) {
  io::ModelConfig c = shape(32, 8, 14336, 128256);
  model::TpShard s = model::tp_shard(c, 4, 1);
  using model::SplitDim;
  auto is = [&](const std::string& name, SplitDim d, int64_t b, int64_t n) {
    const model::WeightSplit w = model::weight_split(name, c, s);
    EXPECT_EQ(int(w.dim), int(d)) << name;
    if (d != SplitDim::None) {
      EXPECT_EQ(w.begin, b) << name;
      EXPECT_EQ(w.count, n) << name;
    }
  };
  is("model.layers.3.self_attn.q_proj.weight", SplitDim::Rows, 8 * 128, 8 * 128);
  is("model.layers.3.self_attn.q_proj.bias", SplitDim::Rows, 8 * 128, 8 * 128);
  is("model.layers.3.self_attn.k_proj.weight", SplitDim::Rows, 2 * 128, 2 * 128);
  is("model.layers.3.self_attn.v_proj.bias", SplitDim::Rows, 2 * 128, 2 * 128);
  is("model.layers.3.self_attn.o_proj.weight", SplitDim::Cols, 8 * 128, 8 * 128);
  is("model.layers.3.self_attn.o_proj.bias", SplitDim::None, 0, 0);
  is("model.layers.3.mlp.gate_proj.weight", SplitDim::Rows, 3584, 3584);
  is("model.layers.3.mlp.up_proj.bias", SplitDim::Rows, 3584, 3584);
  is("model.layers.3.mlp.down_proj.weight", SplitDim::Cols, 3584, 3584);
  is("model.layers.3.mlp.down_proj.bias", SplitDim::None, 0, 0);
  is("model.layers.3.input_layernorm.weight", SplitDim::None, 0, 0);
  is("model.embed_tokens.weight", SplitDim::Rows, 32064, 32064);
  is("lm_head.weight", SplitDim::Rows, 32064, 32064);
  is("model.norm.weight", SplitDim::None, 0, 0);

  // GPT-NeoX: 40 heads of 128 (Polyglot-Ko-12.8B), rank 1 of 4 holds heads 10..19.
  c = shape(40, 40, 20480, 30003);
  c.family = io::Family::GptNeoX;
  s = model::tp_shard(c, 4, 1);
  is("gpt_neox.layers.7.attention.query_key_value.weight", SplitDim::Rows, 10 * 3 * 128, 10 * 3 * 128);
  is("gpt_neox.layers.7.attention.query_key_value.bias", SplitDim::Rows, 10 * 3 * 128, 10 * 3 * 128);
  is("gpt_neox.layers.7.attention.dense.weight", SplitDim::Cols, 10 * 128, 10 * 128);
  is("gpt_neox.layers.7.attention.dense.bias", SplitDim::None, 0, 0);
  is("gpt_neox.layers.7.mlp.dense_h_to_4h.weight", SplitDim::Rows, 5120, 5120);
  is("gpt_neox.layers.7.mlp.dense_h_to_4h.bias", SplitDim::Rows, 5120, 5120);
  is("gpt_neox.layers.7.mlp.dense_4h_to_h.weight", SplitDim::Cols, 5120, 5120);
  is("gpt_neox.layers.7.mlp.dense_4h_to_h.bias", SplitDim::None, 0, 0);
  is("gpt_neox.layers.7.input_layernorm.bias", SplitDim::None, 0, 0);
  is("gpt_neox.embed_in.weight", SplitDim::Rows, 7501, 7501);
  is("embed_out.weight", SplitDim::Rows, 7501, 7501);
  is("gpt_neox.final_layer_norm.weight", SplitDim::None, 0, 0);
}

}  // namespace
}  // namespace sunbae::test
