#include "engine/model_runner.h"

#include <algorithm>

#include "core/error.h"

namespace sunbae::engine {

int64_t kv_blocks_for_bytes(const model::Model& model, int64_t budget_bytes) {
  const int64_t per_block = model.kv_layout(1).bytes();
  SUNBAE_CHECK(per_block > 0, "KV cache: the model has an empty KV layout");
  return std::max<int64_t>(1, budget_bytes / per_block);
}

std::vector<int32_t> ModelRunner::forward_sample(const model::Batch&, const std::vector<DeviceDraw>&) {
  fail("the ", device(), " runner does not sample on its device");
}

CpuModelRunner::CpuModelRunner(std::unique_ptr<model::Model> model, int64_t num_blocks)
    : model_(std::move(model)), cache_(model_->kv_layout(num_blocks)) {}

}  // namespace sunbae::engine
