#pragma once
// Hugging Face config.json (+ generation_config.json) -> ModelConfig: the one description of a
// model's shape and features that the model builder, memory planner and benchmark read.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace sunbae::io {

enum class Family { Llama, Qwen2, GptNeoX };  // Mistral is Llama with a sliding window

enum class NormType { RMSNorm, LayerNorm };  // LayerNorm: mean-centred, with a bias
enum class Activation { Silu, Gelu };        // Gelu: the exact erf form (transformers' "gelu")

enum class RopeType { Default, Linear, Dynamic, Llama3 };

struct RopeConfig {
  RopeType type = RopeType::Default;
  double theta = 10000.0;
  double factor = 1.0;                        // linear, dynamic, llama3
  double low_freq_factor = 1.0;               // llama3
  double high_freq_factor = 4.0;              // llama3
  int64_t original_max_position_embeddings = 0;  // llama3, dynamic (0: max_position_embeddings)
  double partial_rotary_factor = 1.0;         // fraction of head_dim that rotates
  // Per-frequency divisors (rot_dim / 2 of them) applied after `type`'s own scaling: how GGUF
  // files carry llama3 scaling (llama.cpp's rope_freqs.weight). Empty: none.
  std::vector<float> freq_factors;
};

struct GenerationDefaults {
  bool do_sample = false;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  std::optional<int64_t> max_new_tokens;
  double repetition_penalty = 1.0;
};

struct ModelConfig {
  std::string architecture;  // as in config.json, e.g. "MistralForCausalLM"
  std::string model_type;    // e.g. "mistral"
  Family family = Family::Llama;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;  // GQA; equals num_heads when config omits it
  int64_t head_dim = 0;      // explicit "head_dim" or hidden_size / num_heads
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;  // the epsilon of whichever norm `norm` names
  RopeConfig rope;
  std::string hidden_act = "silu";

  // The block's shape. Llama family: RMSNorm, SiLU-gated MLP, sequential residual. GPT-NeoX:
  // LayerNorm with bias, plain GELU MLP, and (use_parallel_residual)
  // x + attn(ln1(x)) + mlp(ln2(x)) instead of x' = x + attn(ln1(x)); x' + mlp(ln2(x')).
  NormType norm = NormType::RMSNorm;
  Activation activation = Activation::Silu;
  bool gated_mlp = true;  // down(act(gate(x)) * up(x)); false: down(act(up(x)))
  bool parallel_residual = false;

  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // Qwen2 always; Llama when attention_bias
  bool o_bias = false;    // Llama and GPT-NeoX when attention_bias
  bool mlp_bias = false;  // Llama when mlp_bias; GPT-NeoX always

  // Sliding-window attention: a query at position p sees keys at positions > p - window.
  // layer_sliding[i] says whether layer i uses it (Mistral: all layers when sliding_window is
  // set; Qwen2: per "layer_types", or use_sliding_window with max_window_layers).
  std::optional<int64_t> sliding_window;
  std::vector<bool> layer_sliding;

  std::vector<int64_t> bos_token_ids;  // config "bos_token_id": int or list (generation_config wins)
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  DType dtype = DType::F32;  // "dtype" or "torch_dtype": what the checkpoint was saved as
  GenerationDefaults generation;

  // Parameter count implied by the shapes (embeddings counted once when tied).
  int64_t num_parameters() const;
};

// Reads dir/config.json and, if present, dir/generation_config.json. Throws Error naming the file
// and field for anything missing or invalid; unknown architectures list the supported ones.
ModelConfig load_model_config(const std::string& dir);
// The same from JSON text (config, and generation config or empty); `source` names it in errors.
ModelConfig parse_model_config(const std::string& config_json, const std::string& generation_json,
                               const std::string& source);
// "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPTNeoXForCausalLM"
std::string supported_architectures();

}  // namespace sunbae::io
