#pragma once
// tokenizers' normalizers. Only the normalized text matters for ids, so a normalizer is a pure
// string -> string function here (no alignment bookkeeping).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sunbae::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  void normalize(std::string& text) const {
    uint32_t zero_len = 0;
    normalize(text, zero_len);
  }
  // Also carries zero_len: how many leading bytes of text tokenizers aligns to original offset 0
  // (see Piece::zero_len), through the alignment rules of each normalizer: inserted text takes
  // the alignment of the byte before it ((0, 0) at the very start), replacement text that of the
  // last byte it replaces.
  virtual void normalize(std::string& text, uint32_t& zero_len) const = 0;
  // nullptr for a JSON null; Error naming `what` for an unsupported type or option.
  static std::unique_ptr<Normalizer> from_json(const nlohmann::json& j, std::string_view what);
};

}  // namespace sunbae::tok
