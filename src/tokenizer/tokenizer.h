#pragma once
// A Hugging Face `tokenizers` pipeline read from a model's own tokenizer.json:
// added tokens -> normalizer -> pre-tokenizer -> BPE -> post-processor, and decoders back.
// Encoding must produce exactly the ids `tokenizers` produces for the same file and text.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sunbae::tok {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // dir holds tokenizer.json (or tokenizer.json.gz) and optionally tokenizer_config.json(.gz);
  // or dir is a GGUF file, whose tokenizer.ggml.* metadata is read (gguf_vocab.h).
  // Throws Error naming the file for malformed JSON and naming the component for any normalizer,
  // pre-tokenizer, model, post-processor or decoder type or option it does not implement.
  static std::unique_ptr<Tokenizer> load(const std::string& dir);
  // The same from JSON text; config_json may be empty. `source` names it in errors.
  static std::unique_ptr<Tokenizer> from_json(const std::string& tokenizer_json,
                                              const std::string& config_json,
                                              const std::string& source);

  // tokenizers' Tokenizer.encode(text, add_special_tokens).ids
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const = 0;
  // tokenizers' Tokenizer.decode(ids, skip_special_tokens); ids outside the vocabulary: Error.
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const = 0;

  virtual int64_t vocab_size() const = 0;  // including added tokens
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
  virtual bool is_special(int32_t id) const = 0;

  // From tokenizer_config.json, empty/absent when it has none. bos/eos/unk/pad may be written
  // there as a string or as {"content": ...}.
  virtual const std::string& chat_template() const = 0;
  virtual const std::optional<std::string>& bos_token() const = 0;
  virtual const std::optional<std::string>& eos_token() const = 0;

  // Whether decoding a recent window of ids and taking the new tail reproduces decode() of the
  // whole sequence (true for every decoder in the supported files; false e.g. for a Strip that
  // removes trailing text). IncrementalDetokenizer decodes everything each step when false.
  virtual bool decodes_by_window() const { return true; }
};

// Streaming decode: feed ids one by one; each call returns only text that is complete UTF-8
// and final (never U+FFFD for a character still being assembled). The concatenation of every
// returned piece plus finish() equals tokenizer.decode(all ids, skip_special_tokens).
class IncrementalDetokenizer {
 public:
  IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens);
  std::string push(int32_t id);
  std::string finish();  // whatever remains (e.g. an incomplete character at the very end)

 private:
  const Tokenizer& tok_;
  bool skip_special_;
  std::vector<int32_t> ids_;
  size_t prefix_offset_ = 0;  // ids before this are fully emitted and never re-decoded
  size_t read_offset_ = 0;    // ids before this have had their text emitted
  size_t emitted_ = 0;        // bytes returned so far
};

}  // namespace sunbae::tok
