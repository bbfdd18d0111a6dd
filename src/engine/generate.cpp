#include "engine/generate.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace sunbae::engine {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int64_t context_length(const io::ModelConfig& c) {
  // Dynamic NTK exists to stretch the trained context by its factor.
  if (c.rope.type == io::RopeType::Dynamic) return int64_t(double(c.max_position_embeddings) * c.rope.factor);
  return c.max_position_embeddings;
}

GenerateResult generate(const model::Model& model, const std::vector<int32_t>& prompt,
                        const GenerateOptions& options, const std::function<void(int32_t)>& on_token) {
  const io::ModelConfig& c = model.config();
  SUNBAE_CHECK(!prompt.empty(), "the prompt is empty");
  SUNBAE_CHECK(options.max_tokens >= 0, "max_tokens must be >= 0");
  SUNBAE_CHECK(options.prefill_chunk > 0, "prefill chunk must be > 0");
  for (int32_t id : prompt)
    SUNBAE_CHECK(id >= 0 && id < c.vocab_size, "token id ", id, " is outside the vocabulary (0..",
                 c.vocab_size - 1, ")");
  const int64_t context = context_length(c);
  SUNBAE_CHECK(options.max_tokens <= context && int64_t(prompt.size()) + options.max_tokens <= context,
               "prompt (", prompt.size(), " tokens) + max_tokens (", options.max_tokens,
               ") exceeds the model's context of ", context, " tokens");
  Sampler sampler(options.sampling);

  // Blocks are reserved as the sequence grows and the pool's pages are only made resident when
  // first written, so a sequence that stops early never holds memory for max_tokens of KV.
  kv::BlockAllocator alloc(kv::blocks_for_tokens(int64_t(prompt.size()) + options.max_tokens));
  kv::KVCache cache(model.kv_layout(alloc.num_blocks()));
  kv::BlockTable table;
  auto grow = [&](int64_t tokens) { SUNBAE_CHECK(table.reserve(alloc, tokens), "KV cache exhausted"); };

  GenerateResult res;
  if (options.max_tokens == 0) return res;
  auto t0 = std::chrono::steady_clock::now();
  model::Logits logits;
  for (size_t pos = 0; pos < prompt.size(); pos += size_t(options.prefill_chunk)) {
    const size_t end = std::min(prompt.size(), pos + size_t(options.prefill_chunk));
    model::Batch b;
    model::SequenceStep st;
    st.tokens.assign(prompt.begin() + long(pos), prompt.begin() + long(end));
    st.start_pos = int64_t(pos);
    grow(int64_t(end));
    st.blocks = &table.blocks();
    if (end == prompt.size()) st.logit_rows = {int32_t(end - pos - 1)};
    b.seqs.push_back(std::move(st));
    logits = model.forward(b, cache);
  }
  res.prefill_seconds = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  int64_t pos = int64_t(prompt.size());
  for (;;) {
    const int32_t tok = sampler.sample(logits.row(0), logits.vocab);
    res.tokens.push_back(tok);
    if (on_token) on_token(tok);
    const bool eos = std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), tok) != c.eos_token_ids.end();
    if (eos && !options.ignore_eos) {
      res.stopped_on_eos = true;
      break;
    }
    if (int64_t(res.tokens.size()) >= options.max_tokens) break;
    grow(pos + 1);
    model::Batch b;
    b.seqs.push_back({{tok}, pos, &table.blocks(), {0}});
    logits = model.forward(b, cache);
    ++pos;
  }
  res.decode_seconds = seconds_since(t0);
  table.release_all(alloc);
  return res;
}

}  // namespace sunbae::engine
