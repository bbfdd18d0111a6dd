// GGUF models end to end without llama.cpp: the committed Mistral fixture (llama architecture,
// GQA, head_dim != hidden/heads, sliding window) written here as llama.cpp's converter writes
// it — llama.cpp tensor names, q/k rows permuted for its RoPE, metadata keys — then loaded from
// the GGUF and checked against transformers' logits. A wrong name, a missed or wrong
// un-permutation, or a misread key changes the logits by far more than the tolerance.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "engine/generate.h"
#include "golden/fixtures.h"
#include "golden/gguf_builder.h"
#include "io/gguf_config.h"
#include "io/safetensors.h"
#include "kernels/cpu/quant.h"
#include "model/gguf_source.h"
#include "model/model.h"
#include "tokenizer/gguf_vocab.h"

namespace fs = std::filesystem;

namespace sunbae::test {
namespace {

// llama.cpp's convert_hf_to_gguf.py LlamaModel.permute, written from its numpy expression:
// reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2).reshape(rows, cols).
std::vector<float> llama_cpp_permute(const float* w, int64_t rows, int64_t cols, int64_t heads) {
  const int64_t hd = rows / heads, half = hd / 2;
  std::vector<float> out(size_t(rows * cols));
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t a = 0; a < half; ++a)      // axis 2 of the reshaped array, now axis 1
      for (int64_t b = 0; b < 2; ++b) {     // axis 1, now axis 2
        const int64_t src = h * hd + b * half + a, dst = h * hd + a * 2 + b;
        std::memcpy(&out[size_t(dst * cols)], w + src * cols, size_t(cols) * 4);
      }
  return out;
}

std::string f32_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

// A Llama-family fixture as a GGUF; matrices quantized to `qt` (F32 keeps them as they are).
// With as_f32, matrices are quantized to qt and dequantized again, stored as F32: the same
// effective weights, computed without any quantized kernel.
std::string write_llama_gguf(const std::string& dir, const std::string& out, DType qt, bool as_f32 = false) {
  const io::ModelConfig c = io::load_model_config(dir);
  io::Checkpoint ck = io::Checkpoint::open_dir(dir);
  GgufBuilder b;
  const bool qwen2 = c.family == io::Family::Qwen2;
  const std::string A = qwen2 ? "qwen2" : "llama";
  b.kv_str("general.architecture", A);
  b.kv_u32(A + ".block_count", uint32_t(c.num_layers));
  b.kv_u32(A + ".context_length", uint32_t(c.max_position_embeddings));
  b.kv_u32(A + ".embedding_length", uint32_t(c.hidden_size));
  b.kv_u32(A + ".feed_forward_length", uint32_t(c.intermediate_size));
  b.kv_u32(A + ".attention.head_count", uint32_t(c.num_heads));
  b.kv_u32(A + ".attention.head_count_kv", uint32_t(c.num_kv_heads));
  b.kv_u32(A + ".attention.key_length", uint32_t(c.head_dim));
  b.kv_u32(A + ".attention.value_length", uint32_t(c.head_dim));
  b.kv_u32(A + ".rope.dimension_count", uint32_t(c.head_dim));
  b.kv_f32(A + ".rope.freq_base", float(c.rope.theta));
  b.kv_f32(A + ".attention.layer_norm_rms_epsilon", float(c.rms_norm_eps));
  // llama.cpp writes a sliding window for Mistral only (its qwen2 ignores it).
  if (c.sliding_window && !qwen2) b.kv_u32("llama.attention.sliding_window", uint32_t(*c.sliding_window));
  if (c.rope.type == io::RopeType::Llama3) {
    // convert_hf_to_gguf.py's LlamaModel.generate_extra_tensors: one divisor per frequency.
    const io::RopeConfig& r = c.rope;
    const double old_len = double(r.original_max_position_embeddings);
    const double low_wavelen = old_len / r.low_freq_factor, high_wavelen = old_len / r.high_freq_factor;
    std::vector<float> factors;
    for (int64_t i = 0; i < c.head_dim / 2; ++i) {
      const float freq = 1.0f / std::pow(float(r.theta), float(2 * i) / float(c.head_dim));
      const double wavelen = 2 * M_PI / freq;
      if (wavelen < high_wavelen) factors.push_back(1.0f);
      else if (wavelen > low_wavelen) factors.push_back(float(r.factor));
      else {
        const double smooth = (old_len / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
        factors.push_back(float(1.0 / ((1 - smooth) / r.factor + smooth)));
      }
    }
    b.tensor("rope_freqs.weight", {int64_t(factors.size())}, 0, f32_bytes(factors));
  }
  b.kv_u32("llama.vocab_size", uint32_t(c.vocab_size));
  b.kv_u32("tokenizer.ggml.bos_token_id", uint32_t(c.bos_token_ids.at(0)));
  b.kv_u32("tokenizer.ggml.eos_token_id", uint32_t(c.eos_token_ids.at(0)));

  auto get = [&](const std::string& name) {
    TensorView t = ck.get(name);
    std::vector<float> v(size_t(t.numel()));
    widen_to_f32(t.data, t.dtype, t.numel(), v.data());
    return std::make_pair(t.shape, v);
  };
  auto matrix = [&](const std::string& hf, const std::string& gg, int64_t permute_heads) {
    auto [shape, v] = get(hf);
    if (permute_heads) v = llama_cpp_permute(v.data(), shape[0], shape[1], permute_heads);
    if (qt == DType::F32) return b.tensor(gg, shape, 0, f32_bytes(v));
    std::string q(dtype_bytes(qt, int64_t(v.size())), '\0');
    kernels::cpu::quant_traits(qt)->from_float(v.data(), q.data(), int64_t(v.size()));
    if (as_f32) {
      kernels::cpu::quant_traits(qt)->to_float(q.data(), v.data(), int64_t(v.size()));
      return b.tensor(gg, shape, 0, f32_bytes(v));
    }
    const uint32_t id = qt == DType::Q8_0 ? 8 : qt == DType::Q4_1 ? 3 : qt == DType::Q4_0 ? 2
                        : qt == DType::Q5_0 ? 6 : qt == DType::Q5_1 ? 7 : 0;
    b.tensor(gg, shape, id, q);
  };
  auto vec = [&](const std::string& hf, const std::string& gg) {
    auto [shape, v] = get(hf);
    b.tensor(gg, shape, 0, f32_bytes(v));
  };
  matrix("model.embed_tokens.weight", "token_embd.weight", 0);
  vec("model.norm.weight", "output_norm.weight");
  if (!c.tie_word_embeddings) matrix("lm_head.weight", "output.weight", 0);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string hf = "model.layers." + std::to_string(i) + ".", gg = "blk." + std::to_string(i) + ".";
    vec(hf + "input_layernorm.weight", gg + "attn_norm.weight");
    vec(hf + "post_attention_layernorm.weight", gg + "ffn_norm.weight");
    // llama.cpp permutes q/k for its pairwise RoPE in llama models only; qwen2 uses NeoX order.
    matrix(hf + "self_attn.q_proj.weight", gg + "attn_q.weight", qwen2 ? 0 : c.num_heads);
    matrix(hf + "self_attn.k_proj.weight", gg + "attn_k.weight", qwen2 ? 0 : c.num_kv_heads);
    if (c.qkv_bias)
      for (const char* x : {"q", "k", "v"})
        vec(hf + "self_attn." + x + "_proj.bias", gg + "attn_" + x + ".bias");
    matrix(hf + "self_attn.v_proj.weight", gg + "attn_v.weight", 0);
    matrix(hf + "self_attn.o_proj.weight", gg + "attn_output.weight", 0);
    matrix(hf + "mlp.gate_proj.weight", gg + "ffn_gate.weight", 0);
    matrix(hf + "mlp.up_proj.weight", gg + "ffn_up.weight", 0);
    matrix(hf + "mlp.down_proj.weight", gg + "ffn_down.weight", 0);
  }
  b.write(out);
  return out;
}

std::string temp_path(const std::string& leaf) {
  return (fs::temp_directory_path() / ("sunbae_ggufm_" + std::to_string(::getpid()) + "_" + leaf)).string();
}

std::vector<float> all_logits(const model::Model& m, const std::vector<int32_t>& prompt) {
  kv::BlockAllocator alloc(kv::blocks_for_tokens(int64_t(prompt.size())) + 1);
  kv::KVCache cache(m.kv_layout(alloc.num_blocks()));
  kv::BlockTable t;
  EXPECT_TRUE(t.reserve(alloc, int64_t(prompt.size())));
  model::Batch batch;
  model::SequenceStep s;
  s.tokens = prompt;
  s.start_pos = 0;
  s.blocks = &t.blocks();
  for (size_t i = 0; i < prompt.size(); ++i) s.logit_rows.push_back(int32_t(i));
  batch.seqs.push_back(s);
  model::Logits l = m.forward(batch, cache);
  return l.data;
}

double max_rel_err(const std::vector<float>& a, const std::vector<float>& ref) {
  double max_ref = 0, max_diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    max_ref = std::max(max_ref, std::fabs(double(ref[i])));
    max_diff = std::max(max_diff, std::fabs(double(a[i]) - ref[i]));
  }
  return max_diff / max_ref;
}

}  // namespace

