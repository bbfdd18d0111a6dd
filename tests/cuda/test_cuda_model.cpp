// The CUDA forward pass on the golden fixtures: logits against transformers within a bf16
// tolerance, greedy agreement by teacher forcing, and against the CPU backend on the same
// bf16 weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include "core/error.h"
#include "golden/fixtures.h"
#include "model/cuda/cuda_model.h"

namespace sunbae::test {
namespace {

double rel_err(const float* a, const float* ref, size_t n) {
  double mr = 0, md = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    mr = std::max(mr, std::fabs(double(ref[i])));
    md = std::max(md, std::fabs(double(a[i]) - ref[i]));
  }
  return md / mr;
}

std::vector<int32_t> top_k(const float* l, int64_t V, int k) {
  std::vector<int32_t> idx(static_cast<size_t>(V));
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
  idx.resize(size_t(k));
  return idx;
}

model::SequenceStep step(std::vector<int32_t> t, int64_t start, const kv::BlockTable& bt, bool all) {
  model::SequenceStep s;
  s.tokens = std::move(t);
  s.start_pos = start;
  s.blocks = &bt.blocks();
  if (all)
    for (size_t i = 0; i < s.tokens.size(); ++i) s.logit_rows.push_back(int32_t(i));
  else
    s.logit_rows = {int32_t(s.tokens.size()) - 1};
  return s;
}

// The checkpoint's tensors rounded to bf16, as the GPU holds them, so the CPU backend can run
// exactly the GPU's weights.
class Bf16Source : public model::TensorSource {
 public:
  explicit Bf16Source(const std::string& dir) : ck_(io::Checkpoint::open_dir(dir)) {
    for (const std::string& n : ck_.names()) {
      const TensorView t = ck_.get(n);
      std::vector<float> f(static_cast<size_t>(t.numel()));
      widen_to_f32(t.data, t.dtype, t.numel(), f.data());
      auto& [view, bytes] = tensors_[n];
      bytes.resize(f.size());
      for (size_t i = 0; i < f.size(); ++i) bytes[i] = f32_to_bf16(f[i]);
      view = TensorView{bytes.data(), DType::BF16, t.shape};
    }
  }
  bool has(std::string_view n) const override { return tensors_.count(std::string(n)) > 0; }
  TensorView get(std::string_view n) const override { return tensors_.at(std::string(n)).first; }
  const std::string& source() const override { return ck_.source(); }

