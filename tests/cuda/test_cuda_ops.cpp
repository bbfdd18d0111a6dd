// The decoder-block kernels against their CPU references (kernels/cpu), random inputs, NaN-
// poisoned outputs.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/ops.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/ops.h"

namespace sunbae::cuda {
namespace {

std::mt19937 rng(21);

std::vector<float> randn(size_t n, float scale = 1.f) {
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <class T>
DeviceBuffer up(const std::vector<T>& v) {
  DeviceBuffer b(v.size() * sizeof(T), "test");
  SUNBAE_CUDA_CHECK(cudaMemcpy(b.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return b;
}

DeviceBuffer poisoned(size_t floats) {
  DeviceBuffer b(floats * sizeof(float), "out");
  SUNBAE_CUDA_CHECK(cudaMemset(b.get(), 0xff, b.size()));
  return b;
}

template <class T>
std::vector<T> down(const DeviceBuffer& b, size_t n) {
  SUNBAE_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<T> v(n);
  SUNBAE_CUDA_CHECK(cudaMemcpy(v.data(), b.get(), n * sizeof(T), cudaMemcpyDeviceToHost));
  return v;
}

double rel_err(const std::vector<float>& a, const std::vector<float>& ref) {
  double mr = 0, md = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    mr = std::max(mr, std::fabs(double(ref[i])));
    md = std::max(md, std::fabs(double(a[i]) - ref[i]));
  }
  return md / mr;
}

// f32 kernels computing the same function in a different order: ~1e-6 relative.
constexpr double kTol = 1e-5;

TEST(CudaOps, EmbeddingRmsNormAddSilu) {
  const int64_t V = 300, D = 96, M = 5;
  std::vector<uint16_t> table(size_t(V * D));
  for (auto& t : table) t = f32_to_bf16(std::normal_distribution<float>()(rng));
  const std::vector<int32_t> ids = {299, 0, 17, 17, 150};
  std::vector<float> ref(size_t(M * D));
  kernels::cpu::embedding(TensorView{table.data(), DType::BF16, {V, D}}, ids.data(), M, ref.data());
  DeviceBuffer dt = up(table), di = up(ids), de = poisoned(ref.size());
  embedding_bf16(dt.get<uint16_t>(), di.get<int32_t>(), M, D, de.get<float>(), nullptr);
  EXPECT_EQ(rel_err(down<float>(de, ref.size()), ref), 0.0);

  std::vector<float> x = randn(size_t(M * D), 3.f), w = randn(size_t(D));
  kernels::cpu::rmsnorm(x.data(), w.data(), 1e-5f, M, D, ref.data());
  DeviceBuffer dx = up(x), dw = up(w), dy = poisoned(ref.size());
  rmsnorm(dx.get<float>(), dw.get<float>(), 1e-5f, M, D, dy.get<float>(), nullptr);
  EXPECT_LT(rel_err(down<float>(dy, ref.size()), ref), kTol);

  std::vector<float> g = randn(1000, 4.f), u = randn(1000);
  std::vector<float> gref = g;
  kernels::cpu::silu_mul(gref.data(), u.data(), 1, 1000);
  DeviceBuffer dg = up(g), du = up(u);
  silu_mul(dg.get<float>(), du.get<float>(), 1000, nullptr);
  EXPECT_LT(rel_err(down<float>(dg, 1000), gref), kTol);
  std::vector<float> aref = g;
  kernels::cpu::add_inplace(aref.data(), u.data(), 1000);
  DeviceBuffer da = up(g);
  add_inplace(da.get<float>(), du.get<float>(), 1000, nullptr);
  EXPECT_EQ(rel_err(down<float>(da, 1000), aref), 0.0);
}

TEST(CudaOps, RopeMatchesCpuAtLargePositions) {
  const int64_t M = 4, H = 3, D = 64, rot = 64;
  std::vector<float> x = randn(size_t(M * H * D)), ref = x;
  std::vector<float> inv(size_t(rot / 2));
  for (int64_t i = 0; i < rot / 2; ++i) inv[size_t(i)] = 1.f / std::pow(10000.f, float(2 * i) / float(rot));
  const std::vector<int32_t> pos = {0, 7, 4095, 131000};
  const std::vector<int64_t> pos64(pos.begin(), pos.end());
  std::vector<const float*> rows(size_t(M), inv.data());
  kernels::cpu::rope(ref.data(), M, H, D, rot, pos64.data(), rows.data());
  DeviceBuffer dx = up(x), dp = up(pos), df = up(inv);
  rope(dx.get<float>(), M, H, D, rot, dp.get<int32_t>(), df.get<float>(), 0, nullptr);
  // Both use the f32 angle pos * inv_freq and a correctly rounded-ish sin/cos.
  EXPECT_LT(rel_err(down<float>(dx, x.size()), ref), 1e-5);
}

TEST(CudaOps, PagedAttentionMatchesCpu) {
  for (int64_t D : {64, 128, 256}) {
    for (int64_t window : {int64_t(0), int64_t(7)}) {
      const int64_t H = 8, Hkv = 2, blocks = 10, stride = Hkv * D;
      // Sequence 0: 21 cached + 3 new (decode-like); sequence 1: 9 new (prefill).
      std::vector<std::vector<int32_t>> tables = {{4, 1}, {7, 0}};
      const int64_t max_blocks = 2;
      std::vector<float> kpool = randn(size_t(blocks * 16 * stride)), vpool = randn(kpool.size());
      std::vector<kernels::cpu::AttnSeq> seqs = {{0, 3, 21, tables[0].data(), 2}, {3, 9, 0, tables[1].data(), 2}};
      const int64_t rows = 12;
      std::vector<float> q = randn(size_t(rows * H * D)), ref(q.size());
      kernels::cpu::AttnShape sh{H, Hkv, D, 1.f / std::sqrt(float(D)), window};
      kernels::cpu::paged_attention(q.data(), seqs.data(), 2, sh, kpool.data(), vpool.data(), ref.data());

      std::vector<int32_t> row_pos, row_seq, flat;
      for (int s = 0; s < 2; ++s)
        for (int64_t i = 0; i < seqs[size_t(s)].n_new; ++i) {
          row_pos.push_back(int32_t(seqs[size_t(s)].start_pos + i));
          row_seq.push_back(s);
        }
      for (auto& t : tables) flat.insert(flat.end(), t.begin(), t.end());
      DeviceBuffer dq = up(q), dk = up(kpool), dv = up(vpool), dpos = up(row_pos), dseq = up(row_seq),
                   dtab = up(flat), dout = poisoned(q.size());
      AttnArgs a{dq.get<float>(), dk.get<float>(), dv.get<float>(), dpos.get<int32_t>(), dseq.get<int32_t>(),
                 dtab.get<int32_t>(), max_blocks, rows, H, Hkv, D, sh.scale, window, dout.get<float>()};
      paged_attention(a, nullptr);
      EXPECT_LT(rel_err(down<float>(dout, q.size()), ref), kTol) << "D=" << D << " window=" << window;
    }
  }
}

TEST(CudaOps, KvStoreAndArgmax) {
  const int64_t rows = 5, Hkv = 2, D = 16, stride = Hkv * D;
  std::vector<float> k = randn(size_t(rows * stride)), v = randn(k.size());
  const std::vector<int32_t> slots = {0, 17, 18, 63, 40};
  DeviceBuffer dk = up(k), dv = up(v), ds = up(slots), kp = poisoned(size_t(64 * stride)), vp = poisoned(size_t(64 * stride));
  kv_store(dk.get<float>(), dv.get<float>(), ds.get<int32_t>(), rows, Hkv, D, kp.get<float>(), vp.get<float>(), nullptr);
  auto hk = down<float>(kp, size_t(64 * stride)), hv = down<float>(vp, size_t(64 * stride));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < stride; ++i) {
      ASSERT_EQ(hk[size_t(slots[size_t(r)] * stride + i)], k[size_t(r * stride + i)]);
      ASSERT_EQ(hv[size_t(slots[size_t(r)] * stride + i)], v[size_t(r * stride + i)]);
    }

  const int64_t M = 3, V = 50000;
  std::vector<float> l = randn(size_t(M * V));
  l[size_t(0 * V + 49999)] = 100.f;  // last index
  l[size_t(1 * V + 3)] = 50.f, l[size_t(1 * V + 7)] = 50.f;  // tie: first wins
  DeviceBuffer dl = up(l), dout(size_t(M) * 4, "argmax");
  argmax_rows(dl.get<float>(), M, V, dout.get<int32_t>(), nullptr);
  auto got = down<int32_t>(dout, size_t(M));
  EXPECT_EQ(got[0], 49999);
  EXPECT_EQ(got[1], 3);
  EXPECT_EQ(got[2], int32_t(std::max_element(l.begin() + 2 * V, l.end()) - (l.begin() + 2 * V)));
}

}  // namespace
}  // namespace sunbae::cuda