TEST(GgufModel, UnpermuteInvertsLlamaCppPermute) {
  const int64_t heads = 3, hd = 8, cols = 5;
  std::vector<float> w(size_t(heads * hd * cols));
  for (size_t i = 0; i < w.size(); ++i) w[i] = float(i);
  const std::vector<float> p = llama_cpp_permute(w.data(), heads * hd, cols, heads);
  EXPECT_NE(p, w);
  std::vector<float> back(w.size());
  model::unpermute_rope_rows(reinterpret_cast<const char*>(p.data()), reinterpret_cast<char*>(back.data()),
                             heads, hd, size_t(cols) * 4);
  EXPECT_EQ(back, w);
}

TEST(GgufModel, HfNamesMapToLlamaCppNames) {
  EXPECT_EQ(model::GgufSource::gguf_name("model.embed_tokens.weight"), "token_embd.weight");
  EXPECT_EQ(model::GgufSource::gguf_name("model.layers.12.self_attn.k_proj.bias"), "blk.12.attn_k.bias");
  EXPECT_EQ(model::GgufSource::gguf_name("model.layers.3.mlp.down_proj.weight"), "blk.3.ffn_down.weight");
  EXPECT_EQ(model::GgufSource::gguf_name("lm_head.weight"), "output.weight");
  EXPECT_EQ(model::GgufSource::gguf_name("model.layers.x.mlp.down_proj.weight"), "");
  EXPECT_EQ(model::GgufSource::gguf_name("model.layers.1.nope"), "");
}

