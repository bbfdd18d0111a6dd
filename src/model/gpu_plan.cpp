#include "model/gpu_plan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kv/block_allocator.h"

namespace sunbae::model {

namespace {
constexpr double kMiB = 1 << 20;
}

std::string cuda_unsupported(const io::ModelConfig& c) {
  if (c.norm == io::NormType::RMSNorm && c.activation == io::Activation::Silu && c.gated_mlp && !c.parallel_residual)
    return "";
  return cat(c.architecture, " is not supported on the GPU (LlamaForCausalLM, MistralForCausalLM and ",
             "Qwen2ForCausalLM are); run it with --device cpu");
}

int64_t gpu_weight_bytes(const io::ModelConfig& c, DType wt) {
  const int64_t e = int64_t(dtype_size(wt));
  const int64_t H = c.hidden_size, F = c.intermediate_size, V = c.vocab_size;
  const int64_t qd = c.num_heads * c.head_dim, kvd = c.num_kv_heads * c.head_dim;
  int64_t layer = (qd + 2 * kvd) * H * e + qd * H * e + 2 * F * H * e + H * F * e;  // qkv, o, gate_up, down
  layer += 2 * H * 4;                                                                  // norms (f32)
  if (c.qkv_bias) layer += (qd + 2 * kvd) * 4;
  if (c.o_bias) layer += H * 4;
  if (c.mlp_bias) layer += (2 * F + H) * 4;
  int64_t total = c.num_layers * layer + V * H * e + H * 4;  // + embedding, final norm
  if (!c.tie_word_embeddings) total += V * H * e;
  return total;
}

ActivationSizes activation_sizes(const io::ModelConfig& c, int64_t T, int64_t S, int64_t P, int64_t max_blocks) {
  const int64_t H = c.hidden_size, F = c.intermediate_size;
  const int64_t qd = c.num_heads * c.head_dim, kvd = c.num_kv_heads * c.head_dim;
  ActivationSizes a{};
  a.x = T * H * 4;
  a.h = T * H * 4;
  a.hb = T * std::max({H, F, qd}) * 2;
  a.qkv = T * (qd + 2 * kvd) * 4;
  a.q = T * qd * 4;
  a.att = T * qd * 4;
  a.gate_up = T * 2 * F * 4;
  a.act = T * F * 4;
  a.picked = P * H * 4;
  a.logits = P * c.vocab_size * 4;
  // ids, positions, row sequences, slots (per row); picks, tokens (per logit row); per-sequence
  // first row and length; block tables; rope frequencies per row (dynamic NTK).
  a.meta = (4 * T + 2 * P + 2 * S + S * max_blocks) * 4 + T * c.head_dim / 2 * 4;
  return a;
}

GpuMemoryReport plan_gpu_memory(const io::ModelConfig& c, const CudaOptions& o, DType wt, double free_mb,
                                int64_t workspace_bytes) {
  SUNBAE_CHECK(wt == DType::BF16 || wt == DType::F16, "GPU weights are bf16 or f16, not ", dtype_name(wt));
  SUNBAE_CHECK(o.max_batch_tokens > 0 && o.max_seqs > 0 && o.max_seqs <= o.max_batch_tokens,
               "GPU plan: need 0 < max_seqs (", o.max_seqs, ") <= max_batch_tokens (", o.max_batch_tokens, ")");
  SUNBAE_CHECK(o.kv_blocks >= 0 && o.gpu_memory_mb >= 0 && o.max_context >= 0 && o.max_logit_rows >= 0,
               "GPU plan: negative sizes");
  GpuMemoryReport r;
  r.weight_dtype = wt;
  r.free_at_start_mb = free_mb;
  r.budget_mb = o.gpu_memory_mb > 0 ? o.gpu_memory_mb : 0.9 * free_mb;
  SUNBAE_CHECK(r.budget_mb <= free_mb + 0.5, "--gpu-memory ", std::lround(r.budget_mb), " MB is more than the ",
               std::lround(free_mb), " MB free on the GPU");
  r.max_context = o.max_context > 0 ? o.max_context : c.max_position_embeddings;
  SUNBAE_CHECK(r.max_context > 0, "GPU plan: the model sets no max_position_embeddings; give a max context");
  r.max_blocks_per_seq = kv::blocks_for_tokens(r.max_context);
  r.max_logit_rows = o.max_logit_rows > 0 ? o.max_logit_rows : o.max_seqs;
  r.kv_block_bytes = 2 * c.num_layers * kv::kBlockSize * c.num_kv_heads * c.head_dim * 2;  // bf16 K and V

  r.weights_mb = double(gpu_weight_bytes(c, wt)) / kMiB;
  r.activations_mb =
      double(activation_sizes(c, o.max_batch_tokens, o.max_seqs, r.max_logit_rows, r.max_blocks_per_seq).total()) / kMiB;
  r.workspace_mb = double(workspace_bytes) / kMiB;
  const double fixed = r.weights_mb + r.activations_mb + r.workspace_mb;
  SUNBAE_CHECK(fixed < r.budget_mb, "GPU memory: the weights (", std::lround(r.weights_mb), " MB) + activations (",
               std::lround(r.activations_mb), " MB for ", o.max_batch_tokens, " tokens) + workspace (",
               std::lround(r.workspace_mb), " MB) do not fit in the ", std::lround(r.budget_mb), " MB budget");
  const int64_t room = int64_t((r.budget_mb - fixed) * kMiB) / r.kv_block_bytes;
  if (o.kv_blocks > 0) {
    SUNBAE_CHECK(o.kv_blocks <= room, "GPU memory: a KV cache of ", o.kv_blocks, " blocks (",
                 std::lround(double(o.kv_blocks) * double(r.kv_block_bytes) / kMiB), " MB) does not fit: ",
                 std::lround(r.budget_mb - fixed), " MB of the ", std::lround(r.budget_mb),
                 " MB budget are left after weights, activations and workspace");
    r.kv_blocks = o.kv_blocks;
  } else {
    SUNBAE_CHECK(room >= 1, "GPU memory: no room for a KV cache in the ", std::lround(r.budget_mb), " MB budget");
    r.kv_blocks = room;
  }
  r.kv_cache_mb = double(r.kv_blocks) * double(r.kv_block_bytes) / kMiB;
  return r;
}

}  // namespace sunbae::model
