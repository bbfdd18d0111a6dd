#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/vec.h"

namespace sunbae::kernels::cpu {

namespace {
// Callers check that pos < n_blocks * kBlockSize first (outside any parallel region: an
// exception must not cross OpenMP).
inline int64_t slot_offset(const AttnSeq& s, int64_t pos, const AttnShape& sh) {
  const int64_t token_stride = sh.num_kv_heads * sh.head_dim;
  return (int64_t(s.blocks[pos / kv::kBlockSize]) * kv::kBlockSize + pos % kv::kBlockSize) * token_stride;
}

void check_capacity(const AttnSeq* seqs, int64_t n_seqs) {
  for (int64_t s = 0; s < n_seqs; ++s) {
    const int64_t end = seqs[s].start_pos + seqs[s].n_new;
    SUNBAE_CHECK(end <= seqs[s].n_blocks * kv::kBlockSize, "attention: position ", end - 1,
                 " has no KV block (table holds ", seqs[s].n_blocks, ")");
  }
}
}  // namespace

void kv_store(const float* k, const float* v, const AttnSeq* seqs, int64_t n_seqs,
              const AttnShape& shape, float* k_pool, float* v_pool) {
  check_capacity(seqs, n_seqs);
  const int64_t stride = shape.num_kv_heads * shape.head_dim;
  for (int64_t s = 0; s < n_seqs; ++s) {
    const AttnSeq& sq = seqs[s];
    for (int64_t i = 0; i < sq.n_new; ++i) {
      const int64_t off = slot_offset(sq, sq.start_pos + i, shape);
      std::memcpy(k_pool + off, k + (sq.row0 + i) * stride, size_t(stride) * sizeof(float));
      std::memcpy(v_pool + off, v + (sq.row0 + i) * stride, size_t(stride) * sizeof(float));
    }
  }
}

void paged_attention(const float* q, const AttnSeq* seqs, int64_t n_seqs, const AttnShape& shape,
                     const float* k_pool, const float* v_pool, float* out) {
  const int64_t H = shape.num_heads, D = shape.head_dim;
  const int64_t group = H / shape.num_kv_heads;
  // Flatten (sequence, new token) so the parallel loop balances across the whole batch.
  std::vector<std::pair<int32_t, int32_t>> items;
  for (int64_t s = 0; s < n_seqs; ++s)
    for (int64_t i = 0; i < seqs[s].n_new; ++i) items.emplace_back(int32_t(s), int32_t(i));
  const int64_t n_items = int64_t(items.size());
  check_capacity(seqs, n_seqs);
  const VecOps& vo = vec_ops();

#pragma omp parallel
  {
    std::vector<float> scores;
    std::vector<float> acc(static_cast<size_t>(D));
#pragma omp for collapse(2) schedule(dynamic, 4)
    for (int64_t it = 0; it < n_items; ++it) {
      for (int64_t h = 0; h < H; ++h) {
        const AttnSeq& sq = seqs[items[size_t(it)].first];
        const int64_t i = items[size_t(it)].second;
        const int64_t row = sq.row0 + i, pos = sq.start_pos + i;
        const int64_t lo = shape.window > 0 ? std::max<int64_t>(0, pos - shape.window + 1) : 0;
        const int64_t kvh = h / group;
        const float* qv = q + (row * H + h) * D;
        scores.resize(size_t(pos - lo + 1));
        float mx = -INFINITY;
        for (int64_t p = lo; p <= pos; ++p) {
          const float* kv = k_pool + slot_offset(sq, p, shape) + kvh * D;
          const float dot = vo.dot(qv, kv, D) * shape.scale;
          scores[size_t(p - lo)] = dot;
          mx = std::max(mx, dot);
        }
        float sum = 0.f;
        for (float& sc : scores) {
          sc = std::exp(sc - mx);
          sum += sc;
        }
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t p = lo; p <= pos; ++p) {
          const float w = scores[size_t(p - lo)];
          vo.axpy(w, v_pool + slot_offset(sq, p, shape) + kvh * D, acc.data(), D);
        }
        float* o = out + (row * H + h) * D;
        const float inv = 1.0f / sum;
        for (int64_t d = 0; d < D; ++d) o[d] = acc[size_t(d)] * inv;
      }
    }
  }
}

}  // namespace sunbae::kernels::cpu
