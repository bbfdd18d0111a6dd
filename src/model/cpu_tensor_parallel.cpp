#include "model/cpu_tensor_parallel.h"

#include <omp.h>

#include <algorithm>

#include "core/error.h"

namespace sunbae::model {

std::unique_ptr<CpuTensorParallel> CpuTensorParallel::load(const std::string& dir, int world, int64_t num_blocks) {
  auto [config, weights] = Model::open(dir);
  return std::make_unique<CpuTensorParallel>(std::move(config), std::move(weights), world, num_blocks);
}

CpuTensorParallel::CpuTensorParallel(io::ModelConfig config, std::shared_ptr<const TensorSource> weights, int world,
                                     int64_t num_blocks)
    : config_(std::move(config)), weights_(std::move(weights)), comm_(world), threads_(world) {
  // Shards are cut on this thread: a source may cache what it reads (GGUF's un-permuted q/k).
  for (int r = 0; r < world; ++r) {
    ranks_.push_back(Model::load_shard(config_, weights_, tp_shard(config_, world, r)));
    caches_.push_back(std::make_unique<kv::KVCache>(ranks_.back()->kv_layout(num_blocks)));
  }
  // The cores are split between the ranks rather than each rank's OpenMP team taking them all.
  const int per_rank = std::max(1, omp_get_max_threads() / world);
  threads_.run([per_rank](int) { omp_set_num_threads(per_rank); });
}

Logits CpuTensorParallel::forward(const Batch& batch) {
  SUNBAE_CHECK(!failed_, "tensor parallel: a rank failed in an earlier step; the group cannot run");
  // Everything a rank could refuse is refused here, before any rank waits on a peer.
  ranks_[0]->validate(batch, caches_[0]->layout());
  std::vector<Logits> out(ranks_.size());
  try {
    threads_.run(
        [&](int r) { out[size_t(r)] = ranks_[size_t(r)]->forward(batch, *caches_[size_t(r)], &comm_.rank(r)); },
        [&](int) { comm_.abort(); });
  } catch (...) {
    failed_ = true;
    throw;
  }
  return std::move(out[0]);
}

}  // namespace sunbae::model
