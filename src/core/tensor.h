#pragma once
// A non-owning view of a tensor's bytes (mmapped weights, KV blocks, activations).
#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace sunbae {

struct TensorView {
  const void* data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  size_t nbytes() const { return dtype_bytes(dtype, numel()); }
  int64_t dim(int i) const { return shape[size_t(i < 0 ? int(shape.size()) + i : i)]; }
};

std::string shape_str(const std::vector<int64_t>& shape);  // "[4, 64]"

}  // namespace sunbae
