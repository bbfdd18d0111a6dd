#include "io/gguf_config.h"

#include <cmath>

#include "core/error.h"

namespace sunbae::io {

using nlohmann::json;

json gguf_hf_config(const GgufFile& g) {
  const std::string arch = g.get_string("general.architecture");
  SUNBAE_CHECK(arch == "llama" || arch == "qwen2", g.path(), ": general.architecture '", arch,
               "' is not supported (llama, qwen2 are)");
  auto key = [&](const char* k) { return arch + "." + k; };
  auto opt_int = [&](const std::string& k) -> std::optional<int64_t> {
    return g.find(k) ? std::optional(g.get_int(k)) : std::nullopt;
  };
  json c;
  c["architectures"] = {arch == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"};
  c["model_type"] = arch;
  c["hidden_size"] = g.get_int(key("embedding_length"));
  c["intermediate_size"] = g.get_int(key("feed_forward_length"));
  c["num_hidden_layers"] = g.get_int(key("block_count"));
  const int64_t heads = g.get_int(key("attention.head_count"));
  c["num_attention_heads"] = heads;
  c["num_key_value_heads"] = opt_int(key("attention.head_count_kv")).value_or(heads);
  c["max_position_embeddings"] = g.get_int(key("context_length"));
  c["rms_norm_eps"] = g.get_float(key("attention.layer_norm_rms_epsilon"));
  if (g.find(key("rope.freq_base"))) c["rope_theta"] = g.get_float(key("rope.freq_base"));

  // The vocabulary is the token table; the embedding matrix must agree (checked at load).
  const GgufValue* tokens = g.find("tokenizer.ggml.tokens");
  if (auto n = opt_int(key("vocab_size"))) c["vocab_size"] = *n;
  else if (tokens) c["vocab_size"] = int64_t(tokens->size());
  else if (const GgufTensor* e = g.tensor("token_embd.weight")) c["vocab_size"] = e->shape[0];
  else fail(g.path(), ": no vocabulary size (no ", key("vocab_size"), ", tokens or token_embd)");

  const int64_t hidden = c["hidden_size"].get<int64_t>();
  int64_t head_dim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0;
  if (auto kl = opt_int(key("attention.key_length"))) {
    head_dim = *kl;
    c["head_dim"] = *kl;
    auto vl = opt_int(key("attention.value_length"));
    SUNBAE_CHECK(!vl || *vl == *kl, g.path(), ": attention.value_length ", *vl,
                 " differs from key_length ", *kl, " (not supported)");
  }
  if (auto rd = opt_int(key("rope.dimension_count"))) {
    SUNBAE_CHECK(*rd == head_dim, g.path(), ": ", key("rope.dimension_count"), " = ", *rd,
                 " differs from the head dimension ", head_dim, " (partial rotary is not supported for ", arch, ")");
  }
  if (g.find(key("rope.scaling.type"))) {
    const std::string t = g.get_string(key("rope.scaling.type"));
    if (t == "linear") {
      c["rope_scaling"] = {{"type", "linear"}, {"factor", g.get_float(key("rope.scaling.factor"))}};
    } else {
      SUNBAE_CHECK(t == "none", g.path(), ": rope scaling '", t, "' is not supported (linear, none are)");
    }
  }
  if (auto w = opt_int(key("attention.sliding_window")); w && *w > 0) {
    SUNBAE_CHECK(arch == "llama", g.path(), ": sliding window is read for llama only");
    c["architectures"] = {"MistralForCausalLM"};
    c["model_type"] = "mistral";
    c["sliding_window"] = *w;
  }
  // llama.cpp's converter drops output.weight exactly when the model ties it to the embedding.
  c["tie_word_embeddings"] = g.tensor("output.weight") == nullptr;
  if (arch == "llama")
    c["attention_bias"] = g.tensor("blk.0.attn_q.bias") != nullptr;
  if (auto id = opt_int("tokenizer.ggml.bos_token_id")) c["bos_token_id"] = *id;
  if (auto id = opt_int("tokenizer.ggml.eos_token_id")) c["eos_token_id"] = *id;
  if (auto id = opt_int("tokenizer.ggml.padding_token_id")) c["pad_token_id"] = *id;
  return c;
}

ModelConfig gguf_model_config(const GgufFile& g) {
  ModelConfig c = parse_model_config(gguf_hf_config(g).dump(), "", g.path());
  // llama3-style scaling arrives as one divisor per rotary frequency (convert_hf_to_gguf.py
  // computes them from rope_scaling and stores them instead of the parameters).
  if (const GgufTensor* t = g.tensor("rope_freqs.weight")) {
    const int64_t rot = int64_t(double(c.head_dim) * c.rope.partial_rotary_factor);
    SUNBAE_CHECK(t->dtype == DType::F32 && t->shape == std::vector<int64_t>{rot / 2}, g.path(),
                 ": rope_freqs.weight must be F32 [", rot / 2, "], is ", ggml_type_name(t->ggml_type), " ",
                 shape_str(t->shape));
    const TensorView v = g.view(*t);
    const auto* f = static_cast<const float*>(v.data);
    for (int64_t i = 0; i < rot / 2; ++i) {
      SUNBAE_CHECK(std::isfinite(f[i]) && f[i] > 0, g.path(), ": rope_freqs.weight[", i, "] = ", f[i],
                   " is not a positive factor");
      c.rope.freq_factors.push_back(f[i]);
    }
  }
  return c;
}

}  // namespace sunbae::io
