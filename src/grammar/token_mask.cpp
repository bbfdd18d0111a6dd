#include "grammar/token_mask.h"

#include <algorithm>

namespace sunbae::grammar {

namespace {
std::atomic<uint64_t> next_masker_id{1};

// One automaton state per trie depth, per thread: the walk's only mutable memory.
MatchState* scratch_for(size_t n) {
  thread_local std::vector<MatchState> scratch;
  if (scratch.size() < n) scratch.resize(n);
  return scratch.data();
}
}  // namespace

GrammarMasker::GrammarMasker(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocab> vocab,
                             std::shared_ptr<MaskCache> cache)
    : v_(std::move(vocab)),
      m_(std::move(grammar)),
      cache_(cache ? std::move(cache) : std::make_shared<MaskCache>()),
      id_(next_masker_id.fetch_add(1)) {}

void GrammarMasker::walk(const std::vector<TrieNode>& trie, const std::vector<int32_t>& ids, uint32_t node,
                         MatchState* scratch, TokenMask& out) const {
  const TrieNode& n = trie[node];
  const MatchState& s = scratch[0];
  for (uint32_t c = n.child_begin; c < n.child_end; ++c) {
    const TrieNode& ch = trie[c];
    MatchState& ns = scratch[1];
    ns.copy_from(s);
    if (!m_.step(ns, ch.byte)) continue;
    for (uint32_t t = ch.tok_begin; t < ch.tok_end; ++t) {
      const int32_t id = ids[t];
      out[size_t(id >> 6)] |= uint64_t(1) << (id & 63);
    }
    if (ch.child_begin != ch.child_end) walk(trie, ids, c, scratch + 1, out);
  }
}

TokenMask GrammarMasker::compute(const MatchState& s) const { return build(s, false); }

// Inside a length-limited string every code point is a new state, so without this each position
// of a long string would be a cache miss that walks the rest trie again. The rest's part of the
// mask depends on the string's count only through two tests: room for another code point
// (count < maxLength) and the closing quote (count >= minLength). A rest token adds at most
// rest_max_len code points before its quote or its end, so once count >= minLength, every
// count that leaves at least that much room accepts the same rest tokens: they share one entry,
// keyed by the state with its count moved to the edge of that range.
std::shared_ptr<const TokenMask> GrammarMasker::rest_in_string(const MatchState& s, int64_t room) const {
  MatchState key;
  key.copy_from(s);
  Frame& f = key.f[size_t(key.depth - 1)];
  const Node& n = m_.grammar().nodes[f.node];
  const auto reach = int64_t(v_->rest_max_len);
  if (f.count >= n.min_len && room >= reach) f.count = n.max_len < 0 ? int32_t(n.min_len) : int32_t(n.max_len - reach);
  const uint64_t owner = id_ | (uint64_t(1) << 63);  // apart from the whole masks
  if (auto m = cache_->find(owner, key.key())) return m;
  auto m = std::make_shared<TokenMask>(size_t((v_->size + 63) / 64), 0);
  MatchState* scratch = scratch_for(v_->max_len + 2);
  scratch[0].copy_from(s);
  walk(v_->rest_trie, v_->rest_ids, 0, scratch, *m);
  cache_->insert(owner, key.key(), m);
  return m;
}

TokenMask GrammarMasker::build(const MatchState& s, bool cache_rest) const {
  TokenMask out(size_t((v_->size + 63) / 64), 0);
  MatchState* scratch = scratch_for(v_->max_len + 2);
  scratch[0].copy_from(s);
  int64_t room = 0;
  if (!v_->plain_upto.empty() && m_.in_string_chars(s, room)) {
    // Inside a string (the bulk of a document's tokens): plain tokens by their length alone, and
    // only the others (quotes, escapes, stray continuation bytes) walked.
    out = v_->plain_upto[size_t(std::min<int64_t>(room, int64_t(v_->plain_upto.size()) - 1))];
    if (cache_rest) {
      const auto rest = rest_in_string(s, room);
      for (size_t w = 0; w < out.size(); ++w) out[w] |= (*rest)[w];
    } else {
      walk(v_->rest_trie, v_->rest_ids, 0, scratch, out);
    }
  } else {
    walk(v_->trie, v_->sorted_ids, 0, scratch, out);
  }
  if (m_.can_end(s))
    for (int32_t e : v_->eos) out[size_t(e >> 6)] |= uint64_t(1) << (e & 63);
  return out;
}

std::shared_ptr<const TokenMask> GrammarMasker::get(const MatchState& s) const {
  if (auto m = cache_->find(id_, s.key())) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return m;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto m = std::make_shared<const TokenMask>(build(s, true));
  cache_->insert(id_, s.key(), m);
  return m;
}

const TokenMask& GrammarMasker::mask(const MatchState& s) {
  last_ = get(s);
  return *last_;
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
