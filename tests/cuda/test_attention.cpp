// The paged bf16 attention kernels (kernels/cuda/attention.h) against the CPU reference
// (kernels/cpu/attention.h) run on the same bf16-rounded K/V widened to f32. Random inputs,
// poisoned outputs and workspace, cache slots that no position owns poisoned (NaN), block tables
// in a shuffled order.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>

#include "core/dtype.h"
#include "core/error.h"
#include "cuda/cuda_test_util.h"
#include "kernels/cpu/attention.h"
#include "kernels/cuda/attention.h"
#include "kv/block_allocator.h"

namespace sunbae::cuda {
namespace {
using namespace test;

// Decode keeps q, scores and sums in f32: it differs from the reference only in summation order
// over up to 4100 positions, ~sqrt(n)·eps ≈ 4e-6 of a row's magnitude.
constexpr double kF32Tol = 2e-5;
// Prefill rounds q and the probabilities to bf16 for the tensor cores (2^-9 relative each,
// averaged over the row's positions): a few 1e-3 of a row's magnitude.
constexpr double kBf16Tol = 1e-2;

const int64_t kHeadDims[] = {16, 24, 32, 64, 128, 256};
const int64_t kGroups[] = {1, 4, 8};

struct SeqSpec {
  int64_t start, n;  // new rows at positions [start, start + n); K/V of [0, start + n) cached
};

struct Case {
  int64_t kv_heads = 2, group = 4, head_dim = 128, window = 0;
  int64_t max_blocks = 0;  // table stride; 0: just enough for the longest sequence
  std::vector<SeqSpec> seqs;
};

// One batch on the host and the device.
struct Fixture {
  Case c;
  int64_t heads = 0, rows = 0, mb = 0, max_seq_rows = 0;
  std::vector<float> q, k_ref, v_ref;
  std::vector<uint16_t> k_pool, v_pool;
  std::vector<int32_t> row_pos, row_seq, seq_row0, seq_rows, tables;
  std::vector<std::vector<kv::BlockId>> blocks;
  DeviceBuffer dq, dk, dv, dpos, dseq, drow0, drows, dtab;

  explicit Fixture(const Case& cs) : c(cs) {
    heads = c.kv_heads * c.group;
    int64_t need = 0, longest = 0;
    for (const SeqSpec& s : c.seqs) {
      need += kv::blocks_for_tokens(s.start + s.n);
      longest = std::max(longest, kv::blocks_for_tokens(s.start + s.n));
    }
    mb = c.max_blocks > 0 ? c.max_blocks : longest;
    const int64_t n_blocks = need + 5;  // spare blocks nobody owns, left NaN
    std::vector<int32_t> ids(size_t(n_blocks), 0);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng());
    const int64_t tok = c.kv_heads * c.head_dim;
    k_pool.assign(size_t(n_blocks * kv::kBlockSize * tok), 0xffff);
    v_pool = k_pool;
    tables.assign(c.seqs.size() * size_t(mb), -1);
    std::normal_distribution<float> nd;
    size_t next = 0;
    for (size_t s = 0; s < c.seqs.size(); ++s) {
      const SeqSpec& sp = c.seqs[s];
      const int64_t nb = kv::blocks_for_tokens(sp.start + sp.n);
      blocks.emplace_back(ids.begin() + long(next), ids.begin() + long(next) + nb);
      next += size_t(nb);
      std::copy(blocks[s].begin(), blocks[s].end(), tables.begin() + long(s * size_t(mb)));
      for (int64_t p = 0; p < sp.start + sp.n; ++p) {
        const int64_t slot = int64_t(blocks[s][size_t(p / kv::kBlockSize)]) * kv::kBlockSize + p % kv::kBlockSize;
        for (int64_t e = 0; e < tok; ++e) {
          k_pool[size_t(slot * tok + e)] = f32_to_bf16(nd(rng()));
          v_pool[size_t(slot * tok + e)] = f32_to_bf16(nd(rng()));
        }
      }
      seq_row0.push_back(int32_t(rows));
      seq_rows.push_back(int32_t(sp.n));
      max_seq_rows = std::max(max_seq_rows, sp.n);
      for (int64_t i = 0; i < sp.n; ++i) {
        row_pos.push_back(int32_t(sp.start + i));
        row_seq.push_back(int32_t(s));
      }
      rows += sp.n;
    }
    k_ref.resize(k_pool.size());
    v_ref.resize(v_pool.size());
    for (size_t i = 0; i < k_pool.size(); ++i) k_ref[i] = bf16_to_f32(k_pool[i]), v_ref[i] = bf16_to_f32(v_pool[i]);
    q = randn(size_t(rows * heads * c.head_dim));
    dq = up(q), dk = up(k_pool), dv = up(v_pool), dpos = up(row_pos), dseq = up(row_seq);
    drow0 = up(seq_row0), drows = up(seq_rows), dtab = up(tables);
  }

