// Model loading: config + checkpoint -> validated, zero-copy weights.
#include <cmath>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <set>

#include "core/error.h"
#include "io/gguf_config.h"
#include "kernels/cpu/quant.h"
#include "model/fused_qkv.h"
#include "model/gguf_source.h"
#include "model/model.h"
#include "model/weight_names.h"

namespace sunbae::model {

namespace {
bool is_float(DType t) { return t == DType::F32 || t == DType::BF16 || t == DType::F16; }
// Matrices may also be block-quantized (GGUF): the CPU type table computes with them in place.
bool is_matrix_dtype(DType t) {
  const kernels::cpu::QuantTraits* q = kernels::cpu::quant_traits(t);
  return is_float(t) || (q && q->vec_dot);
}

std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  widen_to_f32(t.data, t.dtype, t.numel(), out.data());
  return out;
}
}  // namespace

Model::Model(io::ModelConfig config, std::unique_ptr<TensorSource> weights)
    : config_(std::move(config)), shard_(tp_shard(config_, 1, 0)), source_(std::move(weights)) {
  const io::ModelConfig& c = config_;
  const std::string& src = source_->source();
  std::set<std::string> dtypes;

  const char* implied_by = dynamic_cast<const GgufSource*>(source_.get()) ? "the GGUF metadata" : "config.json";
  auto tensor = [&](const std::string& name, std::vector<int64_t> shape) -> TensorView {
    SUNBAE_CHECK(source_->has(name), src, ": tensor '", name, "' not found");
    TensorView t = source_->get(name);
    const bool matrix = shape.size() == 2;
    SUNBAE_CHECK(matrix ? is_matrix_dtype(t.dtype) : is_float(t.dtype), src, ": tensor '", name,
                 "' has dtype ", dtype_name(t.dtype), "; expected F32, BF16 or F16",
                 matrix ? " or Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K" : "");
    SUNBAE_CHECK(t.shape == shape, src, ": tensor '", name, "' has shape ", shape_str(t.shape),
                 "; ", implied_by, " implies ", shape_str(shape));
    SUNBAE_CHECK(shape.back() % dtype_block_elems(t.dtype) == 0, src, ": tensor '", name, "' rows of ",
                 shape.back(), " are not whole ", dtype_name(t.dtype), " blocks");
    dtypes.insert(dtype_name(t.dtype));
    weights_.bytes += int64_t(t.nbytes());
    // The kernels read elements in place; a tensor the file left unaligned gets a private copy.
    // (Quantized blocks are read bytewise and need no alignment.)
    if (!is_quantized(t.dtype) && reinterpret_cast<uintptr_t>(t.data) % dtype_size(t.dtype) != 0) {
      std::vector<float> f = to_f32(t);
      owned_.push_back(std::move(f));
      t.data = owned_.back().data();
      t.dtype = DType::F32;
    }
    return t;
  };
  auto vec = [&](const std::string& name, int64_t n) { return to_f32(tensor(name, {n})); };
  // The builder's MLPs: SiLU-gated (Llama) and plain GELU (GPT-NeoX); Gemma's GELU-gated one
  // would need its own kernel.
  SUNBAE_CHECK(c.gated_mlp == (c.activation == io::Activation::Silu), src, ": a ",
               c.gated_mlp ? "gated " : "plain ", c.activation == io::Activation::Silu ? "SiLU" : "GELU",
               " MLP has no CPU kernel");
  const WeightNames& names = weight_names(c.family);
  const bool norm_bias = c.norm == io::NormType::LayerNorm;
  auto norm = [&](const std::string& base, std::vector<float>& w, std::vector<float>& b) {
    w = vec(base + ".weight", c.hidden_size);
    if (norm_bias) b = vec(base + ".bias", c.hidden_size);
  };
  auto linear = [&](int64_t layer, const char* leaf, int64_t out, int64_t in, bool bias) {
    const std::string base = names.layer(layer, leaf);
    TensorView w = tensor(base + ".weight", {out, in});
    Linear l;
    l.w = {w.data, w.dtype, out, in};
    if (bias) l.bias = vec(base + ".bias", out);
    return l;
  };
  // GPT-NeoX: one [heads * 3 * head_dim, hidden] matrix, split into q, k and v (fused_qkv.h).
  auto split_qkv = [&](int64_t layer, LayerWeights& L) {
    const std::string base = names.layer(layer, names.qkv);
    const int64_t heads = c.num_heads, D = c.head_dim;
    SUNBAE_CHECK(c.num_kv_heads == heads, src, ": a fused q/k/v needs as many key/value heads as heads");
    const TensorView w = tensor(base + ".weight", {3 * heads * D, c.hidden_size});
    const TensorView b = c.qkv_bias ? tensor(base + ".bias", {3 * heads * D}) : TensorView{};
    for (auto [part, lin] : {std::pair{QkvPart::Q, &L.q}, {QkvPart::K, &L.k}, {QkvPart::V, &L.v}}) {
      const TensorView pw = fused_qkv_part(w, heads, D, part, split_.emplace_back());
      lin->w = {pw.data, pw.dtype, heads * D, c.hidden_size};
      if (c.qkv_bias) lin->bias = to_f32(fused_qkv_part(b, heads, D, part, split_.emplace_back()));
    }
  };

  const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
  const int64_t q_out = c.num_heads * D, kv_out = c.num_kv_heads * D;
  weights_.embed = tensor(std::string(names.embed) + ".weight", {c.vocab_size, H});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LayerWeights L;
    norm(names.layer(i, names.attn_norm), L.attn_norm, L.attn_norm_bias);
    norm(names.layer(i, names.mlp_norm), L.mlp_norm, L.mlp_norm_bias);
    if (names.qkv) {
      split_qkv(i, L);
    } else {
      L.q = linear(i, names.q, q_out, H, c.qkv_bias);
      L.k = linear(i, names.k, kv_out, H, c.qkv_bias);
      L.v = linear(i, names.v, kv_out, H, c.qkv_bias);
    }
    L.o = linear(i, names.o, H, q_out, c.o_bias);
    if (c.gated_mlp) L.gate = linear(i, names.gate, F, H, c.mlp_bias);
    L.up = linear(i, names.up, F, H, c.mlp_bias);
    L.down = linear(i, names.down, H, F, c.mlp_bias);
    L.sliding = c.sliding_window.has_value() && size_t(i) < c.layer_sliding.size() &&
                c.layer_sliding[size_t(i)];
    weights_.layers.push_back(std::move(L));
  }
  norm(names.final_norm, weights_.final_norm, weights_.final_norm_bias);
  if (c.tie_word_embeddings) {
    weights_.lm_head.w = {weights_.embed.data, weights_.embed.dtype, c.vocab_size, H};
  } else {
    TensorView w = tensor(std::string(names.lm_head) + ".weight", {c.vocab_size, H});
    weights_.lm_head.w = {w.data, w.dtype, c.vocab_size, H};
  }
  weights_.dtypes.assign(dtypes.begin(), dtypes.end());
  inv_freq_ = inv_freq_for(0);
}

