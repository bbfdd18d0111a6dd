// Model-level input validation and loading edge cases that need a real (tiny) checkpoint.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "golden/fixtures.h"
#include "model/model.h"

namespace sunbae::test {
namespace {

namespace fs = std::filesystem;

const std::string kLlama = std::string(SUNBAE_FIXTURES_DIR) + "/llama";

model::SequenceStep step(std::vector<int32_t> tokens, int64_t start, const kv::BlockTable& t) {
  model::SequenceStep s;
  s.tokens = std::move(tokens);
  s.start_pos = start;
  s.blocks = &t.blocks();
  s.logit_rows = {int32_t(s.tokens.size()) - 1};
  return s;
}

// Each malformed batch is refused with a message, and the KV cache keeps every byte it had:
// validation happens before the first write.
TEST(ModelInputs, BadBatchesAreRefusedBeforeTouchingTheCache) {
  auto m = model::Model::load(kLlama);
  kv::BlockAllocator alloc(4);
  kv::KVCache cache(m->kv_layout(alloc.num_blocks()));
  const kv::KVLayout& lay = cache.layout();
  const size_t pool = size_t(lay.num_blocks * lay.block_stride());
  for (int64_t l = 0; l < lay.num_layers; ++l) {
    std::fill(cache.k(l), cache.k(l) + pool, 7.0f);
    std::fill(cache.v(l), cache.v(l) + pool, -7.0f);
  }
  kv::BlockTable one;
  ASSERT_TRUE(one.reserve(alloc, 16));
  const std::vector<kv::BlockId> bad_ids = {99};

  auto refuse = [&](model::Batch b, const std::string& needle) {
    try {
      m->forward(b, cache);
      ADD_FAILURE() << "accepted a batch that should fail with '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  model::Batch b;
  b.seqs = {step({5, 320}, 0, one)};
  refuse(b, "token id 320 is outside the vocabulary");
  b.seqs = {step({5, 6}, 15, one)};  // positions 15..16, table holds 16
  refuse(b, "block table holds 16 positions, needs 17");
  b.seqs = {step({5}, 0, one)};
  b.seqs[0].blocks = &bad_ids;
  refuse(b, "block id 99 outside the KV cache");
  b.seqs = {step({5}, 0, one)};
  b.seqs[0].logit_rows = {1};
  refuse(b, "logit row 1 outside");
  b.seqs = {step({}, 0, one)};
  refuse(b, "has no tokens");
  b.seqs = {step({5}, -1, one)};
  refuse(b, "start position -1");
  // The good sequence beside a bad one must not be written either.
  b.seqs = {step({5, 6, 7}, 0, one), step({400}, 0, one)};
  refuse(b, "token id 400");

  for (int64_t l = 0; l < lay.num_layers; ++l) {
    EXPECT_TRUE(std::all_of(cache.k(l), cache.k(l) + pool, [](float v) { return v == 7.0f; }));
    EXPECT_TRUE(std::all_of(cache.v(l), cache.v(l) + pool, [](float v) { return v == -7.0f; }));
  }
}

// safetensors does not promise aligned tensors: a one-byte tensor first leaves every weight at an
// odd offset. The loader must still read them (by private aligned copy) and give the same logits.
TEST(ModelInputs, UnalignedTensorsLoadAndGiveTheSameLogits) {
  const fs::path dir = fs::temp_directory_path() / ("sunbae-unaligned-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(kLlama, dir, fs::copy_options::recursive);
  {
    io::Checkpoint ck = io::Checkpoint::open_dir(kLlama);
    const uint8_t pad = 1;
    std::vector<std::pair<std::string, TensorView>> ts = {{"aaa_pad", TensorView{&pad, DType::U8, {1}}}};
    for (const std::string& n : ck.names()) ts.emplace_back(n, ck.get(n));
    io::write_safetensors((dir / "model.safetensors").string(), ts);
  }
  const Golden g = load_golden(kLlama);
  auto run = [&](const std::string& d) {
    auto m = model::Model::load(d);
    kv::BlockAllocator alloc(kv::blocks_for_tokens(int64_t(g.prompt.size())));
    kv::KVCache cache(m->kv_layout(alloc.num_blocks()));
    kv::BlockTable t;
    EXPECT_TRUE(t.reserve(alloc, int64_t(g.prompt.size())));
    model::Batch b;
    b.seqs = {step(g.prompt, 0, t)};
    return m->forward(b, cache).data;
  };
  io::Checkpoint moved = io::Checkpoint::open_dir(dir.string());
  EXPECT_NE(reinterpret_cast<uintptr_t>(moved.get("model.norm.weight").data) % 4, 0u)
      << "the test must really produce unaligned tensors";
  EXPECT_EQ(run(dir.string()), run(kLlama));
  fs::remove_all(dir);
}

// The GPT-NeoX fixture's tensors with one name hidden.
class Hiding : public model::TensorSource {
 public:
  Hiding(std::unique_ptr<model::TensorSource> inner, std::string hidden)
      : inner_(std::move(inner)), hidden_(std::move(hidden)) {}
  bool has(std::string_view n) const override { return n != hidden_ && inner_->has(n); }
  TensorView get(std::string_view n) const override { return inner_->get(n); }
  const std::string& source() const override { return inner_->source(); }

 private:
  std::unique_ptr<model::TensorSource> inner_;
  std::string hidden_;
};

// What only GPT-NeoX reads (LayerNorm biases, the fused q/k/v and its bias, dense_h_to_4h) is
// required and named when missing; a config asking for an MLP the builder has no kernel for is
// refused at load rather than computed wrongly.
TEST(ModelInputs, GptNeoXTensorsAreRequiredAndNamed) {
  const std::string dir = std::string(SUNBAE_FIXTURES_DIR) + "/gpt-neox";
  for (const char* name : {"gpt_neox.layers.1.post_attention_layernorm.bias", "gpt_neox.final_layer_norm.bias",
                           "gpt_neox.layers.0.attention.query_key_value.weight",
                           "gpt_neox.layers.0.attention.query_key_value.bias", "gpt_neox.layers.1.mlp.dense_h_to_4h.bias",
                           "embed_out.weight"}) {
    auto [config, weights] = model::Model::open(dir);
    try {
      model::Model::from_parts(config, std::make_unique<Hiding>(std::move(weights), name));
      ADD_FAILURE() << name << " was not required";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + name + "' not found"), std::string::npos) << e.what();
    }
  }
  auto [config, weights] = model::Model::open(dir);
  config.gated_mlp = true;  // a GELU-gated MLP (Gemma's) is not built yet
  try {
    model::Model::from_parts(config, std::move(weights));
    ADD_FAILURE() << "a gated GELU MLP was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gated GELU MLP has no CPU kernel"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sunbae::test
