#pragma once
// GPT-NeoX's query_key_value keeps each head's q, k and v rows together: [heads, 3, head_dim]
// rows (transformers views its output as [..., heads, 3 * head_dim] and chunks the last axis).
// The shared block builder wants q, k and v as separate Linears, so the loader splits it.
#include <cstdint>

#include "core/buffer.h"
#include "core/tensor.h"

namespace sunbae::model {

enum class QkvPart { Q = 0, K = 1, V = 2 };

// Part `part` of a fused [heads * 3 * head_dim, cols] weight or [heads * 3 * head_dim] bias,
// copied into `out` as a contiguous [heads * head_dim, cols] (or [heads * head_dim]) tensor in the
// same dtype. Rows move whole, so block-quantized rows copy as bytes. Returns the view into `out`.
TensorView fused_qkv_part(const TensorView& fused, int64_t heads, int64_t head_dim, QkvPart part, Buffer& out);

}  // namespace sunbae::model
