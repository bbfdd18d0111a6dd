#include "model/linear.h"

#include "kernels/cpu/matmul.h"

namespace sunbae::model {

void Linear::apply(const float* x, int64_t M, float* y) const {
  kernels::cpu::matmul(x, M, w, bias.empty() ? nullptr : bias.data(), y);
}

void Linear::apply_row_parallel(const float* x, int64_t M, float* y, Communicator& comm) const {
  apply_partial(x, M, y);
  comm.all_reduce_sum(y, M * w.rows, DType::F32);
  add_bias(y, M);
}

void Linear::apply_partial(const float* x, int64_t M, float* y) const { kernels::cpu::matmul(x, M, w, nullptr, y); }

void Linear::add_bias(float* y, int64_t M) const {
  if (bias.empty()) return;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < w.rows; ++n) y[m * w.rows + n] += bias[size_t(n)];
}

}  // namespace sunbae::model
