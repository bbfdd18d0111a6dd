#pragma once
// PCRE2 (UTF + UCP, JIT) standing in for the Oniguruma regexes of Hugging Face `tokenizers`.
// Patterns written for Oniguruma are translated where the two dialects differ (\s, \w, \b, \h,
// ^/$ as line anchors, {,n}, and Unicode 15-16 code points PCRE2's tables lack); constructs with
// no faithful translation are an Error at load.
// A compiled Regex is immutable and safe to use from many threads: match data lives per thread.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sunbae::tok {

class Regex {
 public:
  enum class Syntax { Oniguruma, Pcre2 };
  // `what` names the pattern's owner in errors (e.g. "pre_tokenizer Split").
  Regex(std::string_view pattern, Syntax syntax, std::string_view what);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // First match starting at or after `from`; text must be valid UTF-8 and `from` a character
  // boundary.
  bool find(std::string_view text, size_t from, size_t& start, size_t& end) const;

  // Every match in order as the `onig` crate's find_iter yields them: an empty match where the
  // previous match ended is skipped by advancing one character. f(start, end).
  template <class F>
  void for_each_match(std::string_view text, F&& f) const {
    const Code code = pick(text);
    size_t last_end = 0;
    size_t last_match_end = std::string_view::npos;
    while (last_end <= text.size()) {
      size_t s, e;
      if (!find_with(code, text, last_end, s, e)) return;
      if (s == e && last_match_end == e) {
        last_end += last_end < text.size() ? char_len_at(text, last_end) : 1;
        continue;
      }
      last_end = e;
      last_match_end = e;
      f(s, e);
    }
  }

  // The PCRE2 pattern actually compiled (for error messages and tests).
  const std::string& compiled_pattern() const { return pcre_pattern_; }

  // Oniguruma pattern -> PCRE2 pattern; throws Error naming `what` for unsupported syntax.
  // `newer` adds to Unicode classes the code points Oniguruma assigns beyond PCRE2's Unicode 14.
  static std::string translate_oniguruma(std::string_view pattern, std::string_view what, bool newer = true);
  // `regex::escape`: the pattern that matches `literal` exactly.
  static std::string escape(std::string_view literal);

 private:
  struct Code {
    void* code;  // pcre2_code_8*
    bool jit;
  };
  // The compiled pattern to run on `text`: the plain one unless text has a character that only
  // the full one classifies right.
  Code pick(std::string_view text) const;
  bool find_with(Code code, std::string_view text, size_t from, size_t& start, size_t& end) const;
  static size_t char_len_at(std::string_view text, size_t i);
  std::string pcre_pattern_;
  void* code_ = nullptr;  // pcre2_code_8*, the full translation
  bool jit_ = false;
  void* plain_code_ = nullptr;  // without Unicode 15+ additions; null when they change nothing
  bool plain_jit_ = false;
};

// The {"String": ...} / {"Regex": ...} pattern of Split, Replace (normalizer and decoder).
// A String is matched literally (tokenizers escapes it into a regex: same matches).
class Pattern {
 public:
  Pattern(const nlohmann::json& j, std::string_view what);
  explicit Pattern(std::string literal);  // a String pattern

  // f(start, end) for each non-overlapping match, leftmost first.
  template <class F>
  void for_each_match(std::string_view text, F&& f) const {
    if (regex_) return regex_->for_each_match(text, f);
    for (size_t pos = text.find(literal_); pos != std::string_view::npos;
         pos = text.find(literal_, pos + literal_.size()))
      f(pos, pos + literal_.size());
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;  // a Regex pattern, or an empty String (matches everywhere)
};

}  // namespace sunbae::tok
