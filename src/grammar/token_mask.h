#pragma once
// Per-step token masks: the set of ids whose bytes keep the output a valid prefix of the schema's
// document, plus EOS exactly when the document is complete. Computed by walking the vocabulary's
// trie against the automaton (a shared token prefix is stepped once, and a rejected prefix prunes
// every token under it), and cached by the automaton state's bytes: sequences of a batch writing
// the same kind of value, and a value's later steps, mostly land on states seen before.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/json_matcher.h"
#include "grammar/token_vocab.h"

namespace sunbae::grammar {

using TokenMask = std::vector<uint64_t>;  // bit i: token i allowed

inline bool mask_has(const TokenMask& m, int64_t id) { return (m[size_t(id >> 6)] >> (id & 63)) & 1; }

class GrammarMasker {
 public:
  GrammarMasker(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocab> vocab);
  const JsonMatcher& matcher() const { return m_; }
  const TokenVocab& vocab() const { return *v_; }

  // The mask for state `s`; the reference stays valid until the next call. Not thread-safe:
  // the engine loop owns it.
  const TokenMask& mask(const MatchState& s);
  // The same, computed without the cache (benchmarks and tests).
  TokenMask compute(const MatchState& s) const;
  // Advances `s` by the token's bytes; false when the token is not allowed there.
  bool advance(MatchState& s, int32_t token) const;
  bool is_eos(int32_t token) const;

  size_t cache_hits() const { return hits_; }
  size_t cache_misses() const { return misses_; }

 private:
  void walk(const std::vector<TrieNode>& trie, const std::vector<int32_t>& ids, uint32_t node, size_t depth,
            TokenMask& out) const;

  std::shared_ptr<const TokenVocab> v_;
  JsonMatcher m_;
  mutable std::vector<MatchState> scratch_;  // one state per trie depth
  std::unordered_map<std::string, TokenMask> cache_;
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace sunbae::grammar
