#pragma once
// GPU timing of a whole model: prefill (TTFT) and batch-1 decode through CudaModel.
#include <nlohmann/json.hpp>

#include "model/model.h"

namespace sunbae::model {

// Runs a prompt of `prompt` tokens, then `gen` greedy decode steps (batch 1), on the GPU; returns
// timings and memory as JSON. KV cache sized for prompt + gen.
nlohmann::ordered_json cuda_bench(const Model& host, int64_t prompt, int64_t gen);

}  // namespace sunbae::model
