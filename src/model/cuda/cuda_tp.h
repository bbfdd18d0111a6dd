#pragma once
// Tensor-parallel parts of CudaModel (cuda_tp.cu). Not for use outside src/model/cuda.
#include <cstdint>

#include "model/model.h"

namespace sunbae::model {

// Device bytes a rank needs beyond a whole model's plan for `logit_rows` rows: the gathered
// logits and this rank's part of them; 0 for a world-1 host.
int64_t tp_buffer_bytes(const Model& host, int64_t logit_rows);

}  // namespace sunbae::model
