#pragma once
// UTF-8 and Unicode character helpers with the exact semantics of the Rust functions that
// Hugging Face `tokenizers` calls (char::is_whitespace, String::from_utf8_lossy, ...), so that
// the pipeline built on them agrees with it character for character.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sunbae::tok::unicode {

// Length of the UTF-8 sequence a lead byte starts (1 for ASCII and for stray bytes).
inline size_t utf8_len(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// Decodes the code point at s[i] and advances i past it. s must be valid UTF-8.
inline uint32_t next_cp(std::string_view s, size_t& i) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data()) + i;
  uint32_t c = p[0];
  if (c < 0x80) {
    i += 1;
    return c;
  }
  if (c < 0xE0) {
    i += 2;
    return ((c & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (c < 0xF0) {
    i += 3;
    return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  i += 4;
  return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

// Start of the code point that ends at s[i) (i > 0). s must be valid UTF-8.
inline size_t prev_cp_start(std::string_view s, size_t i) {
  do --i;
  while (i > 0 && (uint8_t(s[i]) & 0xC0) == 0x80);
  return i;
}

void append_utf8(std::string& out, uint32_t cp);
inline std::string to_utf8(uint32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

// Index of the first byte that is not part of a well-formed UTF-8 sequence, or s.size().
size_t find_invalid_utf8(std::string_view s);
inline bool is_valid_utf8(std::string_view s) { return find_invalid_utf8(s) == s.size(); }
// Rust's String::from_utf8_lossy: each maximal ill-formed subpart becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);
// Number of code points in valid UTF-8.
size_t count_cps(std::string_view s);

// Rust char::is_whitespace (the White_Space property).
bool is_whitespace(uint32_t cp);
// Rust char::is_numeric: general categories Nd, Nl, No.
bool is_numeric(uint32_t cp);
// tokenizers' is_punc: char::is_ascii_punctuation or a P* general category.
bool is_punctuation(uint32_t cp);
// Rust `regex` \w (UTS#18 word character: Alphabetic, M, Nd, Pc, Join_Control).
bool is_regex_word_char(uint32_t cp);

enum class NormForm { NFC, NFD, NFKC, NFKD };
std::string normalize(std::string_view s, NormForm form);
// Rust char::to_lowercase applied per character (full mappings, no context: final sigma stays σ).
std::string lowercase(std::string_view s);

}  // namespace sunbae::tok::unicode
