// The shared decoder block, run over a varlen batch in one pass per layer.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/ops.h"
#include "model/model.h"

namespace sunbae::model {

namespace cpu = kernels::cpu;

void Model::validate(const Batch& batch, const kv::KVLayout& lay) const {
  SUNBAE_CHECK(lay.num_layers == config_.num_layers && lay.num_kv_heads == config_.num_kv_heads &&
                   lay.head_dim == config_.head_dim,
               "forward: KV cache layout does not match the model");
  for (size_t s = 0; s < batch.seqs.size(); ++s) {
    const SequenceStep& st = batch.seqs[s];
    const int64_t n = int64_t(st.tokens.size());
    SUNBAE_CHECK(n > 0, "forward: sequence ", s, " has no tokens");
    SUNBAE_CHECK(st.start_pos >= 0 && st.start_pos <= INT32_MAX && n <= INT32_MAX,
                 "forward: sequence ", s, " start position ", st.start_pos, " or length ", n, " out of range");
    for (int32_t id : st.tokens)
      SUNBAE_CHECK(id >= 0 && id < vocab_size(), "token id ", id, " is outside the vocabulary (0..",
                   vocab_size() - 1, ")");
    SUNBAE_CHECK(st.blocks != nullptr, "forward: sequence ", s, " has no block table");
    SUNBAE_CHECK(int64_t(st.blocks->size()) * kv::kBlockSize >= st.start_pos + n, "forward: sequence ",
                 s, " block table holds ", st.blocks->size() * kv::kBlockSize, " positions, needs ",
                 st.start_pos + n);
    for (kv::BlockId b : *st.blocks)
      SUNBAE_CHECK(b >= 0 && b < lay.num_blocks, "forward: block id ", b, " outside the KV cache");
    for (int32_t r : st.logit_rows)
      SUNBAE_CHECK(r >= 0 && r < n, "forward: logit row ", r, " outside the sequence's ", n, " tokens");
  }
}

namespace {
// Vocabulary-parallel lookup: rows of ids in [v0, v0 + n) from this rank's table, zeros for the
// rest; the all-reduce then leaves every row looked up exactly once.
void embedding_shard(const TensorView& table, const int32_t* ids, int64_t T, int64_t v0, int64_t n, int64_t H,
                     float* out) {
  for (int64_t m = 0; m < T; ++m) {
    const int32_t local = ids[m] - int32_t(v0);
    if (local >= 0 && local < n)
      cpu::embedding(table, &local, 1, out + m * H);
    else
      std::fill(out + m * H, out + (m + 1) * H, 0.f);
  }
}
}  // namespace

Logits Model::forward(const Batch& batch, kv::KVCache& cache, Communicator* comm) const {
  validate(batch, cache.layout());
  SUNBAE_CHECK(shard_.world == 1 || (comm && comm->world() == shard_.world && comm->rank() == shard_.rank),
               "forward: rank ", shard_.rank, " of a ", shard_.world, "-way tensor-parallel model needs its communicator");
  if (comm && comm->world() == 1) comm = nullptr;
  const io::ModelConfig& c = config_;
  const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
  const int64_t Hq = c.num_heads, Hkv = c.num_kv_heads;
  const int64_t rot_dim = 2 * int64_t(inv_freq_.size());

  // Flatten the batch: row r of every activation is one new token of one sequence.
  std::vector<int32_t> ids;
  std::vector<int64_t> positions;
  std::vector<const float*> freq_rows;
  std::vector<cpu::AttnSeq> seqs;
  std::vector<std::vector<float>> dynamic_freqs;  // per sequence, for dynamic NTK rope
  dynamic_freqs.reserve(batch.seqs.size());
  for (const SequenceStep& st : batch.seqs) {
    const int64_t n = int64_t(st.tokens.size());
    const float* freqs = inv_freq_.data();
    if (c.rope.type == io::RopeType::Dynamic) {
      dynamic_freqs.push_back(inv_freq_for(st.start_pos + n));
      freqs = dynamic_freqs.back().data();
    }
    seqs.push_back({int64_t(ids.size()), n, st.start_pos, st.blocks->data(),
                    int64_t(st.blocks->size())});
    for (int64_t i = 0; i < n; ++i) {
      ids.push_back(st.tokens[size_t(i)]);
      positions.push_back(st.start_pos + i);
      freq_rows.push_back(freqs);
    }
  }
  const int64_t T = int64_t(ids.size());

  std::vector<float> x(size_t(T * H)), h(size_t(T * H)), tmp(size_t(T * H));
  std::vector<float> q(size_t(T * Hq * D)), k(size_t(T * Hkv * D)), v(size_t(T * Hkv * D));
  std::vector<float> att(size_t(T * Hq * D)), gate(size_t(T * F)), up(size_t(T * F));
  std::vector<float> mlp_out(c.parallel_residual ? size_t(T * H) : 0);
  if (comm) {
    embedding_shard(weights_.embed, ids.data(), T, shard_.vocab0, shard_.vocab, H, x.data());
    comm->all_reduce_sum(x.data(), T * H, DType::F32);
  } else {
    cpu::embedding(weights_.embed, ids.data(), T, x.data());
  }

  const float eps = float(c.rms_norm_eps);
  auto norm = [&](const float* in, const std::vector<float>& w, const std::vector<float>& b, int64_t rows,
                  float* out) {
    if (c.norm == io::NormType::LayerNorm)
      cpu::layernorm(in, w.data(), b.data(), eps, rows, H, out);
    else
      cpu::rmsnorm(in, w.data(), eps, rows, H, out);
  };
  // The MLP's hidden activations from h: gelu(up(h)) in `up`, or silu(gate(h)) * up(h) in `gate`
  // (the load checked that the config is one of these two).
  auto mlp_hidden = [&](const LayerWeights& L) -> const float* {
    L.up.apply(h.data(), T, up.data());
    if (!c.gated_mlp) {
      cpu::gelu(up.data(), T * F);
      return up.data();
    }
    L.gate.apply(h.data(), T, gate.data());
    cpu::silu_mul(gate.data(), up.data(), T, F);
    return gate.data();
  };

  cpu::AttnShape shape{Hq, Hkv, D, 1.0f / std::sqrt(float(D)), 0};
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const LayerWeights& L = weights_.layers[size_t(l)];
    norm(x.data(), L.attn_norm, L.attn_norm_bias, T, h.data());
    L.q.apply(h.data(), T, q.data());
    L.k.apply(h.data(), T, k.data());
    L.v.apply(h.data(), T, v.data());
    cpu::rope(q.data(), T, Hq, D, rot_dim, positions.data(), freq_rows.data());
    cpu::rope(k.data(), T, Hkv, D, rot_dim, positions.data(), freq_rows.data());
    shape.window = L.sliding ? *c.sliding_window : 0;
    cpu::kv_store(k.data(), v.data(), seqs.data(), int64_t(seqs.size()), shape, cache.k(l), cache.v(l));
    cpu::paged_attention(q.data(), seqs.data(), int64_t(seqs.size()), shape, cache.k(l), cache.v(l),
                         att.data());

    if (c.parallel_residual) {
      // x + attn(ln1(x)) + mlp(ln2(x)): both branches read the same x, so with tensor parallelism
      // their partial sums add up locally and one all-reduce serves both (Megatron's GPT-J/NeoX
      // layer); each bias is then added once.
      norm(x.data(), L.mlp_norm, L.mlp_norm_bias, T, h.data());
      const float* act = mlp_hidden(L);
      if (comm) {
        L.o.apply_partial(att.data(), T, tmp.data());
        L.down.apply_partial(act, T, mlp_out.data());
        cpu::add_inplace(tmp.data(), mlp_out.data(), T * H);
        comm->all_reduce_sum(tmp.data(), T * H, DType::F32);
        L.o.add_bias(tmp.data(), T);
        L.down.add_bias(tmp.data(), T);
      } else {
        L.o.apply(att.data(), T, tmp.data());
        L.down.apply(act, T, mlp_out.data());
        cpu::add_inplace(tmp.data(), mlp_out.data(), T * H);
      }
      cpu::add_inplace(x.data(), tmp.data(), T * H);
      continue;
    }

    // Each rank's q heads give part of o_proj's input: the all-reduce sums the parts.
    if (comm)
      L.o.apply_row_parallel(att.data(), T, tmp.data(), *comm);
    else
      L.o.apply(att.data(), T, tmp.data());
    cpu::add_inplace(x.data(), tmp.data(), T * H);

    norm(x.data(), L.mlp_norm, L.mlp_norm_bias, T, h.data());
    const float* act = mlp_hidden(L);
    if (comm)
      L.down.apply_row_parallel(act, T, tmp.data(), *comm);
    else
      L.down.apply(act, T, tmp.data());
    cpu::add_inplace(x.data(), tmp.data(), T * H);
  }

