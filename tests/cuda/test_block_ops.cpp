// The fused decoder-block kernels (kernels/cuda/block_ops.h) against their CPU references
// (kernels/cpu/ops.h), random inputs, poisoned outputs.
#include <gtest/gtest.h>

#include "core/dtype.h"
#include "cuda/cuda_test_util.h"
#include "kernels/cpu/ops.h"
#include "kernels/cuda/block_ops.h"

namespace sunbae::cuda {
namespace {
using namespace test;

// f32 kernels computing the same function in another order: ~1e-6 relative.
constexpr double kTol = 1e-5;

std::vector<float> widen(const std::vector<uint16_t>& h, bool bf16) {
  std::vector<float> f(h.size());
  for (size_t i = 0; i < h.size(); ++i) f[i] = bf16 ? bf16_to_f32(h[i]) : f16_to_f32(h[i]);
  return f;
}

TEST(CudaBlockOps, EmbeddingBothHalfTypes) {
  const int64_t V = 300, D = 96, M = 5;
  const std::vector<int32_t> ids = {299, 0, 17, 17, 150};
  for (bool bf16 : {true, false}) {
    std::vector<uint16_t> table(size_t(V * D));
    for (auto& t : table) {
      const float v = std::normal_distribution<float>()(rng());
      t = bf16 ? f32_to_bf16(v) : f32_to_f16(v);
    }
    std::vector<float> ref(size_t(M * D));
    kernels::cpu::embedding(TensorView{table.data(), bf16 ? DType::BF16 : DType::F16, {V, D}}, ids.data(), M, ref.data());
    DeviceBuffer dt = up(table), di = up(ids), de = poisoned(ref.size() * 4);
    embedding(dt.get(), bf16 ? WType::BF16 : WType::F16, di.get<int32_t>(), M, D, de.get<float>(), nullptr);
    EXPECT_EQ(rel_err(down<float>(de, ref.size()), ref), 0.0) << "bf16 " << bf16;  // a widening is exact
  }
}

TEST(CudaBlockOps, RmsNormToEachOutputType) {
  const int64_t M = 7, D = 4096 + 96;
  std::vector<float> x = randn(size_t(M * D), 3.f), w = randn(size_t(D)), ref(x.size());
  kernels::cpu::rmsnorm(x.data(), w.data(), 1e-5f, M, D, ref.data());
  DeviceBuffer dx = up(x), dw = up(w);
  DeviceBuffer y = poisoned(ref.size() * 4);
  rmsnorm(dx.get<float>(), dw.get<float>(), 1e-5f, M, D, y.get(), OutType::F32, nullptr);
  EXPECT_LT(rel_err(down<float>(y, ref.size()), ref), kTol);
  for (OutType t : {OutType::BF16, OutType::F16}) {
    DeviceBuffer yh = poisoned(ref.size() * 2);
    rmsnorm(dx.get<float>(), dw.get<float>(), 1e-5f, M, D, yh.get(), t, nullptr);
    // One rounding to 8 (bf16) or 11 (f16) significant bits: 2^-9 / 2^-12 relative per element.
    EXPECT_LT(rel_err(widen(down<uint16_t>(yh, ref.size()), t == OutType::BF16), ref), t == OutType::BF16 ? 4e-3 : 5e-4);
  }
}

TEST(CudaBlockOps, SiluMulOfInterleavedGateAndUp) {
  const int64_t M = 3, F = 1000;
  std::vector<float> gu = randn(size_t(M * 2 * F), 4.f), gate(size_t(M * F)), upv(size_t(M * F));
  // gu holds the GPU order (fused_layout.h); the CPU reference takes gate and up apart.
  for (int64_t m = 0; m < M; ++m)
    for (int64_t r = 0; r < 2 * F; ++r) {
      const int64_t src = gate_up_source_row(r, F);
      (src < F ? gate[size_t(m * F + src)] : upv[size_t(m * F + src - F)]) = gu[size_t(m * 2 * F + r)];
    }
  kernels::cpu::silu_mul(gate.data(), upv.data(), M, F);
  DeviceBuffer dg = up(gu), y = poisoned(gate.size() * 4), yb = poisoned(gate.size() * 2);
  silu_mul_fused(dg.get<float>(), M, F, y.get(), OutType::F32, nullptr);
  EXPECT_LT(rel_err(down<float>(y, gate.size()), gate), kTol);
  silu_mul_fused(dg.get<float>(), M, F, yb.get(), OutType::BF16, nullptr);
  EXPECT_LT(rel_err(widen(down<uint16_t>(yb, gate.size()), true), gate), 4e-3);  // one bf16 rounding
}

TEST(CudaBlockOps, ToHalfRoundsLikeTheHost) {
  std::vector<float> x = randn(10001, 10.f);
  DeviceBuffer dx = up(x), b = poisoned(x.size() * 2), h = poisoned(x.size() * 2);
  to_half(dx.get<float>(), int64_t(x.size()), b.get(), OutType::BF16, nullptr);
  to_half(dx.get<float>(), int64_t(x.size()), h.get(), OutType::F16, nullptr);
  const auto hb = down<uint16_t>(b, x.size()), hh = down<uint16_t>(h, x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(hb[i], f32_to_bf16(x[i])) << i;  // both round to nearest even
    ASSERT_EQ(hh[i], f32_to_f16(x[i])) << i;
  }
}

TEST(CudaBlockOps, GatherRows) {
  const int64_t R = 9, D = 70;
  std::vector<float> src = randn(size_t(R * D));
  const std::vector<int32_t> rows = {8, 0, 3, 3};
  DeviceBuffer ds = up(src), dr = up(rows), out = poisoned(rows.size() * D * 4);
  gather_rows(ds.get<float>(), dr.get<int32_t>(), int64_t(rows.size()), D, out.get<float>(), nullptr);
  const auto got = down<float>(out, rows.size() * D);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t d = 0; d < D; ++d) ASSERT_EQ(got[i * D + size_t(d)], src[size_t(rows[i] * D + d)]);
}

// RoPE on q and k of a fused projection, q out in f32, k and v into shuffled bf16 cache slots:
// against the CPU rope, then the host's bf16 rounding.
TEST(CudaBlockOps, RopeStoreQkvMatchesCpu) {
  struct Case { int64_t Hq, Hkv, D, rot; bool per_row_freqs; };
  for (const Case& cs : {Case{8, 2, 128, 128, false}, Case{4, 1, 24, 24, false}, Case{4, 4, 64, 32, true}}) {
    const int64_t M = 5, qd = cs.Hq * cs.D, kvd = cs.Hkv * cs.D, W = qd + 2 * kvd, slots_n = 64;
    std::vector<float> qkv = randn(size_t(M * W)), gpu_qkv(qkv.size());  // natural and GPU row order
    for (int64_t m = 0; m < M; ++m)
      for (int64_t r = 0; r < W; ++r)
        gpu_qkv[size_t(m * W + r)] = qkv[size_t(m * W + qkv_source_row(r, cs.Hq + cs.Hkv, cs.D, cs.rot))];
    const std::vector<int32_t> pos = {0, 7, 4095, 131000, 33};
    const std::vector<int32_t> slots = {40, 3, 17, 63, 0};
    const int64_t half = cs.rot / 2;
    std::vector<float> inv(size_t((cs.per_row_freqs ? M : 1) * half));
    for (size_t i = 0; i < inv.size(); ++i)
      inv[i] = (1.f + 0.1f * float(i / size_t(half))) / std::pow(10000.f, float(2 * (i % size_t(half))) / float(cs.rot));
    // CPU: rope applied to q and k split out of the rows.
    std::vector<float> q(size_t(M * qd)), k(size_t(M * kvd)), v(size_t(M * kvd));
    for (int64_t m = 0; m < M; ++m) {
      std::copy_n(qkv.begin() + m * W, qd, q.begin() + m * qd);
      std::copy_n(qkv.begin() + m * W + qd, kvd, k.begin() + m * kvd);
      std::copy_n(qkv.begin() + m * W + qd + kvd, kvd, v.begin() + m * kvd);
    }
    const std::vector<int64_t> pos64(pos.begin(), pos.end());
    std::vector<const float*> rows(static_cast<size_t>(M));
    for (int64_t m = 0; m < M; ++m) rows[size_t(m)] = inv.data() + (cs.per_row_freqs ? m * half : 0);
    kernels::cpu::rope(q.data(), M, cs.Hq, cs.D, cs.rot, pos64.data(), rows.data());
    kernels::cpu::rope(k.data(), M, cs.Hkv, cs.D, cs.rot, pos64.data(), rows.data());

    DeviceBuffer dqkv = up(gpu_qkv), dpos = up(pos), dinv = up(inv), dslots = up(slots);
    DeviceBuffer dq = poisoned(q.size() * 4), kp = poisoned(size_t(slots_n * kvd) * 2), vp = poisoned(size_t(slots_n * kvd) * 2);
    RopeStoreArgs a;
    a.qkv = dqkv.get<float>();
    a.M = M;
    a.q_heads = cs.Hq;
    a.kv_heads = cs.Hkv;
    a.head_dim = cs.D;
    a.rot_dim = cs.rot;
    a.pos = dpos.get<int32_t>();
    a.inv_freq = dinv.get<float>();
    a.freq_stride = cs.per_row_freqs ? half : 0;
    a.slots = dslots.get<int32_t>();
    a.q_out = dq.get<float>();
    a.k_pool = kp.get<uint16_t>();
    a.v_pool = vp.get<uint16_t>();
    rope_store_qkv(a, nullptr);
    // Same f32 angle and precise sincos on both sides.
    EXPECT_LT(rel_err(down<float>(dq, q.size()), q), 1e-5) << "D=" << cs.D;
    const auto hk = down<uint16_t>(kp, size_t(slots_n * kvd)), hv = down<uint16_t>(vp, size_t(slots_n * kvd));
    std::vector<float> gk(k.size()), gv(v.size());
    for (int64_t m = 0; m < M; ++m)
      for (int64_t i = 0; i < kvd; ++i) {
        gk[size_t(m * kvd + i)] = bf16_to_f32(hk[size_t(slots[size_t(m)] * kvd + i)]);
        gv[size_t(m * kvd + i)] = bf16_to_f32(hv[size_t(slots[size_t(m)] * kvd + i)]);
        ASSERT_EQ(hv[size_t(slots[size_t(m)] * kvd + i)], f32_to_bf16(v[size_t(m * kvd + i)]));  // v: rounding only
      }
    EXPECT_LT(rel_err(gk, k), 4e-3) << "D=" << cs.D;  // one bf16 rounding of the rotated k
  }
}

}  // namespace
}  // namespace sunbae::cuda

