#include "bench/synthetic.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "model/weight_names.h"

namespace sunbae::bench {

namespace {
// splitmix64: fast, seedable, and every thread can jump straight to its own offset.
inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

SyntheticWeights::SyntheticWeights(const io::ModelConfig& c, DType dtype, uint64_t seed)
    : dtype_(dtype), seed_(seed) {
  SUNBAE_CHECK(dtype == DType::F32 || dtype == DType::BF16 || dtype == DType::F16,
               "synthetic weights: dtype must be F32, BF16 or F16");
  namespace n = model::names;
  const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
  const float sh = 1.0f / std::sqrt(float(H)), sf = 1.0f / std::sqrt(float(F));
  const float sq = 1.0f / std::sqrt(float(c.num_heads * D));
  add(n::kEmbed, {c.vocab_size, H}, 1.0f, 0.0f);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    std::fprintf(stderr, "\rsynthetic weights: layer %ld/%ld", long(i + 1), long(c.num_layers));
    auto L = [&](const char* leaf) { return n::layer(i, leaf); };
    add(L(n::kAttnNorm), {H}, 0.1f, 1.0f);
    add(L(n::kMlpNorm), {H}, 0.1f, 1.0f);
    add(L(n::kQ) + ".weight", {c.num_heads * D, H}, sh, 0.0f);
    add(L(n::kK) + ".weight", {c.num_kv_heads * D, H}, sh, 0.0f);
    add(L(n::kV) + ".weight", {c.num_kv_heads * D, H}, sh, 0.0f);
    add(L(n::kO) + ".weight", {H, c.num_heads * D}, sq, 0.0f);
    if (c.qkv_bias) {
      add(L(n::kQ) + ".bias", {c.num_heads * D}, 0.1f, 0.0f);
      add(L(n::kK) + ".bias", {c.num_kv_heads * D}, 0.1f, 0.0f);
      add(L(n::kV) + ".bias", {c.num_kv_heads * D}, 0.1f, 0.0f);
    }
    if (c.o_bias) add(L(n::kO) + ".bias", {H}, 0.1f, 0.0f);
    add(L(n::kGate) + ".weight", {F, H}, sh, 0.0f);
    add(L(n::kUp) + ".weight", {F, H}, sh, 0.0f);
    add(L(n::kDown) + ".weight", {H, F}, sf, 0.0f);
    if (c.mlp_bias) {
      add(L(n::kGate) + ".bias", {F}, 0.1f, 0.0f);
      add(L(n::kUp) + ".bias", {F}, 0.1f, 0.0f);
      add(L(n::kDown) + ".bias", {H}, 0.1f, 0.0f);
    }
  }
  std::fprintf(stderr, "\n");
  add(n::kFinalNorm, {H}, 0.1f, 1.0f);
  if (!c.tie_word_embeddings) add(n::kLmHead, {c.vocab_size, H}, sh, 0.0f);
}

void SyntheticWeights::add(const std::string& name, std::vector<int64_t> shape, float scale,
                           float offset) {
  TensorView t{nullptr, dtype_, std::move(shape)};
  std::vector<uint8_t> bytes;
  try {
    bytes.resize(t.nbytes());
  } catch (const std::bad_alloc&) {
    fail("synthetic weights: out of memory allocating '", name, "' ", shape_str(t.shape));
  }
  const int64_t n = t.numel();
  const uint64_t stream = mix(seed_ ^ std::hash<std::string>{}(name));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float u = float(mix(stream + uint64_t(i)) >> 40) * (1.0f / float(1 << 24));  // [0, 1)
    const float v = offset + scale * (2.0f * u - 1.0f);
    if (dtype_ == DType::F32) std::memcpy(bytes.data() + 4 * i, &v, 4);
    else {
      const uint16_t h = dtype_ == DType::BF16 ? f32_to_bf16(v) : f32_to_f16(v);
      std::memcpy(bytes.data() + 2 * i, &h, 2);
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
