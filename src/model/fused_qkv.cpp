#include "model/fused_qkv.h"

#include <cstring>

#include "core/error.h"

namespace sunbae::model {

TensorView fused_qkv_part(const TensorView& fused, int64_t heads, int64_t head_dim, QkvPart part, Buffer& out) {
  SUNBAE_CHECK(!fused.shape.empty() && fused.shape[0] == heads * 3 * head_dim, "fused q/k/v: ", shape_str(fused.shape),
               " is not ", heads, " heads of 3 x ", head_dim, " rows");
  const int64_t cols = fused.shape.size() > 1 ? fused.shape[1] : 1;
  const size_t row = dtype_bytes(fused.dtype, cols), block = size_t(head_dim) * row;
  out = Buffer(size_t(heads) * block, "fused q/k/v split");
  const char* src = static_cast<const char*>(fused.data);
  for (int64_t h = 0; h < heads; ++h)
    std::memcpy(out.data() + size_t(h) * block, src + size_t(3 * h + int64_t(part)) * block, block);
  TensorView v{out.data(), fused.dtype, fused.shape};
  v.shape[0] = heads * head_dim;
  return v;
}

}  // namespace sunbae::model