  size_t out_len() const { return size_t(rows * heads * c.head_dim); }

  AttnBatch batch(float* out, float* ws) const {
    AttnBatch a;
    a.q = dq.get<float>();
    a.k_pool = dk.get<uint16_t>();
    a.v_pool = dv.get<uint16_t>();
    a.row_pos = dpos.get<int32_t>();
    a.row_seq = dseq.get<int32_t>();
    a.seq_row0 = drow0.get<int32_t>();
    a.seq_rows = drows.get<int32_t>();
    a.tables = dtab.get<int32_t>();
    a.max_blocks = mb;
    a.rows = rows;
    a.n_seqs = int64_t(c.seqs.size());
    a.max_seq_rows = max_seq_rows;
    a.heads = heads;
    a.kv_heads = c.kv_heads;
    a.head_dim = c.head_dim;
    a.scale = 1.f / std::sqrt(float(c.head_dim));
    a.window = c.window;
    a.out = out;
    a.workspace = ws;
    return a;
  }

  // The CPU reference; `specs` replaces the sequences' positions (same rows, same blocks).
  std::vector<float> reference(const std::vector<SeqSpec>* specs = nullptr) const {
    const std::vector<SeqSpec>& sp = specs ? *specs : c.seqs;
    std::vector<kernels::cpu::AttnSeq> seqs;
    int64_t row0 = 0;
    for (size_t s = 0; s < sp.size(); ++s) {
      seqs.push_back({row0, sp[s].n, sp[s].start, blocks[s].data(), int64_t(blocks[s].size())});
      row0 += sp[s].n;
    }
    kernels::cpu::AttnShape sh;
    sh.num_heads = heads;
    sh.num_kv_heads = c.kv_heads;
    sh.head_dim = c.head_dim;
    sh.scale = 1.f / std::sqrt(float(c.head_dim));
    sh.window = c.window;
    std::vector<float> out(out_len());
    kernels::cpu::paged_attention(q.data(), seqs.data(), int64_t(seqs.size()), sh, k_ref.data(), v_ref.data(),
                                  out.data());
    return out;
  }

  DeviceBuffer workspace() const {
    return poisoned(size_t(std::max<int64_t>(1, decode_workspace_floats(rows, heads, c.head_dim, mb))) * 4);
  }

  std::vector<float> decode() const {
    DeviceBuffer out = poisoned(out_len() * 4), ws = workspace();
    decode_attention(batch(out.get<float>(), ws.get<float>()), nullptr);
    return down<float>(out, out_len());
  }

