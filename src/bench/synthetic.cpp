#include "bench/synthetic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "model/weight_names.h"

namespace sunbae::bench {

namespace {
// splitmix64: a fast, seedable hash for the pool and the per-tensor offsets.
constexpr size_t kPool = 1048573;  // prime

inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

SyntheticWeights::SyntheticWeights(const io::ModelConfig& c, DType dtype, uint64_t seed, bool fill)
    : dtype_(dtype), seed_(seed), fill_(fill) {
  SUNBAE_CHECK(dtype == DType::F32 || dtype == DType::BF16 || dtype == DType::F16,
               "synthetic weights: dtype must be F32, BF16 or F16");
  pool_.resize(kPool);
  for (size_t i = 0; i < pool_.size(); ++i)
    pool_[i] = 2.0f * float(mix(seed ^ (i * 0x632be59bd9b4e019ull)) >> 40) / float(1 << 24) - 1.0f;
  const model::WeightNames& n = model::weight_names(c.family);
  const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
  const float sh = 1.0f / std::sqrt(float(H)), sf = 1.0f / std::sqrt(float(F));
  const float sq = 1.0f / std::sqrt(float(c.num_heads * D));
  const bool norm_bias = c.norm == io::NormType::LayerNorm;
  auto norm = [&](const std::string& base) {
    add(base + ".weight", {H}, 0.1f, 1.0f);
    if (norm_bias) add(base + ".bias", {H}, 0.1f, 0.0f);
  };
  auto linear = [&](const std::string& base, int64_t out, int64_t in, float scale, bool bias) {
    add(base + ".weight", {out, in}, scale, 0.0f);
    if (bias) add(base + ".bias", {out}, 0.1f, 0.0f);
  };
  add(std::string(n.embed) + ".weight", {c.vocab_size, H}, 1.0f, 0.0f);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    if (fill_) std::fprintf(stderr, "\rsynthetic weights: layer %ld/%ld", long(i + 1), long(c.num_layers));
    auto L = [&](const char* leaf) { return n.layer(i, leaf); };
    norm(L(n.attn_norm));
    norm(L(n.mlp_norm));
    if (n.qkv) {
      linear(L(n.qkv), 3 * c.num_heads * D, H, sh, c.qkv_bias);
    } else {
      linear(L(n.q), c.num_heads * D, H, sh, c.qkv_bias);
      linear(L(n.k), c.num_kv_heads * D, H, sh, c.qkv_bias);
      linear(L(n.v), c.num_kv_heads * D, H, sh, c.qkv_bias);
    }
    linear(L(n.o), H, c.num_heads * D, sq, c.o_bias);
    if (c.gated_mlp) linear(L(n.gate), F, H, sh, c.mlp_bias);
    linear(L(n.up), F, H, sh, c.mlp_bias);
    linear(L(n.down), H, F, sf, c.mlp_bias);
  }
  if (fill_) std::fprintf(stderr, "\n");
  norm(n.final_norm);
  if (!c.tie_word_embeddings) add(std::string(n.lm_head) + ".weight", {c.vocab_size, H}, sh, 0.0f);
}

void SyntheticWeights::add(const std::string& name, std::vector<int64_t> shape, float scale,
                           float offset) {
  TensorView t{nullptr, dtype_, std::move(shape)};
  Buffer bytes(t.nbytes(), "synthetic weights: '" + name + "' " + shape_str(t.shape));
  const int64_t n = t.numel();
  if (!fill_) {
    t.data = bytes.data();
    tensors_[name] = {std::move(t), std::move(bytes)};
    return;
  }
  const size_t start = size_t(mix(seed_ ^ std::hash<std::string>{}(name)) % kPool);
  uint8_t* out = bytes.data();
  const DType dt = dtype_;
  const float* pool = pool_.data();
  // Chunks of 64K elements, each a run of consecutive pool indices (no division per element).
  constexpr int64_t kChunk = 1 << 16;
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    size_t j = (start + size_t(c0)) % kPool;
    const int64_t c1 = std::min(n, c0 + kChunk);
    for (int64_t i = c0; i < c1; ++i, j = j + 1 == kPool ? 0 : j + 1) {
      const float v = offset + scale * pool[j];
      if (dt == DType::F32) {
        std::memcpy(out + 4 * i, &v, 4);
      } else {
        const uint16_t h = dt == DType::BF16 ? f32_to_bf16(v) : f32_to_f16(v);
        std::memcpy(out + 2 * i, &h, 2);
      }
    }
  }
  t.data = bytes.data();
  tensors_[name] = {std::move(t), std::move(bytes)};
}

bool SyntheticWeights::has(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

TensorView SyntheticWeights::get(std::string_view name) const {
  auto it = tensors_.find(name);
  SUNBAE_CHECK(it != tensors_.end(), source_, ": tensor '", std::string(name), "' not found");
  return it->second.first;
}

}  // namespace sunbae::bench
