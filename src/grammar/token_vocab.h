#pragma once
// The bytes each token id adds to the output, read once per tokenizer, and a trie over them, so a
// mask walks every shared token prefix against the automaton once (grammar/token_mask.h).
// Byte-level BPE (GPT-2 table) and SentencePiece with byte fallback ("<0x0A>", "▁" for space)
// both occur. Special tokens, ids past the tokenizer's vocabulary and tokens whose text cannot
// be known byte-exactly get no bytes: a grammar never allows them (the mask may only shrink the
// choice, never admit a token whose text is not what the automaton saw).
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace sunbae::grammar {

struct TrieNode {
  uint32_t child_begin = 0, child_end = 0;  // children are nodes [child_begin, child_end)
  uint32_t tok_begin = 0, tok_end = 0;      // tokens ending here: sorted_ids[tok_begin, tok_end)
  uint8_t byte = 0;                         // the edge from the parent
};

struct TokenVocab {
  int64_t size = 0;                 // the model's vocabulary (length of a logits row)
  std::vector<std::string> bytes;   // per id; empty: never allowed under a grammar
  std::vector<int32_t> eos;         // allowed exactly when the document is complete
  std::vector<int32_t> sorted_ids;  // ids with bytes, by bytes
  std::vector<TrieNode> trie;       // trie[0] is the root
  size_t max_len = 0;
  // The string fast path: a "plain" token (no quote, backslash or control byte; UTF-8 starting at
  // a character boundary) is allowed inside a string at a character boundary exactly when its
  // code points fit what the string has left, so its part of the mask is plain_upto[room]
  // (plain tokens of at most that many code points). Only the rest is walked, over rest_trie.
  std::vector<std::vector<uint64_t>> plain_upto;
  std::vector<int32_t> rest_ids;  // sorted by bytes, as sorted_ids
  std::vector<TrieNode> rest_trie;
  size_t rest_max_len = 0;  // the longest of the rest, in bytes (>= the code points it can add)

  // model_vocab >= tokenizer.vocab_size() (models pad); eos ids from the model's config.
  static TokenVocab build(const tok::Tokenizer& tokenizer, int64_t model_vocab, const std::vector<int64_t>& eos);
  // From explicit byte strings (tests, synthetic vocabularies).
  static TokenVocab from_bytes(std::vector<std::string> bytes, std::vector<int32_t> eos);
};

}  // namespace sunbae::grammar