  std::vector<float> prefill() const {
    DeviceBuffer out = poisoned(out_len() * 4);
    prefill_attention(batch(out.get<float>(), nullptr), nullptr);
    return down<float>(out, out_len());
  }
};

// Worst over (row, head) of max |out - ref| / max |ref| within it, so the small outputs of a long
// context are held to the same relative standard as a short context's.
double worst_err(const std::vector<float>& out, const std::vector<float>& ref, int64_t head_dim) {
  if (out.size() != ref.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < ref.size(); i += size_t(head_dim))
    worst = std::max(worst, rel_err(out.data() + i, ref.data() + i, size_t(head_dim)));
  return worst;
}

std::string describe(const Case& c) {
  std::string s = "D=" + std::to_string(c.head_dim) + " group=" + std::to_string(c.group) +
                  " window=" + std::to_string(c.window) + " max_blocks=" + std::to_string(c.max_blocks) + " seqs:";
  for (const SeqSpec& q : c.seqs) s += " (" + std::to_string(q.start) + "+" + std::to_string(q.n) + ")";
  return s;
}

std::vector<SeqSpec> decode_rows(std::initializer_list<int64_t> contexts) {
  std::vector<SeqSpec> v;
  for (int64_t ctx : contexts) v.push_back({ctx - 1, 1});
  return v;
}

// Lengths 1, 37, 300; the second and third after a cached prefix.
const std::vector<SeqSpec> kVarlen = {{0, 37}, {100, 300}, {517, 1}};

TEST(CudaAttention, KvStoreRoundsToNearestEven) {
  const int64_t rows = 37, kvh = 3, D = 24, n_slots = 80 * kv::kBlockSize, tok = kvh * D;
  std::vector<int32_t> slots(static_cast<size_t>(n_slots));
  std::iota(slots.begin(), slots.end(), 0);
  std::shuffle(slots.begin(), slots.end(), rng());
  slots.resize(size_t(rows));
  const std::vector<float> k = randn(size_t(rows * tok), 3.f), v = randn(size_t(rows * tok), 3.f);
  DeviceBuffer dk = up(k), dv = up(v), ds = up(slots);
  DeviceBuffer kp = poisoned(size_t(n_slots * tok) * 2), vp = poisoned(size_t(n_slots * tok) * 2);
  kv_store_bf16(dk.get<float>(), dv.get<float>(), ds.get<int32_t>(), rows, kvh, D, kp.get<uint16_t>(),
                vp.get<uint16_t>(), nullptr);
  const auto hk = down<uint16_t>(kp, size_t(n_slots * tok)), hv = down<uint16_t>(vp, size_t(n_slots * tok));
  std::vector<char> owned(size_t(n_slots), 0);
  for (int64_t r = 0; r < rows; ++r) {
    owned[size_t(slots[size_t(r)])] = 1;
    for (int64_t e = 0; e < tok; ++e) {
      const size_t dst = size_t(slots[size_t(r)] * tok + e), src = size_t(r * tok + e);
      ASSERT_EQ(hk[dst], f32_to_bf16(k[src])) << r << " " << e;  // both round to nearest even
      ASSERT_EQ(hv[dst], f32_to_bf16(v[src])) << r << " " << e;
    }
  }
  for (int64_t s = 0; s < n_slots; ++s) {
    if (owned[size_t(s)]) continue;
    for (int64_t e = 0; e < tok; ++e) ASSERT_EQ(hk[size_t(s * tok + e)], 0xffff) << "slot " << s << " written";
  }
}

TEST(CudaAttention, DecodeRowsOfMixedContexts) {
  for (int64_t D : kHeadDims)
    for (int64_t g : kGroups) {
      // The capacity sets the split count: 32 splits (4100 positions), 3 (19 blocks), and one
      // split that writes the output directly (2 blocks).
      const std::pair<int64_t, std::vector<SeqSpec>> shapes[] = {
          {0, decode_rows({1, 15, 16, 17, 300, 4100})}, {19, decode_rows({300, 1, 17, 64, 65})},
          {2, decode_rows({1, 15, 16, 17, 32})}};
      for (const auto& [mb, seqs] : shapes) {
        Case c;
        c.head_dim = D, c.group = g, c.max_blocks = mb, c.seqs = seqs;
        const Fixture s(c);
        EXPECT_LT(worst_err(s.decode(), s.reference(), D), kF32Tol) << describe(c);
      }
    }
}

TEST(CudaAttention, DecodeSlidingWindow) {
  for (int64_t D : {64, 128})
    for (int64_t g : {4, 8})
      for (int64_t w : {1, 64, 1000}) {
        Case c;
        c.head_dim = D, c.group = g, c.window = w, c.seqs = decode_rows({1, 17, 300, 1000, 1001, 4100});
        const Fixture s(c);
        EXPECT_LT(worst_err(s.decode(), s.reference(), D), kF32Tol) << describe(c);
      }
}

TEST(CudaAttention, DecodeRunsPrefillRows) {
  for (int64_t D : kHeadDims)
    for (int64_t g : kGroups)
      for (int64_t w : {0, 50}) {
        Case c;
        c.head_dim = D, c.group = g, c.window = w, c.seqs = kVarlen;
        const Fixture s(c);
        EXPECT_LT(worst_err(s.decode(), s.reference(), D), kF32Tol) << describe(c);
      }
}

TEST(CudaAttention, PrefillVarlenAfterCachedPrefix) {
  for (int64_t D : kHeadDims)
    for (int64_t g : kGroups) {
      Case c;
      c.head_dim = D, c.group = g, c.seqs = kVarlen;
      const Fixture s(c);
      EXPECT_LT(worst_err(s.prefill(), s.reference(), D), kBf16Tol) << describe(c);
    }
}

TEST(CudaAttention, PrefillSlidingWindow) {
  for (int64_t D : {24, 64, 128, 256})
    for (int64_t g : {1, 4})
      for (int64_t w : {1, 50, 200}) {
        Case c;
        c.head_dim = D, c.group = g, c.window = w, c.seqs = kVarlen;
        const Fixture s(c);
        EXPECT_LT(worst_err(s.prefill(), s.reference(), D), kBf16Tol) << describe(c);
      }
}

// Groups that leave part of a block's head slots empty (2 of 4) or span two blocks of heads at
// D = 256 (7 = 4 + 3), as Gemma-2 and Qwen2.5 have.
TEST(CudaAttention, GroupsThatDoNotFillABlock) {
  for (int64_t D : {128, 256})
    for (int64_t g : {2, 7}) {
      Case c;
      c.head_dim = D, c.group = g, c.seqs = kVarlen;
      const Fixture s(c);
      const std::vector<float> ref = s.reference();
      EXPECT_LT(worst_err(s.decode(), ref, D), kF32Tol) << describe(c);
      EXPECT_LT(worst_err(s.prefill(), ref, D), kBf16Tol) << describe(c);
    }
}

// The decode launch is captured once and replayed as the rows' positions move (in device
// memory, as the model's step metadata does), across split boundaries and past 4096.
TEST(CudaAttention, DecodeGraphReplaysWhileContextsGrow) {
  Case c;
  c.head_dim = 128, c.group = 4, c.seqs = decode_rows({70, 2100, 4100});
  const Fixture s(c);
  DeviceBuffer out = poisoned(s.out_len() * 4), ws = s.workspace();
  const AttnBatch a = s.batch(out.get<float>(), ws.get<float>());
  cudaStream_t st = nullptr;
  SUNBAE_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  SUNBAE_CUDA_CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
  decode_attention(a, st);
  SUNBAE_CUDA_CHECK(cudaStreamEndCapture(st, &graph));
  SUNBAE_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  const std::vector<std::vector<SeqSpec>> steps = {decode_rows({1, 16, 17}), decode_rows({30, 600, 2048}),
                                                   decode_rows({64, 1500, 4097}), decode_rows({70, 2100, 4100})};
  for (const auto& step : steps) {
    std::vector<int32_t> pos;
    for (const SeqSpec& sp : step) pos.push_back(int32_t(sp.start));
    SUNBAE_CUDA_CHECK(cudaMemcpy(s.dpos.get(), pos.data(), pos.size() * 4, cudaMemcpyHostToDevice));
    SUNBAE_CUDA_CHECK(cudaMemset(out.get(), 0xff, s.out_len() * 4));
    SUNBAE_CUDA_CHECK(cudaMemset(ws.get(), 0xff, ws.size()));
    SUNBAE_CUDA_CHECK(cudaGraphLaunch(exec, st));
    SUNBAE_CUDA_CHECK(cudaStreamSynchronize(st));
    const std::vector<float> replayed = down<float>(out, s.out_len());
    SUNBAE_CUDA_CHECK(cudaMemset(out.get(), 0xff, s.out_len() * 4));
    decode_attention(a, st);
    SUNBAE_CUDA_CHECK(cudaStreamSynchronize(st));
    const std::vector<float> direct = down<float>(out, s.out_len());
    EXPECT_EQ(replayed, direct) << "position " << pos.back();  // the same kernels on the same inputs
    EXPECT_LT(worst_err(replayed, s.reference(&step), c.head_dim), kF32Tol) << "position " << pos.back();
  }
  SUNBAE_CUDA_CHECK(cudaGraphExecDestroy(exec));
  SUNBAE_CUDA_CHECK(cudaGraphDestroy(graph));
  SUNBAE_CUDA_CHECK(cudaStreamDestroy(st));
}

TEST(CudaAttention, RejectsShapesItIsNotBuiltFor) {
  for (int64_t D : {8, 16, 24, 32, 64, 128, 256}) EXPECT_TRUE(attention_supports_head_dim(D)) << D;
  for (int64_t D : {0, 12, 20, 40, 48, 80, 96, 512}) EXPECT_FALSE(attention_supports_head_dim(D)) << D;
  AttnBatch a;
  a.rows = 1, a.n_seqs = 1, a.max_seq_rows = 1, a.heads = 4, a.kv_heads = 2, a.max_blocks = 1;
  a.head_dim = 48;
  EXPECT_THROW(decode_attention(a, nullptr), Error);
  EXPECT_THROW(prefill_attention(a, nullptr), Error);
  a.head_dim = 64, a.kv_heads = 3;
  EXPECT_THROW(decode_attention(a, nullptr), Error);
  a.kv_heads = 2, a.max_blocks = 64;  // 8 splits need a workspace
  EXPECT_THROW(decode_attention(a, nullptr), Error);
}

}  // namespace
}  // namespace sunbae::cuda
