#pragma once
// Prefill GEMM through cuBLASLt: y[M, N] (= or +=) x[M, K] · W[N, K]^T (+ bias), x and W both bf16
// or both f16, f32 accumulate and output. The bias and the residual add (beta = 1 into y) ride in
// cuBLASLt's epilogue, so neither costs a pass over y. Algorithms are chosen once per shape.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <tuple>

#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {

class Gemm {
 public:
  static constexpr size_t kWorkspaceBytes = size_t(32) << 20;  // what NVIDIA advises for Hopper

  Gemm();
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // Capturable in a CUDA graph once the shape has been run before (its algorithm is cached).
  void run(const void* x, const void* w, WType type, const float* bias, int64_t M, int64_t N, int64_t K, float* y,
           bool accumulate, cudaStream_t s);

 private:
  struct Plan;
  using Key = std::tuple<int64_t, int64_t, int64_t, int, bool, bool>;
  Plan& plan(int64_t M, int64_t N, int64_t K, WType type, bool bias, bool accumulate);
  cublasLtHandle_t lt_ = nullptr;
  DeviceBuffer workspace_;
  std::map<Key, Plan*> plans_;
};

}  // namespace sunbae::cuda