// F32 GGUF: the same arithmetic as the safetensors path, so transformers' tolerance (1e-5 of
// the largest logit, as in test_golden.cpp) holds, and greedy decoding matches.
TEST(GgufModel, MistralFixtureAsGgufMatchesTransformers) {
  const Golden g = load_golden(std::string(SUNBAE_FIXTURES_DIR) + "/mistral");
  const std::string path = write_llama_gguf(g.dir, temp_path("f32.gguf"), DType::F32);
  auto m = model::Model::load(path);
  EXPECT_EQ(m->config().architecture, "MistralForCausalLM");
  EXPECT_EQ(m->config().head_dim, 24);
  EXPECT_EQ(m->config().sliding_window, 8);
  EXPECT_LT(max_rel_err(all_logits(*m, g.prompt), g.logits), 1e-5);
  engine::GenerateOptions o;
  o.max_tokens = int64_t(g.greedy.size());
  o.ignore_eos = true;
  EXPECT_EQ(engine::generate(*m, g.prompt, o).tokens, g.greedy);
  fs::remove(path);
}

// Quantized weights computed in place against the same weights dequantized and computed in
// f32: what remains is the 8-bit quantization of the activations that the integer dot products
// take (as llama.cpp's do). Tolerance relative to the largest logit: measured 3.9-4.5% on this
// random-weight fixture (whose logits are small and nearly flat, the worst case for a relative
// measure), bound 6e-2. A lost un-permutation or a misread block moves them by ~100%.
// The Qwen2 fixture (q/k/v biases, tied embeddings, no permutation). GGUF has no sliding window
// for qwen2 (llama.cpp ignores it), so only the rows the fixture's window of 6 cannot affect are
// compared: positions 0-5 see all their keys either way.
TEST(GgufModel, Qwen2FixtureAsGgufMatchesTransformers) {
  const Golden g = load_golden(std::string(SUNBAE_FIXTURES_DIR) + "/qwen2");
  const std::string path = write_llama_gguf(g.dir, temp_path("qwen2.gguf"), DType::F32);
  auto m = model::Model::load(path);
  EXPECT_EQ(m->config().architecture, "Qwen2ForCausalLM");
  EXPECT_TRUE(m->config().qkv_bias);
  EXPECT_TRUE(m->config().tie_word_embeddings);
  const size_t rows = 6 * size_t(g.vocab);
  const std::vector<float> got = all_logits(*m, g.prompt);
  EXPECT_LT(max_rel_err(std::vector<float>(got.begin(), got.begin() + long(rows)),
                        std::vector<float>(g.logits.begin(), g.logits.begin() + long(rows))), 1e-5);
  fs::remove(path);
}