std::pair<io::ModelConfig, std::unique_ptr<TensorSource>> Model::open(const std::string& dir) {
  if (io::GgufFile::sniff(dir)) {
    auto file = io::GgufFile::open(dir);
    io::ModelConfig config = io::gguf_model_config(*file);
    // llama.cpp's converter permutes q/k rows for "llama" only (qwen2 uses NeoX-style RoPE).
    const bool permuted = file->get_string("general.architecture") == "llama";
    auto weights = std::make_unique<GgufSource>(file, config.num_heads, config.num_kv_heads, permuted);
    return {std::move(config), std::move(weights)};
  }
  io::ModelConfig config = io::load_model_config(dir);
  return {std::move(config), std::make_unique<CheckpointSource>(io::Checkpoint::open_dir(dir))};
}

std::unique_ptr<Model> Model::load(const std::string& dir) {
  auto [config, weights] = open(dir);
  return std::unique_ptr<Model>(new Model(std::move(config), std::move(weights)));
}

std::unique_ptr<Model> Model::load_shard(const io::ModelConfig& full, std::shared_ptr<const TensorSource> weights,
                                         const TpShard& shard) {
  auto m = std::unique_ptr<Model>(
      new Model(shard_config(full, shard), std::make_unique<ShardSource>(std::move(weights), full, shard)));
  m->shard_ = shard;
  return m;
}

std::unique_ptr<Model> Model::from_parts(io::ModelConfig config,
                                         std::unique_ptr<TensorSource> weights) {
  return std::unique_ptr<Model>(new Model(std::move(config), std::move(weights)));
}

kv::KVLayout Model::kv_layout(int64_t num_blocks) const {
  return {config_.num_layers, config_.num_kv_heads, config_.head_dim, num_blocks};
}

// Frequencies as transformers' rope init functions compute them (modeling_rope_utils.py), in
// f32 like the reference. seq_len matters only for dynamic NTK scaling, which grows the base
// once a sequence passes max_position_embeddings.
std::vector<float> Model::inv_freq_for(int64_t seq_len) const {
  const io::RopeConfig& r = config_.rope;
  const int64_t dim = int64_t(double(config_.head_dim) * r.partial_rotary_factor);
  double base = r.theta;
  if (r.type == io::RopeType::Dynamic) {
    const double max_pos = double(config_.max_position_embeddings);
    const double len = std::max(double(seq_len), max_pos);
    base = base * std::pow(r.factor * len / max_pos - (r.factor - 1.0), double(dim) / double(dim - 2));
  }
  std::vector<float> inv(size_t(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i)
    inv[size_t(i)] = 1.0f / std::pow(float(base), float(2 * i) / float(dim));
  if (r.type == io::RopeType::Linear) {
    for (float& f : inv) f = float(f / r.factor);
  } else if (r.type == io::RopeType::Llama3) {
    const double old_len = double(r.original_max_position_embeddings);
    const double low_wavelen = old_len / r.low_freq_factor;
    const double high_wavelen = old_len / r.high_freq_factor;
    for (float& f : inv) {
      const double wavelen = 2.0 * std::numbers::pi / f;
      if (wavelen > low_wavelen) {
        f = float(f / r.factor);
      } else if (wavelen >= high_wavelen) {
        const double smooth = (old_len / wavelen - r.low_freq_factor) /
                              (r.high_freq_factor - r.low_freq_factor);
        f = float((1.0 - smooth) * f / r.factor + smooth * f);
      }
    }
  }
  if (!r.freq_factors.empty()) {
    SUNBAE_CHECK(r.freq_factors.size() == inv.size(), "rope frequency factors: ", r.freq_factors.size(),
                 " given for ", inv.size(), " frequencies");
    for (size_t i = 0; i < inv.size(); ++i) inv[i] /= r.freq_factors[i];
  }
  return inv;
}

}  // namespace sunbae::model
