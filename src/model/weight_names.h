#pragma once
// Hugging Face tensor names per architecture, as llama.cpp's llama-arch.cpp keeps them: one table
// row per family, the roles shared. Names carry no ".weight"/".bias": the loader appends what the
// config's features call for.
#include <cstdint>
#include <string>

#include "io/model_config.h"

namespace sunbae::model {

struct WeightNames {
  const char* embed;       // [vocab, hidden]
  const char* final_norm;  // [hidden]
  const char* lm_head;     // [vocab, hidden]
  const char* layers;      // prefix of layer N's tensors, "...layers." then N
  // Leaves under layer N.
  const char* attn_norm;
  const char* mlp_norm;
  const char* q;    // separate q/k/v (nullptr when fused)
  const char* k;
  const char* v;
  const char* qkv;  // fused q/k/v, rows grouped per head: [heads, 3 (q, k, v), head_dim] (GPT-NeoX)
  const char* o;
  const char* gate;  // nullptr when the MLP is not gated
  const char* up;
  const char* down;

  std::string layer(int64_t i, const char* leaf) const {
    return std::string(layers) + std::to_string(i) + "." + leaf;
  }
};

inline constexpr WeightNames kLlamaNames{
    "model.embed_tokens", "model.norm", "lm_head", "model.layers.", "input_layernorm",
    "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", nullptr,
    "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

inline constexpr WeightNames kGptNeoXNames{
    "gpt_neox.embed_in", "gpt_neox.final_layer_norm", "embed_out", "gpt_neox.layers.", "input_layernorm",
    "post_attention_layernorm", nullptr, nullptr, nullptr, "attention.query_key_value", "attention.dense",
    nullptr, "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"};

// Llama, Mistral and Qwen2 share one naming.
inline const WeightNames& weight_names(io::Family f) {
  return f == io::Family::GptNeoX ? kGptNeoXNames : kLlamaNames;
}

}  // namespace sunbae::model
