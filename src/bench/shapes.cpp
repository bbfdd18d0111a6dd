#include "bench/shapes.h"

#include "core/error.h"

namespace sunbae::bench {

// Each config is the model's published config.json on the Hugging Face Hub, less the keys no
// shape depends on (initializer_range, use_cache, transformers_version, attention_dropout,
// pretraining_tp, auto_map). Numbers were checked against the Hub file or, where noted, against
// copies that name the model as their source.
const std::vector<NamedShape>& named_shapes() {
  static const std::vector<NamedShape> shapes = {
      {"mistral-7b", "mistralai/Mistral-7B-Instruct-v0.3",
       // huggingface.co/mistralai/Mistral-7B-Instruct-v0.3, config.json at c170c708.
       R"json({
  "architectures": ["MistralForCausalLM"],
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "max_position_embeddings": 32768,
  "model_type": "mistral",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05,
  "rope_theta": 1000000.0,
  "sliding_window": null,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "vocab_size": 32768
})json",
       true},
      {"qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct",
       // From copies whose _name_or_path is Qwen/Qwen2.5-7B-Instruct (all agree), and a commit
       // restoring the original sliding_window 131072; the Hub file itself was not readable here.
       R"json({
  "architectures": ["Qwen2ForCausalLM"],
  "bos_token_id": 151643,
  "eos_token_id": 151645,
  "hidden_act": "silu",
  "hidden_size": 3584,
  "intermediate_size": 18944,
  "max_position_embeddings": 32768,
  "max_window_layers": 28,
  "model_type": "qwen2",
  "num_attention_heads": 28,
  "num_hidden_layers": 28,
  "num_key_value_heads": 4,
  "rms_norm_eps": 1e-06,
  "rope_theta": 1000000.0,
  "sliding_window": 131072,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "use_sliding_window": false,
  "vocab_size": 152064
})json",
       true},
      {"llama-3-8b", "meta-llama/Meta-Llama-3-8B-Instruct",
       // From copies whose _name_or_path is meta-llama/Meta-Llama-3-8B-Instruct; eos 128009
       // (<|eot_id|>) per Meta's commit 4d6c61da, which replaced 128001.
       R"json({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 128000,
  "eos_token_id": 128009,
  "hidden_act": "silu",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "max_position_embeddings": 8192,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "rope_theta": 500000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "vocab_size": 128256
})json",
       true},
      {"llama-2-ko-7b", "kfkas/Llama-2-ko-7b-Chat",
       // huggingface.co/kfkas/Llama-2-ko-7b-Chat, config.json at 1724da7: Llama-2-7B with the
       // beomi/llama-2-ko-7b vocabulary (32000 -> 46336). It publishes no rope_theta (10000).
       R"json({
  "architectures": ["LlamaForCausalLM"],
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 4096,
  "intermediate_size": 11008,
  "max_length": 4096,
  "max_position_embeddings": 2048,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 32,
  "pad_token_id": 0,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "tie_word_embeddings": false,
  "torch_dtype": "float16",
  "vocab_size": 46336
})json",
       true},
      {"gemma-2-9b", "google/gemma-2-9b-it",
       // A verbatim copy of google/gemma-2-9b-it's config.json (after Google's fix of
       // query_pre_attn_scalar 224 -> 256). No tie_word_embeddings key: Gemma2Config ties.
       R"json({
  "architectures": ["Gemma2ForCausalLM"],
  "attention_bias": false,
  "attn_logit_softcapping": 50.0,
  "bos_token_id": 2,
  "cache_implementation": "hybrid",
  "eos_token_id": 1,
  "final_logit_softcapping": 30.0,
  "head_dim": 256,
  "hidden_act": "gelu_pytorch_tanh",
  "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 3584,
  "intermediate_size": 14336,
  "max_position_embeddings": 8192,
  "model_type": "gemma2",
  "num_attention_heads": 16,
  "num_hidden_layers": 42,
  "num_key_value_heads": 8,
  "pad_token_id": 0,
  "query_pre_attn_scalar": 256,
  "rms_norm_eps": 1e-06,
  "rope_theta": 10000.0,
  "sliding_window": 4096,
  "sliding_window_size": 4096,
  "torch_dtype": "bfloat16",
  "vocab_size": 256000
})json",
       false},
      {"gemma-ko-7b", "beomi/gemma-ko-7b",
       // huggingface.co/beomi/gemma-ko-7b, config.json at 4a4b859.
       R"json({
  "architectures": ["GemmaForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 2,
  "eos_token_id": 1,
  "head_dim": 256,
  "hidden_act": "gelu",
  "hidden_size": 3072,
  "intermediate_size": 24576,
  "max_position_embeddings": 8192,
  "model_type": "gemma",
  "num_attention_heads": 16,
  "num_hidden_layers": 28,
  "num_key_value_heads": 16,
  "pad_token_id": 0,
  "rms_norm_eps": 1e-06,
  "rope_scaling": null,
  "rope_theta": 10000.0,
  "torch_dtype": "bfloat16",
  "vocab_size": 256000
})json",
       false},
      {"polyglot-ko-12.8b", "beomi/KoAlpaca-Polyglot-12.8B",
       // huggingface.co/beomi/KoAlpaca-Polyglot-12.8B, config.json at f681928.
       R"json({
  "architectures": ["GPTNeoXForCausalLM"],
  "bos_token_id": 0,
  "classifier_dropout": 0.1,
  "eos_token_id": 0,
  "hidden_act": "gelu",
  "hidden_size": 5120,
  "intermediate_size": 20480,
  "layer_norm_eps": 1e-05,
  "max_position_embeddings": 2048,
  "model_type": "gpt_neox",
  "num_attention_heads": 40,
  "num_hidden_layers": 40,
  "rotary_emb_base": 10000,
  "rotary_pct": 0.5,
  "tie_word_embeddings": false,
  "torch_dtype": "float16",
  "use_parallel_residual": true,
  "vocab_size": 30003
})json",
       true},
      {"deepseek-v2", "deepseek-ai/DeepSeek-V2-Chat",
       // huggingface.co/deepseek-ai/DeepSeek-V2-Chat config.json at f1e9ce2 for the shapes and
       // rope_scaling; routed_scaling_factor, topk_group, v_head_dim and vocab_size as in
       // DeepSeek's own config_236B.json. That early commit names the class DeepseekForCausalLM
       // (model_type "deepseek"); the V2 names below are those of DeepSeek-V2-Chat-0628 and the
       // later V2 repos. Which names the current main branch carries was not confirmed.
       R"json({
  "architectures": ["DeepseekV2ForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 100000,
  "eos_token_id": 100001,
  "first_k_dense_replace": 1,
  "hidden_act": "silu",
  "hidden_size": 5120,
  "intermediate_size": 12288,
  "kv_lora_rank": 512,
  "max_position_embeddings": 163840,
  "model_type": "deepseek_v2",
  "moe_intermediate_size": 1536,
  "moe_layer_freq": 1,
  "n_group": 8,
  "n_routed_experts": 160,
  "n_shared_experts": 2,
  "norm_topk_prob": false,
  "num_attention_heads": 128,
  "num_experts_per_tok": 6,
  "num_hidden_layers": 60,
  "num_key_value_heads": 128,
  "q_lora_rank": 1536,
  "qk_nope_head_dim": 128,
  "qk_rope_head_dim": 64,
  "rms_norm_eps": 1e-06,
  "rope_scaling": {
    "beta_fast": 32,
    "beta_slow": 1,
    "factor": 40,
    "mscale": 0.707,
    "mscale_all_dim": 0.707,
    "original_max_position_embeddings": 4096,
    "type": "yarn"
  },
  "rope_theta": 10000,
  "routed_scaling_factor": 16.0,
  "scoring_func": "softmax",
  "seq_aux": true,
  "tie_word_embeddings": false,
  "topk_group": 3,
  "topk_method": "group_limited_greedy",
  "torch_dtype": "bfloat16",
  "v_head_dim": 128,
  "vocab_size": 102400
})json",
       false},
  };
  return shapes;
}

const NamedShape& find_shape(const std::string& name) {
  std::string names;
  for (const NamedShape& s : named_shapes()) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  fail("unknown shape '", name, "'; valid names: ", names);
}

}  // namespace sunbae::bench