// The Llama fixture (llama3 rope scaling, which GGUF carries as rope_freqs.weight factors).
TEST(GgufModel, LlamaFixtureWithRopeFactorsMatchesTransformers) {
  const Golden g = load_golden(std::string(SUNBAE_FIXTURES_DIR) + "/llama");
  const std::string path = write_llama_gguf(g.dir, temp_path("llama3.gguf"), DType::F32);
  auto m = model::Model::load(path);
  EXPECT_EQ(m->config().rope.freq_factors.size(), size_t(m->config().head_dim / 2));
  EXPECT_LT(max_rel_err(all_logits(*m, g.prompt), g.logits), 1e-5);
  fs::remove(path);
}

TEST(GgufModel, QuantizedWeightsMatchTheirDequantizedValues) {
  const Golden g = load_golden(std::string(SUNBAE_FIXTURES_DIR) + "/mistral");
  for (DType qt : {DType::Q8_0, DType::Q4_1, DType::Q4_0, DType::Q5_0, DType::Q5_1}) {
    SCOPED_TRACE(dtype_name(qt));
    const std::string qp = write_llama_gguf(g.dir, temp_path(std::string(dtype_name(qt)) + ".gguf"), qt);
    const std::string fp = write_llama_gguf(g.dir, temp_path(std::string(dtype_name(qt)) + "f.gguf"), qt, true);
    auto mq = model::Model::load(qp);
    auto mf = model::Model::load(fp);
    EXPECT_EQ(mq->weights().dtypes, (std::vector<std::string>{"F32", dtype_name(qt)}));
    const double err = max_rel_err(all_logits(*mq, g.prompt), all_logits(*mf, g.prompt));
    EXPECT_LT(err, 6e-2);
    EXPECT_GT(err, 0.0);  // the quantized kernels did run
    fs::remove(qp);
    fs::remove(fp);
  }
}

TEST(GgufModel, UnsupportedInputsFailClearly) {
  GgufBuilder b;
  b.kv_str("general.architecture", "gemma");
  const std::string p = temp_path("bad.gguf");
  b.write(p);
  try {
    model::Model::load(p);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'gemma' is not supported"), std::string::npos) << e.what();
  }
  GgufBuilder t;
  t.kv_str("tokenizer.ggml.model", "llama");
  t.write(p);
  EXPECT_THROW(tok::load_gguf_tokenizer(*io::GgufFile::open(p)), Error);
  fs::remove(p);
}

// A byte-level BPE vocabulary in GGUF metadata feeds the tokenizer.json pipeline: merges,
// control tokens matched whole, bos added when add_bos_token says so, template and specials.
TEST(GgufModel, Gpt2TokenizerFromMetadata) {
  GgufBuilder b;
  b.kv_str("tokenizer.ggml.model", "gpt2");
  b.kv_str("tokenizer.ggml.pre", "smollm");
  b.kv_strs("tokenizer.ggml.tokens", {"<s>", "</s>", "h", "i", "Ġ", "1", "2", "hi", "Ġh", "Ġhi"});
  b.kv_i32s("tokenizer.ggml.token_type", {3, 3, 1, 1, 1, 1, 1, 1, 1, 1});
  b.kv_strs("tokenizer.ggml.merges", {"Ġ h", "Ġh i", "h i"});
  b.kv_u32("tokenizer.ggml.bos_token_id", 0);
  b.kv_u32("tokenizer.ggml.eos_token_id", 1);
  b.kv_bool("tokenizer.ggml.add_bos_token", true);
  b.kv_str("tokenizer.chat_template", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}");
  const std::string p = temp_path("tok.gguf");
  b.write(p);
  auto t = tok::Tokenizer::load(p);
  EXPECT_EQ(t->encode("hi hi12</s>", true), (std::vector<int32_t>{0, 7, 9, 5, 6, 1}));
  EXPECT_EQ(t->encode("hi", false), (std::vector<int32_t>{7}));
  EXPECT_EQ(t->decode({0, 7, 9, 1}, true), "hi hi");
  EXPECT_TRUE(t->is_special(1));
  EXPECT_EQ(t->chat_template(), "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}");
  EXPECT_EQ(t->bos_token(), "<s>");
  fs::remove(p);
}

}  // namespace sunbae::test
