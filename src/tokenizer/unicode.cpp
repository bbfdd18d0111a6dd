#include "tokenizer/unicode.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <utf8proc.h>

#include "core/error.h"
#include "tokenizer/unicode_tables.h"

namespace sunbae::tok::unicode {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

namespace {

inline bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

// Length of the well-formed sequence at p[0..n), or 0 when it is ill-formed; `bad` receives how
// many bytes form the maximal ill-formed subpart (Unicode's "substitution of maximal subparts",
// which is what Rust's Utf8Chunks implements).
size_t sequence_at(const uint8_t* p, size_t n, size_t& bad) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return 1;
  bad = 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (n < 2 || !is_cont(p[1])) return 0;
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (n < 2) return 0;
    const uint8_t b1 = p[1];
    const bool ok1 = (b0 == 0xE0)   ? (b1 >= 0xA0 && b1 <= 0xBF)
                     : (b0 == 0xED) ? (b1 >= 0x80 && b1 <= 0x9F)
                                    : is_cont(b1);
    if (!ok1) return 0;
    bad = 2;
    if (n < 3 || !is_cont(p[2])) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (n < 2) return 0;
    const uint8_t b1 = p[1];
    const bool ok1 = (b0 == 0xF0)   ? (b1 >= 0x90 && b1 <= 0xBF)
                     : (b0 == 0xF4) ? (b1 >= 0x80 && b1 <= 0x8F)
                                    : is_cont(b1);
    if (!ok1) return 0;
    bad = 2;
    if (n < 3 || !is_cont(p[2])) return 0;
    bad = 3;
    if (n < 4 || !is_cont(p[3])) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII runs are the common case: skip them eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    size_t bad = 0;
    const size_t len = sequence_at(p + i, n - i, bad);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

std::string utf8_lossy(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  std::string out;
  out.reserve(n);
  size_t i = 0;
  while (i < n) {
    size_t bad = 0;
    const size_t len = sequence_at(p + i, n - i, bad);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

size_t count_cps(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

bool is_whitespace(uint32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Above ASCII these are the sets tokenizers' own predicates have (unicode_tables.cpp): Rust's
// char::is_numeric, the old unicode_categories table behind is_punc, the regex crate's \w.
bool is_numeric(uint32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return unicode_tables::in_ranges(unicode_tables::kNumeric, unicode_tables::kNumeric_size, c);
}

bool is_punctuation(uint32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  return unicode_tables::in_ranges(unicode_tables::kPunctuation, unicode_tables::kPunctuation_size, c);
}

bool is_regex_word_char(uint32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return unicode_tables::in_ranges(unicode_tables::kRustWord, unicode_tables::kRustWord_size, c);
}

namespace {

std::string utf8proc_normalize(std::string_view s, NormForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case NormForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  if (s.empty()) return {};
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), utf8proc_ssize_t(s.size()),
                   &out, utf8proc_option_t(options));
  if (n < 0) fail("unicode normalization failed: ", utf8proc_errmsg(n));
  std::string result(reinterpret_cast<const char*>(out), size_t(n));
  std::free(out);
  return result;
}

bool normalization_unknown(uint32_t c) {
  return c >= 0x7FD && unicode_tables::in_ranges(unicode_tables::kNormalizationUnknown,
                                                  unicode_tables::kNormalizationUnknown_size, c);
}

// Per-character flags for the normalization fast path.
enum : uint8_t {
  kNfcInert = 1,   // NFC leaves it and its neighbours alone: ccc 0, unchanged by NFC on its own,
                   // never the second half of a composition
  kNfkcInert = 2,  // the same for NFKC
  kUnknown = 4,    // see normalization_unknown
};

uint8_t normalization_flags(uint32_t c) {
  uint8_t f = normalization_unknown(c) ? kUnknown : 0;
  const utf8proc_property_t* p = utf8proc_get_property(utf8proc_int32_t(c));
  const bool hangul_vt = (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2);
  const bool second = p->comb_index != UINT16_MAX && p->comb_index >= 0x8000;
  if (p->combining_class != 0 || second || hangul_vt) return f;
  if (p->decomp_seqindex == UINT16_MAX) return f | kNfcInert | kNfkcInert;  // nothing to decompose
  const std::string one = to_utf8(c);
  if (utf8proc_normalize(one, NormForm::NFC) == one) f |= kNfcInert;
  if (utf8proc_normalize(one, NormForm::NFKC) == one) f |= kNfkcInert;
  return f;
}

const std::vector<uint8_t>& bmp_flags() {
  static const std::vector<uint8_t> t = [] {
    std::vector<uint8_t> v(0x10000);
    for (uint32_t c = 0; c < 0x10000; ++c) v[c] = (c >= 0xD800 && c < 0xE000) ? 0 : normalization_flags(c);
    return v;
  }();
  return t;
}

}  // namespace

std::string normalize(std::string_view s, NormForm form) {
  // Text made only of characters the form leaves alone (ASCII, most Hangul syllables and CJK
  // under NFC) is returned as is without a trip through utf8proc.
  const uint8_t need = form == NormForm::NFC ? kNfcInert : form == NormForm::NFKC ? kNfkcInert : 0;
  const auto& bmp = bmp_flags();
  bool inert = true, unknown = false;
  for (size_t i = 0; i < s.size();) {
    if (uint8_t(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const uint32_t c = next_cp(s, i);
    const uint8_t f = c < 0x10000 ? bmp[c] : normalization_flags(c);
    inert = inert && need && (f & need);
    unknown = unknown || (f & kUnknown);
  }
  if (inert) return std::string(s);
  if (!unknown) return utf8proc_normalize(s, form);
  // tokenizers' normalization tables predate some characters utf8proc knows; to it they are
  // unassigned starters that nothing reorders or composes across, so the text between them is
  // normalized on its own and they stay as they are.
  std::string out;
  size_t part = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    if (!normalization_unknown(next_cp(s, i))) continue;
    out += utf8proc_normalize(s.substr(part, b - part), form);
    out.append(s.substr(b, i - b));
    part = i;
  }
  out += utf8proc_normalize(s.substr(part), form);
  return out;
}

namespace {
const char* lower_override(uint32_t c) {
  using unicode_tables::kLower;
  const auto* end = kLower + unicode_tables::kLower_size;
  const auto* it = std::lower_bound(kLower, end, c, [](const auto& o, uint32_t v) { return o.cp < v; });
  return it != end && it->cp == c ? it->lower : nullptr;
}
}  // namespace

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const uint32_t c = next_cp(s, i);
    if (c < 0x80) {
      out.push_back(char(c >= 'A' && c <= 'Z' ? c + 32 : c));
    } else if (c == 0x130) {
      // The one unconditional multi-character lowercase mapping (SpecialCasing.txt).
      out += "i\xCC\x87";
    } else if (const char* o = lower_override(c)) {
      out += o;  // case pairs newer than utf8proc's tables
    } else {
      const auto l = uint32_t(utf8proc_tolower(utf8proc_int32_t(c)));
      if (l == c)
        out.append(s.data() + start, i - start);
      else
        append_utf8(out, l);
    }
  }
  return out;
}

}  // namespace sunbae::tok::unicode
