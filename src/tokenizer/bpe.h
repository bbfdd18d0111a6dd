#pragma once
// tokenizers' BPE model: vocab, ranked merges, byte_fallback, unk (fused or not), continuing
// subword prefix / end-of-word suffix, ignore_merges. Words are merged lowest rank first, leftmost
// on ties, exactly as tokenizers' Word::merge_all; results are cached per thread.
//
// Byte-level mode: when the pre-tokenizer chain ends in ByteLevel, words arrive as raw bytes and
// are looked up through byte tables instead of being mapped to GPT-2 characters first; the result
// is identical since that mapping is a bijection onto the vocabulary's alphabet.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/str_map.h"

namespace sunbae::tok {

class Bpe {
 public:
  // `what` names the component in errors ("model BPE").
  Bpe(const nlohmann::json& model, std::string_view what);
  ~Bpe();

  void enable_byte_level();
  bool byte_level() const { return byte_level_; }

  // Appends the ids of one pre-tokenized word (raw bytes in byte-level mode).
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  int32_t token_to_id(std::string_view token) const { return vocab_.find(token); }  // -1 if absent
  const std::string* id_to_token(int32_t id) const {
    return id >= 0 && size_t(id) < id_to_token_.size() && has_id_[size_t(id)] ? &id_to_token_[size_t(id)] : nullptr;
  }
  size_t vocab_len() const { return vocab_.size(); }  // tokenizers' get_vocab_size()
  size_t id_limit() const { return id_to_token_.size(); }  // max id + 1

 private:
  struct Cache;
  Cache& thread_cache() const;
  // Initial symbols of a word (tokenizers' merge_word before merge_all).
  void word_symbols(std::string_view word, std::vector<int32_t>& syms) const;
  void byte_symbols(std::string_view raw, std::vector<int32_t>& syms) const;
  void merge(std::vector<int32_t>& syms) const;
  void merge_long(std::vector<int32_t>& syms) const;
  void tokenize_part(std::string_view word, uint64_t h, std::vector<int32_t>& out) const;

  StrIdMap vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<uint8_t> has_id_;
  PairMap merges_;
  std::optional<std::string> unk_token_;
  int32_t unk_id_ = -1;
  std::string prefix_, suffix_;  // continuing_subword_prefix / end_of_word_suffix
  bool has_prefix_ = false, has_suffix_ = false;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  // SentencePiece-style vocabularies never merge a symbol into a following "▁" (no merge has a
  // left side not ending in ▁ and a right side starting with it), so a long word can be cut
  // before each such ▁ and its parts merged (and cached) on their own: same result.
  bool cut_at_metaspace_ = false;
  std::vector<int32_t> byte_fallback_ids_;  // <0xNN> ids, -1 where missing
  std::vector<int32_t> bmp_ids_;            // id of each BMP character alone, -1 if none (no prefix/suffix)

  bool byte_level_ = false;
  int32_t byte_ids_[256];  // id of each byte's GPT-2 character, -1 if not in vocab
  StrIdMap raw_vocab_;     // tokens as raw bytes (for ignore_merges in byte-level mode)

  uint64_t instance_id_;
};

}  // namespace sunbae::tok
