#pragma once
// How the GPU backend spends device memory: weights, the paged KV cache, activation buffers and
// library workspaces, planned on the host from the config before anything is allocated, so a
// budget that cannot hold the model is refused with a message naming what does not fit. The
// budget (--gpu-memory) lets a big card imitate a small one (an L4's 24 GB on an H200).
#include <cstdint>
#include <optional>
#include <string>

#include "core/dtype.h"
#include "io/model_config.h"

namespace sunbae::model {

struct CudaOptions {
  int64_t max_batch_tokens = 512;  // rows of one step
  int64_t max_seqs = 64;           // sequences of one step
  int64_t max_logit_rows = 0;      // logit rows of one step; 0: max_seqs
  int64_t max_context = 0;         // tokens of one sequence; 0: the model's max_position_embeddings
  int64_t kv_blocks = 0;           // 0: as many as the memory budget leaves
  double gpu_memory_mb = 0;        // budget for everything; 0: 90% of the memory free at start
  std::optional<DType> weight_dtype;  // BF16 or F16; default F16 for all-f16 checkpoints, else BF16
  int64_t max_graph_tokens = 64;   // decode steps up to this many rows replay CUDA graphs
  // Benchmarks: make the weights on the GPU (random, at bench::SyntheticWeights' scales) instead
  // of copying the host's, which may then be unfilled placeholders.
  std::optional<uint64_t> synthetic_seed;
};

struct GpuMemoryReport {
  double weights_mb = 0, kv_cache_mb = 0, activations_mb = 0, workspace_mb = 0;
  double budget_mb = 0, free_at_start_mb = 0;
  int64_t kv_blocks = 0, kv_block_bytes = 0;  // bytes of one block over all layers, K and V
  int64_t max_context = 0, max_blocks_per_seq = 0, max_logit_rows = 0;
  DType weight_dtype = DType::BF16;
  double total_mb() const { return weights_mb + kv_cache_mb + activations_mb + workspace_mb; }
};

// Empty when the CUDA backend runs this config's block; otherwise why not, naming the
// architecture. Its kernels fuse the Llama block (RMSNorm prologues, SiLU-gated MLP, sequential
// residual): GPT-NeoX's LayerNorm, plain GELU MLP and parallel residual have no CUDA kernels.
std::string cuda_unsupported(const io::ModelConfig& c);

// Activation bytes of one step buffer set (shared by the plan and the allocation).
struct ActivationSizes {
  int64_t x, h, hb, qkv, q, att, gate_up, act, picked, logits, meta;
  int64_t total() const { return x + h + hb + qkv + q + att + gate_up + act + picked + logits + meta; }
};
ActivationSizes activation_sizes(const io::ModelConfig& c, int64_t max_tokens, int64_t max_seqs,
                                 int64_t logit_rows, int64_t max_blocks_per_seq);

// Bytes of the weights as the GPU holds them (fused matrices, f32 norms and biases).
int64_t gpu_weight_bytes(const io::ModelConfig& c, DType weight_dtype);

// `workspace_bytes`: library and kernel workspaces the caller will allocate besides.
GpuMemoryReport plan_gpu_memory(const io::ModelConfig& c, const CudaOptions& o, DType weight_dtype,
                                double free_mb, int64_t workspace_bytes);

}  // namespace sunbae::model
