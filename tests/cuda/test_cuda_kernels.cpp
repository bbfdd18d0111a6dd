// The decode GEMV against the CPU matmul on random inputs (never zeros), outputs poisoned with
// NaN before every run so an unwritten element fails.
#include <gtest/gtest.h>

#include "cuda/cuda_test_util.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {
namespace {
using namespace test;

TEST(CudaKernels, GemvMatchesCpuReference) {
  std::normal_distribution<float> nd;
  for (bool bf16 : {true, false}) {
    for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{37, 64}, {1000, 4096}, {129, 1032}, {4096, 14336}}) {
      for (int M = 1; M <= kGemvMaxRows; ++M) {
        const bool bias_on = M % 2 == 1, acc = M % 3 == 0;
        std::vector<float> x = randn(size_t(M * K)), bias = randn(size_t(N)), y0 = randn(size_t(M * N));
        std::vector<uint16_t> w(size_t(N * K));
        for (auto& v : w) {
          const float f = nd(rng()) / std::sqrt(float(K));
          v = bf16 ? f32_to_bf16(f) : f32_to_f16(f);
        }
        std::vector<float> ref(size_t(M * N));
        kernels::cpu::matmul(x.data(), M, {w.data(), bf16 ? DType::BF16 : DType::F16, N, K},
                             bias_on ? bias.data() : nullptr, ref.data());
        if (acc)
          for (size_t i = 0; i < ref.size(); ++i) ref[i] += y0[i];
        DeviceBuffer dx = up(x), dw = up(w), db = up(bias);
        DeviceBuffer dy = acc ? up(y0) : poisoned(ref.size() * 4);
        GemvArgs a;
        a.x = dx.get<float>();
        a.M = M;
        a.w = dw.get();
        a.wtype = bf16 ? WType::BF16 : WType::F16;
        a.bias = bias_on ? db.get<float>() : nullptr;
        a.N = N;
        a.K = K;
        a.y = dy.get<float>();
        a.accumulate = acc;
        gemv(a, nullptr);
        // Both sides accumulate f32 products of the same half weights, in different orders:
        // relative error ~1e-6 over K <= 14336 terms.
        EXPECT_LT(rel_err(down<float>(dy, ref.size()), ref), 1e-5)
            << "bf16=" << bf16 << " M=" << M << " N=" << N << " K=" << K << " acc=" << acc;
      }
    }
  }
}

TEST(CudaKernels, GemvRejectsShapesItCannotRun) {
  EXPECT_THROW(gemv_bf16(nullptr, 1, nullptr, nullptr, 8, 12, nullptr, nullptr), Error);
  DeviceBuffer x(64 * sizeof(float), "x"), w(64 * 2, "w"), y(64, "y");
  GemvArgs a;
  a.x = x.get<float>();
  a.w = w.get();
  a.N = 1;
  a.K = 64;
  a.y = y.get<float>();
  a.M = kGemvMaxRows + 1;
  EXPECT_THROW(gemv(a, nullptr), Error);
}

}  // namespace
}  // namespace sunbae::cuda
