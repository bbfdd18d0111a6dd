#pragma once
// The one entry point for every linear layer: it owns the weight format (and, later, LoRA and
// quantization), so no model code calls a raw matmul and silently loses either.
#include <vector>

#include "core/communicator.h"
#include "kernels/weights.h"

namespace sunbae::model {

struct Linear {
  kernels::WeightMatrix w;  // [out, in]
  std::vector<float> bias;  // empty or [out]

  int64_t in_features() const { return w.cols; }
  int64_t out_features() const { return w.rows; }
  // y[M, out] = x[M, in] · W^T + bias
  void apply(const float* x, int64_t M, float* y) const;
  // A row-parallel shard (tensor parallelism: W holds some input columns): y = x · W^T summed over
  // the ranks by `comm`, then the bias added once.
  void apply_row_parallel(const float* x, int64_t M, float* y, Communicator& comm) const;
  // A row-parallel shard's share, y = x · W^T without the bias, for a caller that sums several
  // layers' shares in one all-reduce and then adds each bias once (add_bias).
  void apply_partial(const float* x, int64_t M, float* y) const;
  void add_bias(float* y, int64_t M) const;
};

}  // namespace sunbae::model
