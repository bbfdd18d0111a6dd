#pragma once
// Random weights at a real model's shapes, built in memory, so the benchmark times exactly what
// the real checkpoint would (same bytes, same kernels) without downloading it.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "io/model_config.h"
#include "model/tensor_source.h"

namespace sunbae::bench {

class SyntheticWeights : public model::TensorSource {
 public:
  // Every tensor a model of this config needs, in `dtype`, values ~ U(-a, a) with
  // a = 1/sqrt(fan_in) (norms near 1) so activations stay finite through the layers. Values
  // come from one random pool of a length prime to every dimension, copied cyclically from a
  // per-tensor offset: as good as fresh randoms for timing, and 10x faster to build at 7B.
  // fill = false leaves every tensor zero (pages never touched, so no memory is used) for a backend
  // that makes the values itself (CudaOptions::synthetic_seed).
  SyntheticWeights(const io::ModelConfig& config, DType dtype, uint64_t seed, bool fill = true);
  bool has(std::string_view name) const override;
  TensorView get(std::string_view name) const override;
  const std::string& source() const override { return source_; }

 private:
  void add(const std::string& name, std::vector<int64_t> shape, float scale, float offset);
  std::string source_ = "synthetic weights";
  DType dtype_;
  uint64_t seed_;
  bool fill_;
  std::vector<float> pool_;  // random values that tensors copy cyclically
  std::map<std::string, std::pair<TensorView, Buffer>, std::less<>> tensors_;
};

}  // namespace sunbae::bench
