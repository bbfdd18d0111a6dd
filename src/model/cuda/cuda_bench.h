#pragma once
// GPU timing of a whole model through CudaModel: prefill (TTFT), decode at several batch sizes,
// memory, and the card's copy bandwidth measured in the same run for the decode floor.
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "model/model.h"

namespace sunbae::model {

struct CudaBenchOptions {
  int64_t prompt = 512, gen = 128;
  std::vector<int64_t> batches = {1, 16, 64};
  int64_t context = 4096;      // KV capacity of the batch-1 run (the VRAM figure)
  double gpu_memory_mb = 0;    // budget for each run (0: 90% of free memory)
  std::optional<uint64_t> synthetic_seed;  // make random weights on the GPU (host tensors unfilled)
  // > 1: the model split across GPUs 0..N-1 (CudaTensorParallel over `weights`, the tensors
  // `host` was made from); each run also reports the all-reduce share of a decode step.
  int tensor_parallel = 1;
  std::shared_ptr<const TensorSource> weights;
};

nlohmann::ordered_json cuda_bench(const Model& host, const CudaBenchOptions& o);

}  // namespace sunbae::model
