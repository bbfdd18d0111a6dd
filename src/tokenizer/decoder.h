#pragma once
// tokenizers' decoders: each rewrites the list of token strings (decode_chain); the tokenizer
// joins what the last one leaves.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // Whether decoding a window of the ids and diffing (IncrementalDetokenizer) reproduces the full
  // decode: true unless the decoder removes text depending on what comes after it, or more than
  // the first character of its input.
  virtual bool window_safe() const { return true; }
  // nullptr for a JSON null; Error naming `what` for an unsupported type or option.
  static std::unique_ptr<Decoder> from_json(const nlohmann::json& j, std::string_view what);
};

}  // namespace sunbae::tok
