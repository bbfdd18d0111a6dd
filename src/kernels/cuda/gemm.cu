#include <string>

#include "kernels/cuda/gemm.h"

namespace sunbae::cuda {

namespace {
#define SUNBAE_LT_CHECK(expr)                                                              \
  do {                                                                                     \
    const cublasStatus_t st_ = (expr);                                                     \
    if (st_ != CUBLAS_STATUS_SUCCESS) ::sunbae::fail(#expr, ": cuBLAS status ", int(st_)); \
  } while (0)
}  // namespace

struct Gemm::Plan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Plan() {
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

Gemm::Gemm() : workspace_(kWorkspaceBytes, "cuBLASLt workspace") { SUNBAE_LT_CHECK(cublasLtCreate(&lt_)); }

Gemm::~Gemm() {
  for (auto& [k, p] : plans_) delete p;
  if (lt_) cublasLtDestroy(lt_);
}

Gemm::Plan& Gemm::plan(int64_t M, int64_t N, int64_t K, WType type, bool bias, bool accumulate) {
  const Key key{M, N, K, int(type), bias, accumulate};
  if (auto it = plans_.find(key); it != plans_.end()) return *it->second;
  auto* p = new Plan;
  try {
    const cudaDataType_t in = type == WType::BF16 ? CUDA_R_16BF : CUDA_R_16F;
    // Row-major y[M, N] = x W^T is column-major y^T[N, M] = W^T' x^T': A = W (K x N, ld K)
    // transposed, B = x (K x M, ld K), C = D = y (N x M, ld N).
    SUNBAE_LT_CHECK(cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t t = CUBLAS_OP_T;
    SUNBAE_LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof(t)));
    const cublasLtEpilogue_t epi = bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
    SUNBAE_LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
    if (bias) {
      const cudaDataType_t bt = CUDA_R_32F;
      SUNBAE_LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(bt)));
    }
    SUNBAE_LT_CHECK(cublasLtMatrixLayoutCreate(&p->a, in, uint64_t(K), uint64_t(N), K));
    SUNBAE_LT_CHECK(cublasLtMatrixLayoutCreate(&p->b, in, uint64_t(K), uint64_t(M), K));
    SUNBAE_LT_CHECK(cublasLtMatrixLayoutCreate(&p->c, CUDA_R_32F, uint64_t(N), uint64_t(M), N));
    cublasLtMatmulPreference_t pref = nullptr;
    SUNBAE_LT_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    const size_t ws = kWorkspaceBytes;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    cublasLtMatmulHeuristicResult_t res{};
    int found = 0;
    const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(lt_, p->op, p->a, p->b, p->c, p->c, pref, 1, &res, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    SUNBAE_LT_CHECK(st);
    SUNBAE_CHECK(found > 0, "cuBLASLt has no algorithm for a ", M, "x", N, "x", K, " GEMM");
    p->algo = res.algo;
  } catch (...) {
    delete p;
    throw;
  }
  plans_.emplace(key, p);
  return *p;
}

void Gemm::run(const void* x, const void* w, WType type, const float* bias, int64_t M, int64_t N, int64_t K,
               float* y, bool accumulate, cudaStream_t s) {
  if (M == 0) return;
  Plan& p = plan(M, N, K, type, bias != nullptr, accumulate);
  if (bias)
    SUNBAE_LT_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  const float alpha = 1.f, beta = accumulate ? 1.f : 0.f;
  SUNBAE_LT_CHECK(cublasLtMatmul(lt_, p.op, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c, &p.algo,
                                 workspace_.get(), kWorkspaceBytes, s));
}

}  // namespace sunbae::cuda
