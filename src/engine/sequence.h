#pragma once
// One choice of a request as the scheduler and the engine loop see it: its tokens (prompt, then
// output), how many of them have KV in the cache, and its blocks. Owned by the engine loop; the
// scheduler holds pointers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/request.h"
#include "grammar/mask_pool.h"
#include "grammar/token_mask.h"
#include "kv/block_manager.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::engine {

struct RequestState;

struct Sequence {
  enum class Status { Waiting, Running, Finished };

  int64_t id = 0;
  RequestState* request = nullptr;
  int32_t index = 0;             // choice index within the request
  std::vector<int32_t> tokens;   // prompt followed by output
  int64_t prompt_len = 0;
  int64_t num_computed = 0;      // tokens [0, num_computed) have KV in `kv`
  kv::SeqBlocks kv;
  Status status = Status::Waiting;
  uint64_t seed = 0;
  int64_t num_preemptions = 0;
  int64_t cached_prompt = -1;    // prompt tokens the prefix cache served at first admission
  // Constrained decoding: the masker shared by the requests with this schema, and where this
  // choice's output stands in the schema's automaton (kept across preemption, like the tokens).
  std::shared_ptr<grammar::GrammarMasker> grammar;
  std::unique_ptr<grammar::MatchState> gstate;
  // The mask for the next token, computed from `gstate` while the model runs (grammar/mask_pool.h).
  std::shared_ptr<grammar::MaskJob> next_mask;

  // Output text: what the detokenizer produced so far and how much of it was sent.
  std::unique_ptr<tok::IncrementalDetokenizer> detok;
  std::string text;
  size_t text_sent = 0;
  FinishReason finish = FinishReason::None;
  std::string stop_reason;

  int64_t output_len() const { return int64_t(tokens.size()) - prompt_len; }
  // Tokens still to run through the model before the next token can be sampled (>= 1 while live).
  int64_t num_uncomputed() const { return int64_t(tokens.size()) - num_computed; }
};

}  // namespace sunbae::engine
