#pragma once
// Hugging Face tensor names of the Llama-family checkpoints (Llama, Mistral, Qwen2 share them).
#include <string>

namespace sunbae::model::names {

inline const char* kEmbed = "model.embed_tokens.weight";
inline const char* kFinalNorm = "model.norm.weight";
inline const char* kLmHead = "lm_head.weight";

inline std::string layer(int64_t i, const char* leaf) {
  return "model.layers." + std::to_string(i) + "." + leaf;
}
// Leaves under model.layers.N.
inline const char* kAttnNorm = "input_layernorm.weight";
inline const char* kMlpNorm = "post_attention_layernorm.weight";
inline const char* kQ = "self_attn.q_proj";
inline const char* kK = "self_attn.k_proj";
inline const char* kV = "self_attn.v_proj";
inline const char* kO = "self_attn.o_proj";
inline const char* kGate = "mlp.gate_proj";
inline const char* kUp = "mlp.up_proj";
inline const char* kDown = "mlp.down_proj";

}  // namespace sunbae::model::names
