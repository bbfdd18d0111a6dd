#pragma once
// Per-step token masks: the set of ids whose bytes keep the output a valid prefix of the schema's
// document, plus EOS exactly when the document is complete. Computed by walking the vocabulary's
// trie against the automaton (a shared token prefix is stepped once, and a rejected prefix prunes
// every token under it), and cached by the automaton state's bytes (grammar/mask_cache.h):
// sequences of a batch writing the same kind of value, and a value's later steps, mostly land on
// states seen before. Thread-safe, so the engine's mask workers (grammar/mask_pool.h) can compute
// the next step's masks of many sequences at once while the model runs.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "grammar/json_matcher.h"
#include "grammar/mask_cache.h"
#include "grammar/token_vocab.h"

namespace sunbae::grammar {

inline bool mask_has(const TokenMask& m, int64_t id) { return (m[size_t(id >> 6)] >> (id & 63)) & 1; }

class GrammarMasker {
 public:
  // `cache` may be shared by many maskers (the engine's, bounded by --grammar-cache-mb); null
  // gives this masker a cache of its own with the default bound.
  GrammarMasker(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocab> vocab,
                std::shared_ptr<MaskCache> cache = nullptr);
  const JsonMatcher& matcher() const { return m_; }
  const TokenVocab& vocab() const { return *v_; }
  const MaskCache& cache() const { return *cache_; }

  // The mask for state `s`, from the cache or computed and cached. Thread-safe.
  std::shared_ptr<const TokenMask> get(const MatchState& s) const;
  // The same for one caller at a time (tests, benchmarks): the reference stays valid until the
  // next call.
  const TokenMask& mask(const MatchState& s);
  // The same, computed without the cache. Thread-safe.
  TokenMask compute(const MatchState& s) const;
  // Advances `s` by the token's bytes; false when the token is not allowed there.
  bool advance(MatchState& s, int32_t token) const;
  bool is_eos(int32_t token) const;

  size_t cache_hits() const { return hits_.load(std::memory_order_relaxed); }
  size_t cache_misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  void walk(const std::vector<TrieNode>& trie, const std::vector<int32_t>& ids, uint32_t node,
            MatchState* scratch, TokenMask& out) const;
  TokenMask build(const MatchState& s, bool cache_rest) const;
  std::shared_ptr<const TokenMask> rest_in_string(const MatchState& s, int64_t room) const;

  std::shared_ptr<const TokenVocab> v_;
  JsonMatcher m_;
  std::shared_ptr<MaskCache> cache_;
  uint64_t id_;  // this masker's part of the cache's keys
  std::shared_ptr<const TokenMask> last_;  // what mask() returned last
  mutable std::atomic<size_t> hits_{0}, misses_{0};
};

}  // namespace sunbae::grammar
