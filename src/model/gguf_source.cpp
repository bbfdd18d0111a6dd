#include "model/gguf_source.h"

#include <charconv>
#include <cstring>

#include "core/error.h"

namespace sunbae::model {

namespace {
struct Leaf {
  const char* hf;
  const char* gguf;
};
// llama.cpp's tensor names (src/llama-arch.cpp, LLM_TENSOR_*) for the leaves Sunbae reads.
constexpr Leaf kLayerLeaves[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},   {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},   {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},   {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"}, {"self_attn.o_proj.bias", "attn_output.bias"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};
constexpr Leaf kGlobal[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};
constexpr std::string_view kLayerPrefix = "model.layers.";
}  // namespace

std::string GgufSource::gguf_name(std::string_view hf) {
  for (const Leaf& l : kGlobal)
    if (hf == l.hf) return l.gguf;
  if (hf.substr(0, kLayerPrefix.size()) != kLayerPrefix) return {};
  std::string_view rest = hf.substr(kLayerPrefix.size());
  int64_t layer = -1;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), layer);
  if (ec != std::errc() || layer < 0 || p == rest.data() + rest.size() || *p != '.') return {};
  const std::string_view leaf(p + 1, size_t(rest.data() + rest.size() - (p + 1)));
  for (const Leaf& l : kLayerLeaves)
    if (leaf == l.hf) return "blk." + std::to_string(layer) + "." + l.gguf;
  return {};
}

GgufSource::GgufSource(std::shared_ptr<io::GgufFile> file, int64_t n_heads, int64_t n_kv_heads,
                       bool unpermute_qk)
    : file_(std::move(file)), n_heads_(n_heads), n_kv_heads_(n_kv_heads), unpermute_qk_(unpermute_qk) {}

bool GgufSource::has(std::string_view name) const {
  const std::string g = gguf_name(name);
  return !g.empty() && file_->tensor(g) != nullptr;
}

void unpermute_rope_rows(const char* src, char* dst, int64_t heads, int64_t head_dim, size_t row_bytes) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const int64_t from = h * head_dim + 2 * i + j, to = h * head_dim + j * half + i;
        std::memcpy(dst + size_t(to) * row_bytes, src + size_t(from) * row_bytes, row_bytes);
      }
}

TensorView GgufSource::get(std::string_view name) const {
  const std::string g = gguf_name(name);
  const io::GgufTensor* t = g.empty() ? nullptr : file_->tensor(g);
  SUNBAE_CHECK(t, file_->path(), ": tensor '", g.empty() ? std::string(name) : g, "' (", name, ") not found");
  TensorView v = file_->view(*t);
  const bool is_q = name.ends_with("q_proj.weight") || name.ends_with("q_proj.bias");
  const bool is_k = name.ends_with("k_proj.weight") || name.ends_with("k_proj.bias");
  if (!unpermute_qk_ || !(is_q || is_k)) return v;

  auto it = unpermuted_.find(name);
  if (it == unpermuted_.end()) {
    const int64_t heads = is_q ? n_heads_ : n_kv_heads_;
    const int64_t rows = v.shape[0];
    SUNBAE_CHECK(heads > 0 && rows % heads == 0 && (rows / heads) % 2 == 0, file_->path(), ": tensor '",
                 g, "' has ", rows, " rows, not ", heads, " heads of an even head dimension");
    const int64_t row_elems = v.numel() / rows;
    const size_t row_bytes = dtype_bytes(v.dtype, row_elems);
    std::vector<char> buf(v.nbytes());
    unpermute_rope_rows(static_cast<const char*>(v.data), buf.data(), heads, rows / heads, row_bytes);
    it = unpermuted_.emplace(std::string(name), std::move(buf)).first;
  }
  v.data = it->second.data();
  return v;
}

}  // namespace sunbae::model
