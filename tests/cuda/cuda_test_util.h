#pragma once
// Shared by the CUDA kernel tests: random inputs, device upload/download, poisoned outputs, and
// the relative error that every tolerance is stated in.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"

namespace sunbae::cuda::test {

inline std::mt19937& rng() {
  static std::mt19937 r(21);
  return r;
}

inline std::vector<float> randn(size_t n, float scale = 1.f) {
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng());
  return v;
}

template <class T>
DeviceBuffer up(const std::vector<T>& v) {
  DeviceBuffer b(v.size() * sizeof(T), "test input");
  SUNBAE_CUDA_CHECK(cudaMemcpy(b.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return b;
}

// All bytes 0xff: NaN as f32, NaN as bf16/f16, -1 as int32, so an unwritten element shows.
inline DeviceBuffer poisoned(size_t bytes) {
  DeviceBuffer b(bytes, "test output");
  SUNBAE_CUDA_CHECK(cudaMemset(b.get(), 0xff, bytes));
  return b;
}

template <class T>
std::vector<T> down(const DeviceBuffer& b, size_t n) {
  SUNBAE_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<T> v(n);
  SUNBAE_CUDA_CHECK(cudaMemcpy(v.data(), b.get(), n * sizeof(T), cudaMemcpyDeviceToHost));
  return v;
}

// max |a - ref| / max |ref|; infinite when a has a non-finite value.
inline double rel_err(const float* a, const float* ref, size_t n) {
  double mr = 0, md = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    mr = std::max(mr, std::fabs(double(ref[i])));
    md = std::max(md, std::fabs(double(a[i]) - ref[i]));
  }
  return md / mr;
}
inline double rel_err(const std::vector<float>& a, const std::vector<float>& ref) {
  return a.size() == ref.size() ? rel_err(a.data(), ref.data(), ref.size()) : INFINITY;
}

}  // namespace sunbae::cuda::test
