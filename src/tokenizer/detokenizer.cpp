// Streaming decode in the style of vLLM's detokenizer: text is the difference between decoding a
// short window of ids with and without the newest ones, so each step costs a few tokens' work and
// decoders that look at their first token (Strip, Metaspace) see the same first token both times.
#include "tokenizer/tokenizer.h"

namespace sunbae::tok {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

bool ends_with_replacement(const std::string& s) {
  return s.size() >= kReplacement.size() && s.compare(s.size() - kReplacement.size(), kReplacement.size(), kReplacement) == 0;
}

// tokenizers' ByteFallback decoder turns a whole run of <0xNN> tokens into U+FFFD when the run is
// not valid UTF-8, so text from a run is final only once the run has ended.
bool is_byte_piece(const std::optional<std::string>& t) {
  if (!t || t->size() != 6 || t->compare(0, 3, "<0x") != 0 || (*t)[5] != '>') return false;
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  return hex((*t)[3]) && hex((*t)[4]);
}

}  // namespace

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tok_(tokenizer), skip_special_(skip_special_tokens) {}

std::string IncrementalDetokenizer::push(int32_t id) {
  // Unknown ids fail here, before they enter the window.
  if (!tok_.id_to_token(id)) tok_.decode({id}, false);
  ids_.push_back(id);
  if (skip_special_ && tok_.is_special(id)) return {};
  if (is_byte_piece(tok_.id_to_token(id))) return {};
  // Decoders that look ahead (trailing strips) get the whole sequence every step.
  if (!tok_.decodes_by_window()) prefix_offset_ = 0;
  const std::vector<int32_t> prefix_ids(ids_.begin() + long(prefix_offset_), ids_.begin() + long(read_offset_));
  const std::vector<int32_t> window_ids(ids_.begin() + long(prefix_offset_), ids_.end());
  const std::string prefix = tok_.decode(prefix_ids, skip_special_);
  const std::string text = tok_.decode(window_ids, skip_special_);
  // An incomplete character decodes to a trailing U+FFFD: wait for the rest of it.
  if (text.size() <= prefix.size() || ends_with_replacement(text) || text.compare(0, prefix.size(), prefix) != 0)
    return {};
  prefix_offset_ = read_offset_;
  read_offset_ = ids_.size();
  emitted_ += text.size() - prefix.size();
  return text.substr(prefix.size());
}

std::string IncrementalDetokenizer::finish() {
  // Once, at the end, the whole decode: whatever the window missed (a trailing incomplete
  // character, a held byte run) is exactly its tail after what was already returned.
  const std::string all = tok_.decode(ids_, skip_special_);
  prefix_offset_ = read_offset_ = ids_.size();
  if (all.size() <= emitted_) return {};
  std::string rest = all.substr(emitted_);
  emitted_ = all.size();
  return rest;
}

}  // namespace sunbae::tok
