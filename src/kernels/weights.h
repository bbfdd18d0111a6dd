#pragma once
// A linear layer's weight as the kernels see it: row-major [out_features, in_features] in the
// checkpoint's own dtype, usually a zero-copy view into the mmapped file. Quantized formats
// become new dtypes here, handled by each backend's type table, not by the model code.
#include <cstdint>

#include "core/dtype.h"

namespace sunbae::kernels {

struct WeightMatrix {
  const void* data = nullptr;
  DType dtype = DType::F32;  // F32, F16 or BF16
  int64_t rows = 0;          // out features (N)
  int64_t cols = 0;          // in features (K)
};

}  // namespace sunbae::kernels