namespace sunbae::cuda {
namespace {
using namespace test;

TEST(CudaBlockOps, FillUniformIsSeededAndSpread) {
  const int64_t n = 1 << 20;
  DeviceBuffer a = poisoned(n * 4), b = poisoned(n * 4), c = poisoned(n * 2);
  fill_uniform(a.get(), n, OutType::F32, 0.5f, 1.f, 7, nullptr);
  fill_uniform(b.get(), n, OutType::F32, 0.5f, 1.f, 7, nullptr);
  fill_uniform(c.get(), n, OutType::BF16, 0.5f, 1.f, 8, nullptr);
  const auto ha = down<float>(a, n), hb = down<float>(b, n);
  const auto hc = down<uint16_t>(c, n);
  EXPECT_EQ(ha, hb);  // same seed, same values
  double sum = 0, sq = 0;
  int64_t same = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_GE(ha[size_t(i)], 0.5f);
    ASSERT_LT(ha[size_t(i)], 1.5f);
    sum += ha[size_t(i)];
    sq += (ha[size_t(i)] - 1.0) * (ha[size_t(i)] - 1.0);
    same += std::fabs(bf16_to_f32(hc[size_t(i)]) - ha[size_t(i)]) < 1e-2f;
  }
  EXPECT_NEAR(sum / double(n), 1.0, 2e-3);           // mean of offset + 0.5 U(-1, 1)
  EXPECT_NEAR(sq / double(n), 0.25 / 3.0, 1e-3);     // variance 0.5^2 / 3
  EXPECT_LT(same, n / 20) << "another seed gives other values";
}

}  // namespace
}  // namespace sunbae::cuda
