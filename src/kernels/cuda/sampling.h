#pragma once
// Token selection on the GPU, one row of logits per sequence, each with its own parameters; the
// same function as engine::Sampler on the CPU (sampler.h), which is its reference: for the same
// logits, parameters, seed and step both pick the same token. The rule both implement, filter
// order (temperature, top-k, top-p, min-p) and ties included, is kernels/sampling_rule.h.
#include <cuda_runtime.h>

#include <cstdint>

namespace sunbae::cuda {

struct SampleRow {
  float temperature = 0.f;  // 0: greedy (argmax, first index on ties)
  int32_t top_k = 0;        // 0: off
  float top_p = 1.f;        // 1: off
  float min_p = 0.f;        // 0: off; keep tokens with p >= min_p * p_max
  uint64_t seed = 0;
  uint64_t step = 0;        // index of the token being drawn; (seed, step) gives its random number
};

// Bytes of workspace sample_rows needs for M rows of `vocab`: one float per logit (the tokens'
// weights, written once and re-read by each threshold pass).
size_t sample_workspace_bytes(int64_t M, int64_t vocab);
// out[m] = the token drawn from logits[m, :vocab] with params[m] (device arrays), or -1 when that
// row holds a NaN (the CPU sampler throws instead; the caller checks, since a kernel cannot).
// Parameters are expected valid (SamplingParams::validate); out-of-range ones still give a kept
// token: top_p <= 0 keeps the max's tie group, min_p > 1 acts as 1. No host sync: graph-safe.
void sample_rows(const float* logits, int64_t M, int64_t vocab, const SampleRow* params, int32_t* out,
                 void* workspace, cudaStream_t s);

}  // namespace sunbae::cuda
