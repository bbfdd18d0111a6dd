#pragma once
// The forward interface every caller shares: a varlen batch of sequences, each with this step's
// new tokens, the position of the first, and its KV block table. Prefill, chunked prefill and
// decode are the same call with different token counts.
#include <cstdint>
#include <vector>

#include "kv/block_allocator.h"

namespace sunbae::model {

struct SequenceStep {
  std::vector<int32_t> tokens;          // new tokens this step
  int64_t start_pos = 0;                // position of tokens[0]; KV for [0, start_pos) is cached
  const std::vector<kv::BlockId>* blocks = nullptr;  // covers [0, start_pos + tokens.size())
  std::vector<int32_t> logit_rows;      // indices into tokens whose logits are wanted
};

struct Batch {
  std::vector<SequenceStep> seqs;
};

// Logits of the requested rows, in batch order: sequence 0's logit_rows, then sequence 1's, ...
struct Logits {
  std::vector<float> data;  // [rows, vocab]
  int64_t rows = 0;
  int64_t vocab = 0;
  const float* row(int64_t r) const { return data.data() + r * vocab; }
};

}  // namespace sunbae::model
