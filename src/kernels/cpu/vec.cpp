#include "kernels/cpu/vec.h"

#include "kernels/cpu/isa.h"

namespace sunbae::kernels::cpu {

namespace {
float dot_scalar(const float* a, const float* b, int64_t n) {
  float s = 0.f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy_scalar(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

constexpr VecOps kScalar{dot_scalar, axpy_scalar};
}  // namespace

const VecOps& vec_ops() {
#ifdef SUNBAE_HAVE_AVX2_TU
  if (active_isa() == Isa::Avx2) return vec_ops_avx2();
#endif
  return kScalar;
}

}  // namespace sunbae::kernels::cpu
