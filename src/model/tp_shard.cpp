#include "model/tp_shard.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "model/weight_names.h"

namespace sunbae::model {

int64_t TpShard::vocab_of(int r) const {
  return std::max<int64_t>(0, std::min(vocab_size, (r + 1) * vocab_stride) - r * vocab_stride);
}

TpShard tp_shard(const io::ModelConfig& c, int world, int rank) {
  SUNBAE_CHECK(world >= 1 && rank >= 0 && rank < world, "tensor parallel: rank ", rank, " of ", world);
  const int64_t N = world, Hq = c.num_heads, Hkv = c.num_kv_heads, F = c.intermediate_size;
  SUNBAE_CHECK(Hq % N == 0, "--tensor-parallel ", N, ": the model's ", Hq,
               " attention heads do not split evenly across ", N, " ranks");
  SUNBAE_CHECK(Hkv % N == 0 || N % Hkv == 0, "--tensor-parallel ", N, ": the model's ", Hkv,
               " key/value heads neither split evenly across ", N, " ranks nor replicate evenly (", N,
               " must divide or be a multiple of ", Hkv, ")");
  SUNBAE_CHECK(F % N == 0, "--tensor-parallel ", N, ": intermediate_size ", F, " does not split evenly across ", N,
               " ranks");
  TpShard s;
  s.rank = rank;
  s.world = world;
  s.q_heads = Hq / N;
  s.q_head0 = rank * s.q_heads;
  if (Hkv >= N) {
    s.kv_heads = Hkv / N;
    s.kv_head0 = rank * s.kv_heads;
  } else {
    // The rank's q heads all read one KV head, shared with the N / Hkv - 1 other ranks of its group.
    s.kv_heads = 1;
    s.kv_head0 = rank / (N / Hkv);
  }
  s.ffn = F / N;
  s.ffn0 = rank * s.ffn;
  s.vocab_size = c.vocab_size;
  s.vocab_stride = (c.vocab_size + N - 1) / N;
  SUNBAE_CHECK((N - 1) * s.vocab_stride < c.vocab_size, "--tensor-parallel ", N, ": a vocabulary of ", c.vocab_size,
               " in ranges of ", s.vocab_stride, " leaves the last rank no rows");
  s.vocab0 = rank * s.vocab_stride;
  s.vocab = s.vocab_of(rank);
  return s;
}

io::ModelConfig shard_config(const io::ModelConfig& c, const TpShard& s) {
  io::ModelConfig r = c;
  r.num_heads = s.q_heads;
  r.num_kv_heads = s.kv_heads;
  r.intermediate_size = s.ffn;
  r.vocab_size = s.vocab;
  return r;
}

WeightSplit weight_split(const std::string& name, const io::ModelConfig& c, const TpShard& s) {
  const int64_t D = c.head_dim;
  const WeightNames& n = weight_names(c.family);
  const std::string embed = std::string(n.embed) + ".weight", lm_head = std::string(n.lm_head) + ".weight";
  if (name == embed || name == lm_head) return {SplitDim::Rows, s.vocab0, s.vocab};
  const size_t prefix = std::strlen(n.layers);
  auto is = [&](const char* leaf, const char* suffix) {
    if (!leaf) return false;
    const std::string tail = std::string(leaf) + suffix;
    return name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0 &&
           name.compare(0, prefix, n.layers) == 0;
  };
  for (const char* suffix : {".weight", ".bias"}) {
    if (is(n.q, suffix)) return {SplitDim::Rows, s.q_head0 * D, s.q_heads * D};
    if (is(n.k, suffix) || is(n.v, suffix)) return {SplitDim::Rows, s.kv_head0 * D, s.kv_heads * D};
    // Fused q/k/v rows are grouped per head, so a rank's heads are one contiguous range.
    if (is(n.qkv, suffix)) return {SplitDim::Rows, s.q_head0 * 3 * D, s.q_heads * 3 * D};
    if (is(n.gate, suffix) || is(n.up, suffix)) return {SplitDim::Rows, s.ffn0, s.ffn};
  }
  if (is(n.o, ".weight")) return {SplitDim::Cols, s.q_head0 * D, s.q_heads * D};
  if (is(n.down, ".weight")) return {SplitDim::Cols, s.ffn0, s.ffn};
  return {};  // norms, row-parallel biases
}

ShardSource::ShardSource(std::shared_ptr<const TensorSource> full, io::ModelConfig full_config, TpShard shard)
    : full_(std::move(full)), config_(std::move(full_config)), shard_(shard) {}

TensorView ShardSource::get(std::string_view name_view) const {
  const std::string name(name_view);
  if (auto it = copies_.find(name); it != copies_.end()) return it->second.first;
  TensorView t = full_->get(name);
  const WeightSplit w = weight_split(name, config_, shard_);
  if (w.dim == SplitDim::None || shard_.world == 1) return t;
  const int64_t rows = t.shape[0], cols = t.shape.size() > 1 ? t.shape[1] : 1;
  if (w.dim == SplitDim::Rows) {
    SUNBAE_CHECK(w.begin + w.count <= rows, full_->source(), ": tensor '", name, "' has ", rows, " rows, shard needs ",
                 w.begin + w.count);
    const size_t row_bytes = dtype_bytes(t.dtype, cols);
    t.data = static_cast<const char*>(t.data) + size_t(w.begin) * row_bytes;
    t.shape[0] = w.count;
    return t;
  }
  SUNBAE_CHECK(t.shape.size() == 2 && w.begin + w.count <= cols, full_->source(), ": tensor '", name, "' has shape ",
               shape_str(t.shape), ", shard needs columns up to ", w.begin + w.count);
  const int64_t be = dtype_block_elems(t.dtype);
  SUNBAE_CHECK(w.begin % be == 0 && w.count % be == 0, full_->source(), ": tensor '", name, "' is ",
               dtype_name(t.dtype), " in blocks of ", be, " elements; its ", cols, " columns do not split into ",
               shard_.world, " whole-block ranges");
  const size_t row_bytes = dtype_bytes(t.dtype, cols), part = dtype_bytes(t.dtype, w.count);
  const size_t skip = dtype_bytes(t.dtype, w.begin);
  Buffer b(size_t(rows) * part, "tensor-parallel shard of '" + name + "'");
  const char* src = static_cast<const char*>(t.data);
  for (int64_t r = 0; r < rows; ++r) std::memcpy(b.data() + size_t(r) * part, src + size_t(r) * row_bytes + skip, part);
  TensorView v{b.data(), t.dtype, {rows, w.count}};
  copies_[name] = {v, std::move(b)};
  return v;
}

}  // namespace sunbae::model