  // Only the requested rows go through the final norm and the (large) lm_head.
  std::vector<float> picked;
  for (size_t s = 0; s < batch.seqs.size(); ++s)
    for (int32_t r : batch.seqs[s].logit_rows) {
      const float* src = x.data() + (seqs[s].row0 + r) * H;
      picked.insert(picked.end(), src, src + H);
    }
  Logits out;
  out.rows = int64_t(picked.size()) / H;
  out.vocab = vocab_size();
  if (out.rows == 0) return out;
  norm(picked.data(), weights_.final_norm, weights_.final_norm_bias, out.rows, picked.data());
  out.data.resize(size_t(out.rows * out.vocab));
  if (!comm) {
    weights_.lm_head.apply(picked.data(), out.rows, out.data.data());
    return out;
  }
  // Vocabulary-parallel lm_head: each rank's [rows, its vocab] logits in a part of P * stride
  // floats (the gather moves equal parts; the last rank's tail is padding), then interleaved back
  // into [rows, vocab].
  const int64_t P = out.rows, S = shard_.vocab_stride, N = shard_.world;
  std::vector<float> part(size_t(P * S), 0.f), all(size_t(N * P * S));
  weights_.lm_head.apply(picked.data(), P, part.data());
  comm->all_gather(part.data(), all.data(), P * S, DType::F32);
  for (int r = 0; r < N; ++r) {
    const int64_t n = shard_.vocab_of(r);
    for (int64_t p = 0; p < P; ++p)
      std::copy_n(all.data() + int64_t(r) * P * S + p * n, n,
                  out.data.data() + p * out.vocab + int64_t(r) * S);
  }
  return out;
}

}  // namespace sunbae::model