 private:
  io::Checkpoint ck_;
  std::map<std::string, std::pair<TensorView, std::vector<uint16_t>>> tensors_;
};

class CudaGolden : public testing::TestWithParam<std::string> {};

TEST_P(CudaGolden, LogitsAndGreedyAgreeWithTransformers) {
  const Golden g = load_golden(GetParam());
  auto host = model::Model::load(g.dir);
  const bool bf16_weights = host->weights().dtypes == std::vector<std::string>{"BF16"};
  auto gpu = model::CudaModel::create(*host, 8, 64);
  kv::BlockAllocator alloc(8);
  kv::BlockTable t;
  ASSERT_TRUE(t.reserve(alloc, int64_t(g.prompt.size() + g.greedy.size())));

  model::Batch b;
  b.seqs = {step(g.prompt, 0, t, true)};
  const model::Logits l = gpu->forward(b);
  const double err = rel_err(l.data.data(), g.logits.data(), g.logits.size());
  RecordProperty("prefill_rel_err", std::to_string(err));
  // The GPU holds weights in bf16 (8 mantissa bits: 2^-9 relative rounding) and a prefill of
  // more than 8 rows multiplies bf16 activations on tensor cores; measured on the H100 that
  // leaves logits within 1.6% of the fp32 reference (the bf16 checkpoint, where only the
  // activations round, included). A wrong mask, rope or norm is off by 10% or more.
  EXPECT_LT(err, 3e-2) << g.name;

  // Teacher forcing: feed transformers' greedy tokens; each must be among our top 5 (the tiny
  // random models have near-flat logits, so bf16 rounding can reorder close neighbours), and be
  // our argmax when the weights are exactly the reference's (bf16 checkpoints).
  int exact = 0;
  std::vector<float> row(l.row(l.rows - 1), l.row(l.rows - 1) + l.vocab);
  for (size_t i = 0; i < g.greedy.size(); ++i) {
    const auto top = top_k(row.data(), l.vocab, 5);
    EXPECT_NE(std::find(top.begin(), top.end(), g.greedy[i]), top.end()) << g.name << " step " << i;
    if (bf16_weights) {
      EXPECT_EQ(top[0], g.greedy[i]) << g.name << " step " << i;
    }
    exact += top[0] == g.greedy[i];
    model::Batch d;
    d.seqs = {step({g.greedy[i]}, int64_t(g.prompt.size() + i), t, false)};
    row = gpu->forward(d).data;
  }
  RecordProperty("greedy_exact", exact);
}

// Decode on the GPU (GEMV, f32 activations) against the CPU backend on the same bf16 weights.
TEST_P(CudaGolden, DecodeMatchesCpuBackend) {
  const Golden g = load_golden(GetParam());
  auto host = model::Model::from_parts(io::load_model_config(g.dir), std::make_unique<Bf16Source>(g.dir));
  auto gpu = model::CudaModel::create(*host, 8, 64);
  kv::BlockAllocator ga(8), ca(8);
  kv::KVCache cache(host->kv_layout(8));
  kv::BlockTable gt, ct;
  ASSERT_TRUE(gt.reserve(ga, int64_t(g.prompt.size())) && ct.reserve(ca, int64_t(g.prompt.size())));
  for (size_t i = 0; i < g.prompt.size(); ++i) {
    model::Batch bg, bc;
    bg.seqs = {step({g.prompt[i]}, int64_t(i), gt, true)};
    bc.seqs = {step({g.prompt[i]}, int64_t(i), ct, true)};
    const model::Logits a = gpu->forward(bg), r = host->forward(bc, cache);
    // Same bf16 weights, f32 activations on both sides, different summation order.
    EXPECT_LT(rel_err(a.data.data(), r.data.data(), r.data.size()), 1e-4) << "position " << i;
  }
}

// A decode step replayed from a captured CUDA graph computes exactly what the launches do.
TEST_P(CudaGolden, GraphReplayEqualsDirectLaunches) {
  const Golden g = load_golden(GetParam());
  auto host = model::Model::load(g.dir);
  std::vector<std::vector<float>> runs;
  for (bool graphs : {false, true}) {
    auto gpu = model::CudaModel::create(*host, 8, 64);
    gpu->set_use_graphs(graphs);
    kv::BlockAllocator alloc(8);
    kv::BlockTable t;
    ASSERT_TRUE(t.reserve(alloc, int64_t(g.prompt.size() + g.greedy.size())));
    model::Batch b;
    b.seqs = {step(g.prompt, 0, t, false)};
    std::vector<float> all = gpu->forward(b).data;
    for (size_t i = 0; i < g.greedy.size(); ++i) {  // crosses a 16-token block boundary
      b.seqs = {step({g.greedy[i]}, int64_t(g.prompt.size() + i), t, false)};
      const auto l = gpu->forward(b).data;
      all.insert(all.end(), l.begin(), l.end());
    }
    runs.push_back(std::move(all));
  }
  EXPECT_EQ(runs[0], runs[1]);
}

std::string name_of(const testing::TestParamInfo<std::string>& info) {
  std::string n = std::filesystem::path(info.param).filename();
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CudaGolden, testing::ValuesIn(supported_fixture_dirs()), name_of);

TEST(CudaModel, OutOfMemoryIsAClearError) {
  const auto dirs = supported_fixture_dirs();
  auto host = model::Model::load(dirs.front());
  try {
    model::CudaModel::create(*host, int64_t(1) << 34, 16);  // 2^34 blocks: far past any card
    ADD_FAILURE() << "expected an out-of-memory error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of GPU memory: KV cache"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sunbae::test
