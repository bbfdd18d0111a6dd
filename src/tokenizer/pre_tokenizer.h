#pragma once
// tokenizers' pre-tokenizers over a list of pieces (byte ranges of one text buffer). Splitting
// steps only rewrite the ranges; steps that change text (Metaspace, ByteLevel's byte->char
// mapping) write a new buffer.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::tok {

struct Piece {
  uint32_t begin = 0, end = 0;
  // Whether the piece starts at offset 0 of the original input, which Metaspace's
  // prepend_scheme "first" asks. tokenizers tracks this through its alignments: a part cut out of
  // a piece starts at the original offset of its first character, so it is "first" when that
  // character came from (or was inserted before) the input's first character. zero_len is how
  // many leading bytes of the piece are such characters.
  bool first = false;
  uint32_t zero_len = 0;
};

// The part [b, e) (relative) of `parent`, as tokenizers' NormalizedString::slice sees it.
inline Piece sub_piece(const Piece& parent, uint32_t b, uint32_t e) {
  const bool first = parent.first && b < parent.zero_len;
  return Piece{parent.begin + b, parent.begin + e, first, first ? std::min(parent.zero_len - b, e - b) : 0};
}

struct Pieces {
  std::string text;
  std::vector<Piece> list;
  std::string_view view(const Piece& p) const { return std::string_view(text).substr(p.begin, p.end - p.begin); }
};

class ByteLevelPreTokenizer;

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces every piece of `p` by its parts, dropping empty ones; `tmp` is scratch space.
  virtual void apply(Pieces& p, Pieces& tmp) const = 0;
  // The ByteLevel that ends this chain, if any: the BPE model can then work on raw bytes and
  // skip the byte->char mapping (see Bpe byte-level mode).
  virtual ByteLevelPreTokenizer* trailing_byte_level() { return nullptr; }
  // nullptr for a JSON null; Error naming `what` for an unsupported type or option.
  static std::unique_ptr<PreTokenizer> from_json(const nlohmann::json& j, std::string_view what);
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex);
  void apply(Pieces& p, Pieces& tmp) const override;
  ByteLevelPreTokenizer* trailing_byte_level() override { return this; }
  // Leave the text as raw bytes; the model maps them itself.
  void defer_mapping() { map_bytes_ = false; }

 private:
  bool add_prefix_space_, use_regex_, map_bytes_ = true;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// A piece's text cut at pattern matches: [begin, end) relative to the piece, whether it matched.
struct Cut {
  uint32_t begin, end;
  bool match;
};
// tokenizers' NormalizedString::split: applies `behavior` to `cuts` (which cover the piece) and
// appends the resulting non-empty parts of `piece` to `out`.
void split_by_behavior(const Piece& piece, std::vector<Cut>& cuts, SplitBehavior behavior,
                       std::vector<Piece>& out);

}  // namespace sunbae::tok
