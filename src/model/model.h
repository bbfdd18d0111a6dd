#pragma once
// A decoder-only transformer on the CPU backend: Llama, Mistral, Qwen2 and GPT-NeoX through one
// shared block builder driven by ModelConfig's features, weights zero-copy from safetensors
// (GPT-NeoX's fused q/k/v is the one copy: split into q, k and v at load).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/communicator.h"
#include "io/model_config.h"
#include "io/safetensors.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/linear.h"
#include "model/tensor_source.h"
#include "model/tp_shard.h"

namespace sunbae::model {

// Norms: the scale, and for LayerNorm the bias (empty for RMSNorm), each [hidden].
struct LayerWeights {
  std::vector<float> attn_norm, attn_norm_bias;
  std::vector<float> mlp_norm, mlp_norm_bias;
  Linear q, k, v, o;             // q: [heads * head_dim, hidden], k/v: [kv_heads * head_dim, hidden]
  Linear gate, up, down;         // gate/up: [intermediate, hidden], down: [hidden, intermediate];
                                 // gate empty (no rows) when the MLP is not gated
  bool sliding = false;          // this layer attends within config.sliding_window
};

struct ModelWeights {
  TensorView embed;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm, final_norm_bias;
  Linear lm_head;                 // [vocab, hidden]; the embedding table when tied
  int64_t bytes = 0;              // weight bytes as stored
  std::vector<std::string> dtypes;  // distinct dtypes of the stored tensors
};

class Model {
 public:
  // Reads DIR/config.json, generation_config.json and the safetensors weights, or, when `dir`
  // is a GGUF file, its metadata and tensors; every tensor is checked for presence, dtype and
  // shape. Throws Error naming the directory (file) and tensor.
  static std::unique_ptr<Model> load(const std::string& dir);
  // A config and weights from elsewhere (synthetic weights for benchmarks, tests).
  static std::unique_ptr<Model> from_parts(io::ModelConfig config,
                                           std::unique_ptr<TensorSource> weights);
  // What load reads, before any tensor is checked: the config and where the tensors come from.
  static std::pair<io::ModelConfig, std::unique_ptr<TensorSource>> open(const std::string& dir);
  // One tensor-parallel rank of the model `full` describes (tp_shard.h): config() is the shard's
  // shapes, weights() only its part. `weights` is shared by the ranks and must outlive them.
  static std::unique_ptr<Model> load_shard(const io::ModelConfig& full, std::shared_ptr<const TensorSource> weights,
                                           const TpShard& shard);

  const io::ModelConfig& config() const { return config_; }
  const TpShard& shard() const { return shard_; }  // world 1 unless made by load_shard
  int64_t vocab_size() const { return shard_.vocab_size; }  // the whole vocabulary, sharded or not
  const ModelWeights& weights() const { return weights_; }
  kv::KVLayout kv_layout(int64_t num_blocks) const;

  // Runs one step for every sequence in the batch: writes their new tokens' K/V into `cache`
  // and returns the logits of the requested rows. Throws Error on invalid input (token ids
  // outside the vocabulary, block tables too short) before touching the cache.
  // A rank of a tensor-parallel group passes its communicator: every rank runs the same batch,
  // and each returns the whole vocabulary's logits.
  Logits forward(const Batch& batch, kv::KVCache& cache, Communicator* comm = nullptr) const;

  // Throws Error for a batch that forward would refuse with a cache of this layout. Shared with
  // the CUDA runner so both backends accept exactly the same inputs.
  void validate(const Batch& batch, const kv::KVLayout& layout) const;
  // RoPE inverse frequencies (rot_dim / 2 of them) for a sequence currently seq_len long; only
  // dynamic NTK scaling depends on the length.
  std::vector<float> inv_freq_for(int64_t seq_len) const;

 private:
  Model(io::ModelConfig config, std::unique_ptr<TensorSource> weights);

  io::ModelConfig config_;
  TpShard shard_;
  std::unique_ptr<TensorSource> source_;
  ModelWeights weights_;
  std::vector<std::vector<float>> owned_;  // copies of tensors that were not aligned in the file
  std::vector<Buffer> split_;              // q, k and v rows split out of a fused q/k/v
  std::vector<float> inv_freq_;            // rope frequencies (static types)
};

}  // namespace sunbae::model
