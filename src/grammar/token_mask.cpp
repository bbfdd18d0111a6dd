#include "grammar/token_mask.h"

#include <algorithm>

namespace sunbae::grammar {

namespace {
// Past this many cached masks (16 KB each for a 128k vocabulary) the cache starts over.
constexpr size_t kMaxCached = 2048;
}

GrammarMasker::GrammarMasker(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocab> vocab)
    : v_(std::move(vocab)), m_(std::move(grammar)), scratch_(v_->max_len + 2) {}

void GrammarMasker::walk(const std::vector<TrieNode>& trie, const std::vector<int32_t>& ids, uint32_t node,
                         size_t depth, TokenMask& out) const {
  const TrieNode& n = trie[node];
  const MatchState& s = scratch_[depth];
  for (uint32_t c = n.child_begin; c < n.child_end; ++c) {
    const TrieNode& ch = trie[c];
    MatchState& ns = scratch_[depth + 1];
    ns.copy_from(s);
    if (!m_.step(ns, ch.byte)) continue;
    for (uint32_t t = ch.tok_begin; t < ch.tok_end; ++t) {
      const int32_t id = ids[t];
      out[size_t(id >> 6)] |= uint64_t(1) << (id & 63);
    }
    if (ch.child_begin != ch.child_end) walk(trie, ids, c, depth + 1, out);
  }
}

TokenMask GrammarMasker::compute(const MatchState& s) const {
  TokenMask out(size_t((v_->size + 63) / 64), 0);
  scratch_[0].copy_from(s);
  int64_t room = 0;
  if (!v_->plain_upto.empty() && m_.in_string_chars(s, room)) {
    // Inside a string (the bulk of a document's tokens): plain tokens by their length alone, and
    // only the others (quotes, escapes, stray continuation bytes) walked.
    out = v_->plain_upto[size_t(std::min<int64_t>(room, int64_t(v_->plain_upto.size()) - 1))];
    walk(v_->rest_trie, v_->rest_ids, 0, 0, out);
  } else {
    walk(v_->trie, v_->sorted_ids, 0, 0, out);
  }
  if (m_.can_end(s))
    for (int32_t e : v_->eos) out[size_t(e >> 6)] |= uint64_t(1) << (e & 63);
  return out;
}

const TokenMask& GrammarMasker::mask(const MatchState& s) {
  const std::string key(s.key());
  if (auto it = cache_.find(key); it != cache_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  if (cache_.size() >= kMaxCached) cache_.clear();
  return cache_.emplace(key, compute(s)).first->second;
}

bool GrammarMasker::is_eos(int32_t token) const {
  return std::find(v_->eos.begin(), v_->eos.end(), token) != v_->eos.end();
}

bool GrammarMasker::advance(MatchState& s, int32_t token) const {
  if (token < 0 || token >= v_->size) return false;
  const std::string& b = v_->bytes[size_t(token)];
  return !b.empty() && m_.step(s, b);
}

}  // namespace sunbae::grammar
