#pragma once
// bench-grammar's model of the engine's decode steps under response_format: a batch of sequences,
// a forward of a given length (slept, as the engine thread waits on the GPU), then each sequence
// takes its mask, picks a token under it and advances its automaton -- with the masks either
// computed right there on the engine thread (workers = 0, the engine before the mask workers) or
// by workers during the forward (grammar/mask_pool.h). It times what the engine thread spends on
// masks per step: the critical path the goal (<= 5% of a step) is about.
#include <cstdint>
#include <memory>
#include <vector>

#include "grammar/token_mask.h"

namespace sunbae::app {

struct StepSimOptions {
  int64_t batch = 64, steps = 64;
  double forward_ms = 9.2;
  int workers = 0;
  size_t cache_bytes = grammar::MaskCache::kDefaultBytes;
  uint64_t seed = 1;
};

struct StepSimResult {
  double mask_us_per_step = 0;     // engine thread: mask lookups/computations (workers = 0) or waits
  double advance_us_per_step = 0;  // engine thread: automaton advances and job submissions
  double critical_us_per_step = 0;  // the two above
  double p99_step_us = 0;          // of the per-step critical path
  // The engine thread's CPU time over the same spans: on a machine whose cores are shared, wall
  // time also counts the spans the thread was runnable but descheduled.
  double cpu_us_per_step = 0;
  double cache_hit_rate = 0;
  size_t cache_bytes_end = 0, cache_bytes_peak = 0, evictions = 0;
  uint64_t computed_inline = 0;    // masks the engine thread computed itself
  int64_t tokens = 0, docs = 0;
};

// `logits` are the random rows tokens are drawn from (softmax at temperature 1 restricted to the
// mask, by rejection against each row's own distribution).
StepSimResult simulate_steps(std::shared_ptr<const grammar::Grammar> g, std::shared_ptr<const grammar::TokenVocab> v,
                             const std::vector<std::vector<float>>& logits, const StepSimOptions& o);

}  // namespace sunbae::app
