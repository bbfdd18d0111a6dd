#include "model/linear.h"

#include "kernels/cpu/matmul.h"

namespace sunbae::model {

void Linear::apply(const float* x, int64_t M, float* y) const {
  kernels::cpu::matmul(x, M, w, bias.empty() ? nullptr : bias.data(), y);
}

}  // namespace sunbae::model
