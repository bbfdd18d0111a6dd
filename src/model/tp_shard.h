#pragma once
// Megatron-style tensor parallelism for the Llama family and GPT-NeoX: which part of every weight
// a rank of N holds. This file is the one place that says it; the CPU and CUDA backends load a rank's
// weights through ShardSource and run the same block builder on the smaller shapes.
//
//   weight                      split                      all ranks then
//   q_proj  (weight, bias)      rows: the rank's q heads    -
//   k/v_proj (weight, bias)     rows: the KV heads its q heads read (replicated when kv < N)
//   o_proj.weight               columns: the rank's q heads all-reduce(sum) of the partial outputs
//   o_proj.bias                 replicated                  added once, after the all-reduce
//   gate/up_proj (weight, bias) rows: intermediate / N       -
//   down_proj.weight            columns: intermediate / N    all-reduce(sum)
//   down_proj.bias              replicated                  added once, after the all-reduce
//   GPT-NeoX (HF names in weight_names.h), the same roles:
//   query_key_value             rows: the rank's heads (rows are [heads, 3, head_dim], so one range)
//   dense, dense_4h_to_h        as o_proj, down_proj        with use_parallel_residual, attention's
//                                                           and MLP's partial sums are added first:
//                                                           one all-reduce per layer, not two
//   dense_h_to_4h               as up_proj
//   embed_in / embed_out        as embed_tokens / lm_head
//   embed_tokens                rows: a vocabulary range     each rank looks up ids in its range,
//                                                           zeros elsewhere; all-reduce(sum)
//   lm_head (or the tied table) rows: the same range         all-gather of the logits
//   norms (LayerNorm biases too) replicated                  -
//
// Rules (Error otherwise): num_attention_heads % N == 0; num_key_value_heads % N == 0, or
// N % num_key_value_heads == 0 (then N / kv ranks share each KV head, as vLLM replicates them);
// intermediate_size % N == 0; the vocabulary splits in ranges of ceil(vocab / N) rows, the last
// one shorter (the gathered logits are padded to N * ceil(vocab / N) and cut back), and every rank
// must hold at least one row; a block-quantized matrix split by columns needs whole blocks per
// rank.
#include <map>
#include <memory>
#include <string>

#include "core/buffer.h"
#include "io/model_config.h"
#include "model/tensor_source.h"

namespace sunbae::model {

struct TpShard {
  int rank = 0, world = 1;
  int64_t q_head0 = 0, q_heads = 0;    // query heads [q_head0, q_head0 + q_heads)
  int64_t kv_head0 = 0, kv_heads = 0;  // KV heads held
  int64_t ffn0 = 0, ffn = 0;           // intermediate features
  int64_t vocab_size = 0;              // the whole vocabulary
  int64_t vocab_stride = 0;            // ceil(vocab_size / world): rank r's range starts at r * stride
  int64_t vocab0 = 0, vocab = 0;       // vocabulary rows [vocab0, vocab0 + vocab)
  int64_t vocab_of(int r) const;       // rows rank r holds
};

// Throws Error naming the rule a model breaks when it cannot be split world ways.
TpShard tp_shard(const io::ModelConfig& c, int world, int rank);

// The config a rank's shard is shaped by: its heads, KV heads, intermediate size and vocabulary
// rows; everything else as the full model.
io::ModelConfig shard_config(const io::ModelConfig& c, const TpShard& s);

enum class SplitDim { None, Rows, Cols };
struct WeightSplit {
  SplitDim dim = SplitDim::None;
  int64_t begin = 0, count = 0;  // along dim
};
// How the tensor with this Hugging Face name splits for shard s (None: replicated).
WeightSplit weight_split(const std::string& name, const io::ModelConfig& c, const TpShard& s);

// A rank's view of a full model's tensors: row ranges are zero-copy views into the full source
// (mmapped files stay shared, each rank touching only its rows); column ranges are copied into
// buffers this source owns, the only memory a shard adds.
class ShardSource : public TensorSource {
 public:
  ShardSource(std::shared_ptr<const TensorSource> full, io::ModelConfig full_config, TpShard shard);
  bool has(std::string_view name) const override { return full_->has(name); }
  TensorView get(std::string_view name) const override;
  const std::string& source() const override { return full_->source(); }

 private:
  std::shared_ptr<const TensorSource> full_;
  io::ModelConfig config_;
  TpShard shard_;
  mutable std::map<std::string, std::pair<TensorView, Buffer>, std::less<>> copies_;
};

}  // namespace sunbae::model
