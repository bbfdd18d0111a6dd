#pragma once
// tokenizers' AddedVocabulary: the "added_tokens" of tokenizer.json, found in the input before the
// model sees it. Non-normalized tokens are matched on the raw text, normalized ones on each
// normalized piece; matching is leftmost-longest (as its Aho-Corasick), then single_word, lstrip
// and rstrip adjust or discard each match.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/str_map.h"

namespace sunbae::tok {

class Normalizer;

struct AddedToken {
  std::string content;
  bool special = false, single_word = false, lstrip = false, rstrip = false, normalized = true;
  bool operator==(const AddedToken&) const = default;
};

// A part of the text: an added token (id >= 0) or text for the pipeline (id == -1).
struct Segment {
  size_t begin, end;
  int32_t id;
};

class AddedVocab {
 public:
  // Registers `tokens` one at a time as tokenizers does when it loads tokenizer.json: a token
  // whose content the model knows takes the model's id, any other the next free id (the "id"
  // written in the file is not consulted, exactly as in tokenizers).
  AddedVocab(const std::vector<AddedToken>& tokens, const std::function<int32_t(std::string_view)>& model_id,
             size_t model_vocab_len, const Normalizer* normalizer);

  int32_t token_to_id(std::string_view content) const;  // -1 if not an added token
  const AddedToken* token_of_id(int32_t id) const;      // nullptr if no added token has it
  bool is_special_content(std::string_view content) const { return special_set_.find(content) >= 0; }
  size_t size() const { return map_.size(); }  // distinct added contents
  template <class F>
  void for_each(F&& f) const {
    map_.for_each(f);
  }

  bool has_raw() const { return !raw_.pattern_ids.empty(); }
  bool has_normalized() const { return !norm_.pattern_ids.empty(); }
  // Splits non-empty text into segments covering it (they overlap only where an rstrip took
  // spaces in which the next match starts, as in tokenizers).
  void split(std::string_view text, bool normalized_set, std::vector<Segment>& out) const;

 private:
  struct Trie {
    std::vector<int32_t> terminal{-1};  // per node: pattern index, -1 if none
    std::unordered_map<uint64_t, int32_t> edges;  // (node << 8 | byte) -> child
    bool first_byte[256] = {};
    std::vector<int32_t> pattern_ids;
    void add(std::string_view s, int32_t id);
  };
  void build_trie(Trie& t, const std::vector<std::pair<std::string, int32_t>>& patterns);

  StrIdMap map_;  // content -> id
  std::unordered_map<int32_t, AddedToken> by_id_;
  StrIdMap special_set_;  // contents of special tokens (value unused)
  Trie raw_, norm_;
};

}  // namespace sunbae::tok
