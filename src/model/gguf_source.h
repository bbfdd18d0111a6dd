#pragma once
// A GGUF file's tensors under the Hugging Face names the model builder asks for
// (model.layers.N.self_attn.q_proj.weight <- blk.N.attn_q.weight, ...).
//
// llama.cpp's converter permutes the rows of q_proj and k_proj of "llama" models so that its
// RoPE can rotate adjacent pairs (x0, x1), (x2, x3), ... where transformers rotates halves
// (x_i, x_{i + d/2}). Sunbae's RoPE is transformers', so those two tensors are read with the
// permutation undone: packed rows are moved, not dequantized (a row is whole blocks).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "model/tensor_source.h"

namespace sunbae::model {

class GgufSource : public TensorSource {
 public:
  // n_heads / n_kv_heads: how q and k rows group into heads (needed to undo the permutation);
  // unpermute_qk: true for general.architecture "llama" (qwen2's converter does not permute).
  GgufSource(std::shared_ptr<io::GgufFile> file, int64_t n_heads, int64_t n_kv_heads, bool unpermute_qk);
  bool has(std::string_view name) const override;
  TensorView get(std::string_view name) const override;
  const std::string& source() const override { return file_->path(); }

  // "model.layers.3.mlp.down_proj.weight" -> "blk.3.ffn_down.weight"; empty when it has no twin.
  static std::string gguf_name(std::string_view hf_name);

 private:
  std::shared_ptr<io::GgufFile> file_;
  int64_t n_heads_, n_kv_heads_;
  bool unpermute_qk_;
  mutable std::map<std::string, std::vector<char>, std::less<>> unpermuted_;  // by HF name
};

// Rows of a [heads * head_dim, cols] matrix in llama.cpp's order back to transformers': GGUF row
// h*hd + 2i + j holds HF row h*hd + j*hd/2 + i (i < hd/2, j < 2). row_bytes per row.
void unpermute_rope_rows(const char* src, char* dst, int64_t heads, int64_t head_dim, size_t row_bytes);

}  // namespace sunbae::model
