#include "grammar/token_vocab.h"

#include <algorithm>
#include <numeric>

#include "grammar/json_matcher.h"
#include "tokenizer/byte_level.h"

namespace sunbae::grammar {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void build_trie(const std::vector<std::string>& bytes, const std::vector<int32_t>& ids, std::vector<TrieNode>& trie,
                uint32_t node, size_t lo, size_t hi, size_t d) {
  size_t i = lo;
  while (i < hi && bytes[size_t(ids[i])].size() == d) ++i;
  trie[node].tok_begin = uint32_t(lo);
  trie[node].tok_end = uint32_t(i);
  struct Group { uint8_t byte; size_t lo, hi; };
  std::vector<Group> groups;
  while (i < hi) {
    const uint8_t b = uint8_t(bytes[size_t(ids[i])][d]);
    size_t j = i;
    while (j < hi && uint8_t(bytes[size_t(ids[j])][d]) == b) ++j;
    groups.push_back({b, i, j});
    i = j;
  }
  const uint32_t first = uint32_t(trie.size());
  trie[node].child_begin = first;
  trie[node].child_end = first + uint32_t(groups.size());
  trie.resize(trie.size() + groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    trie[first + k].byte = groups[k].byte;
    build_trie(bytes, ids, trie, uint32_t(first + k), groups[k].lo, groups[k].hi, d + 1);
  }
}

// Sorts plain tokens from the rest by stepping each through an unbounded string, so "plain" means
// exactly what the matcher accepts there.
void split_plain(TokenVocab& v) {
  auto g = std::make_shared<Grammar>();
  Node n;
  n.kind = Kind::String;
  n.max_len = int64_t(1) << 40;  // counted, never limiting
  g->nodes.push_back(n);
  const JsonMatcher m(g);
  MatchState open = m.initial();
  m.step(open, '"');
  const size_t words = size_t((v.size + 63) / 64);
  std::vector<std::pair<int32_t, int32_t>> plain;  // (code points, id)
  for (int32_t id : v.sorted_ids) {
    const std::string& b = v.bytes[size_t(id)];
    MatchState s;
    s.copy_from(open);
    if (b.find_first_of("\\\"") == std::string::npos && m.step(s, b) && s.depth == 1)
      plain.emplace_back(s.f[0].count, id);
    else
      v.rest_ids.push_back(id);
  }
  int32_t most = 0;
  for (const auto& [c, id] : plain) most = std::max(most, c);
  v.plain_upto.assign(size_t(most) + 1, std::vector<uint64_t>(words, 0));
  for (const auto& [c, id] : plain) v.plain_upto[size_t(c)][size_t(id >> 6)] |= uint64_t(1) << (id & 63);
  for (size_t k = 1; k < v.plain_upto.size(); ++k)
    for (size_t w = 0; w < words; ++w) v.plain_upto[k][w] |= v.plain_upto[k - 1][w];
  for (int32_t id : v.rest_ids) v.rest_max_len = std::max(v.rest_max_len, v.bytes[size_t(id)].size());
  v.rest_trie.resize(1);
  build_trie(v.bytes, v.rest_ids, v.rest_trie, 0, 0, v.rest_ids.size(), 0);
}

}  // namespace

TokenVocab TokenVocab::from_bytes(std::vector<std::string> bytes, std::vector<int32_t> eos) {
  TokenVocab v;
  v.size = int64_t(bytes.size());
  v.bytes = std::move(bytes);
  v.eos = std::move(eos);
  for (int32_t e : v.eos)
    if (e >= 0 && e < v.size) v.bytes[size_t(e)].clear();
  for (size_t i = 0; i < v.bytes.size(); ++i)
    if (!v.bytes[i].empty()) v.sorted_ids.push_back(int32_t(i));
  // Unsigned byte order, so each trie node's children come out grouped.
  std::sort(v.sorted_ids.begin(), v.sorted_ids.end(), [&](int32_t a, int32_t b) {
    const auto& x = v.bytes[size_t(a)];
    const auto& y = v.bytes[size_t(b)];
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                        [](char p, char q) { return uint8_t(p) < uint8_t(q); }) ||
           (x == y && a < b);
  });
  for (int32_t id : v.sorted_ids) v.max_len = std::max(v.max_len, v.bytes[size_t(id)].size());
  v.trie.resize(1);
  build_trie(v.bytes, v.sorted_ids, v.trie, 0, 0, v.sorted_ids.size(), 0);
  split_plain(v);
  return v;
}

TokenVocab TokenVocab::build(const tok::Tokenizer& t, int64_t model_vocab, const std::vector<int64_t>& eos) {
  const int64_t n = std::min<int64_t>(t.vocab_size(), model_vocab);
  // SentencePiece byte-fallback vocabularies spell raw bytes "<0xNN>" and spaces "▁".
  const bool sentencepiece = t.token_to_id("<0x0A>").has_value();
  std::vector<std::string> bytes(static_cast<size_t>(model_vocab));
  for (int64_t id = 0; id < n; ++id) {
    if (t.is_special(int32_t(id))) continue;
    const auto piece = t.id_to_token(int32_t(id));
    if (!piece || piece->empty()) continue;
    std::string& out = bytes[size_t(id)];
    if (sentencepiece) {
      const std::string& p = *piece;
      if (p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>' && hex(p[3]) >= 0 && hex(p[4]) >= 0) {
        out.push_back(char(hex(p[3]) * 16 + hex(p[4])));
        continue;
      }
      for (size_t i = 0; i < p.size();) {
        if (p.compare(i, 3, "\xE2\x96\x81") == 0) out.push_back(' '), i += 3;
        else out.push_back(p[i++]);
      }
    } else if (!tok::byte_level::unmap(*piece, out)) {
      out.clear();  // a character outside the byte table: its exact bytes are unknown
    }
  }
  std::vector<int32_t> e;
  for (int64_t x : eos)
    if (x >= 0 && x < model_vocab) e.push_back(int32_t(x));
  return from_bytes(std::move(bytes), std::move(e));
}

}  // namespace sunbae::grammar
