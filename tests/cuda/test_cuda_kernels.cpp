// CUDA kernels against the CPU reference kernels on random inputs (never zeros), outputs
// poisoned with NaN before every run so an unwritten element fails.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/matmul.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {
namespace {

template <class T>
DeviceBuffer upload(const std::vector<T>& v) {
  DeviceBuffer b(v.size() * sizeof(T), "test input");
  SUNBAE_CUDA_CHECK(cudaMemcpy(b.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return b;
}

template <class T>
std::vector<T> download(const DeviceBuffer& b, size_t n) {
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

TEST(CudaKernels, GemvBf16MatchesCpuReference) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd;
  for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{37, 64}, {1000, 4096}, {129, 1032}, {4096, 14336}}) {
    for (int M = 1; M <= kGemvMaxRows; ++M) {
      std::vector<float> x(static_cast<size_t>(M * K)), bias(static_cast<size_t>(N));
      std::vector<uint16_t> w(size_t(N * K));
      for (auto& v : x) v = nd(rng);
      for (auto& v : bias) v = nd(rng);
      for (auto& v : w) v = f32_to_bf16(nd(rng) / std::sqrt(float(K)));
      std::vector<float> ref(size_t(M * N));
      kernels::cpu::matmul(x.data(), M, {w.data(), DType::BF16, N, K}, bias.data(), ref.data());

      DeviceBuffer dx = upload(x), dw = upload(w), db = upload(bias);
      DeviceBuffer dy(size_t(M * N) * sizeof(float), "y");
      SUNBAE_CUDA_CHECK(cudaMemset(dy.get(), 0xff, dy.size()));  // NaN poison
      gemv_bf16(dx.get<float>(), M, dw.get<uint16_t>(), db.get<float>(), N, K, dy.get<float>(), nullptr);
      SUNBAE_CUDA_CHECK(cudaDeviceSynchronize());
      // Both sides accumulate f32 products of the same bf16 weights, in different orders:
      // relative error ~1e-6 over K <= 14336 terms.
      EXPECT_LT(rel_err(download<float>(dy, ref.size()), ref), 1e-5) << "M=" << M << " N=" << N << " K=" << K;
    }
  }
}

TEST(CudaKernels, GemvRejectsShapesItCannotRun) {
  EXPECT_THROW(gemv_bf16(nullptr, 1, nullptr, nullptr, 8, 12, nullptr, nullptr), Error);
  DeviceBuffer x(64 * sizeof(float), "x"), w(64 * 2, "w"), y(64, "y");
  EXPECT_THROW(gemv_bf16(x.get<float>(), 9, w.get<uint16_t>(), nullptr, 1, 64, y.get<float>(), nullptr), Error);
}

}  // namespace
}  // namespace sunbae::cuda
