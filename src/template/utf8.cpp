#include "template/utf8.h"

#include <utf8proc.h>

#include <algorithm>
#include <iterator>

namespace sunbae::tmpl::detail {

char32_t utf8_next(std::string_view s, size_t& pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(pos);
  auto invalid = [&]() {
    ++pos;
    return static_cast<char32_t>(0xDC00 + b0);
  };
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  int n;
  char32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    n = 1;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 2;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 3;
    cp = b0 & 0x07;
  } else {
    return invalid();
  }
  if (pos + n >= s.size()) return invalid();  // truncated sequence
  for (int k = 1; k <= n; ++k) {
    unsigned char b = byte(pos + k);
    if ((b & 0xC0) != 0x80) return invalid();
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms and surrogates are not valid UTF-8; keep their bytes as escapes.
  static const char32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid();
  pos += n + 1;
  return cp;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp >= 0xDC80 && cp <= 0xDCFF) {  // surrogateescape: the original byte
    out.push_back(static_cast<char>(cp - 0xDC00));
  } else if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(utf8_next(s, pos));
  return out;
}

std::string utf8_encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) utf8_append(out, c);
  return out;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0, pos = 0;
  while (pos < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) {
      ++pos;
    } else {
      utf8_next(s, pos);
    }
    ++n;
  }
  return n;
}

static utf8proc_category_t cat(char32_t c) {
  if (c > 0x10FFFF) return UTF8PROC_CATEGORY_CN;
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

bool py_isspace(char32_t c) {
  // The exact set CPython's str.isspace() accepts (bidi class WS/B/S or category Zs).
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool py_isalpha(char32_t c) {
  auto k = cat(c);
  return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT ||
         k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_LO;
}

bool py_isdecimal(char32_t c) { return cat(c) == UTF8PROC_CATEGORY_ND; }

bool py_isdigit(char32_t c) {
  if (py_isdecimal(c)) return true;
  // Superscript and circled digits carry a digit value in Python; the common ones:
  return c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0x2070 && c <= 0x2079 && c != 0x2071 &&
                                                  c != 0x2072 && c != 0x2073) ||
         (c >= 0x2080 && c <= 0x2089) || (c >= 0x2460 && c <= 0x2468);
}

bool py_isnumeric(char32_t c) {
  auto k = cat(c);
  return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}

bool py_isalnum(char32_t c) { return py_isalpha(c) || py_isnumeric(c) || py_isdigit(c); }

bool py_islower(char32_t c) { return utf8proc_islower(static_cast<utf8proc_int32_t>(c)); }
bool py_isupper(char32_t c) { return utf8proc_isupper(static_cast<utf8proc_int32_t>(c)); }
bool py_istitle(char32_t c) { return cat(c) == UTF8PROC_CATEGORY_LT; }
bool py_iscased(char32_t c) { return py_islower(c) || py_isupper(c) || py_istitle(c); }

bool py_isprintable(char32_t c) {
  if (c == ' ') return true;
  switch (cat(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return !(c >= 0xDC80 && c <= 0xDCFF);
  }
}

bool py_isword(char32_t c) { return c == '_' || py_isalnum(c); }

char32_t py_upper(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c > 0x10FFFF || (c >= 0xDC80 && c <= 0xDCFF)) return c;
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(c)));
}

char32_t py_lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c > 0x10FFFF || (c >= 0xDC80 && c <= 0xDCFF)) return c;
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}

char32_t py_title(char32_t c) {
  if (c < 0x80) return py_upper(c);
  if (c > 0x10FFFF || (c >= 0xDC80 && c <= 0xDCFF)) return c;
  return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(c)));
}

namespace {

// Python's str.upper()/title() use Unicode's full case mappings (SpecialCasing.txt), which map
// some characters to several: "ß".upper() == "SS", "ﬁ".upper() == "FI". utf8proc only has the
// 1:1 mappings, so these are listed here (generated from Python 3.11 / Unicode 14).
struct SpecialCase {
  char32_t cp;
  const char32_t* upper;
  const char32_t* title;
};

const SpecialCase kSpecialCases[] = {
    {0x00df, U"\U00000053\U00000053", U"\U00000053\U00000073"},
    {0x0149, U"\U000002bc\U0000004e", U"\U000002bc\U0000004e"},
    {0x01f0, U"\U0000004a\U0000030c", U"\U0000004a\U0000030c"},
    {0x0390, U"\U00000399\U00000308\U00000301", U"\U00000399\U00000308\U00000301"},
    {0x03b0, U"\U000003a5\U00000308\U00000301", U"\U000003a5\U00000308\U00000301"},
    {0x0587, U"\U00000535\U00000552", U"\U00000535\U00000582"},
    {0x1e96, U"\U00000048\U00000331", U"\U00000048\U00000331"},
    {0x1e97, U"\U00000054\U00000308", U"\U00000054\U00000308"},
    {0x1e98, U"\U00000057\U0000030a", U"\U00000057\U0000030a"},
    {0x1e99, U"\U00000059\U0000030a", U"\U00000059\U0000030a"},
    {0x1e9a, U"\U00000041\U000002be", U"\U00000041\U000002be"},
    {0x1f50, U"\U000003a5\U00000313", U"\U000003a5\U00000313"},
    {0x1f52, U"\U000003a5\U00000313\U00000300", U"\U000003a5\U00000313\U00000300"},
    {0x1f54, U"\U000003a5\U00000313\U00000301", U"\U000003a5\U00000313\U00000301"},
    {0x1f56, U"\U000003a5\U00000313\U00000342", U"\U000003a5\U00000313\U00000342"},
    {0x1f80, U"\U00001f08\U00000399", U"\U00001f88"},
    {0x1f81, U"\U00001f09\U00000399", U"\U00001f89"},
    {0x1f82, U"\U00001f0a\U00000399", U"\U00001f8a"},
    {0x1f83, U"\U00001f0b\U00000399", U"\U00001f8b"},
    {0x1f84, U"\U00001f0c\U00000399", U"\U00001f8c"},
    {0x1f85, U"\U00001f0d\U00000399", U"\U00001f8d"},
    {0x1f86, U"\U00001f0e\U00000399", U"\U00001f8e"},
    {0x1f87, U"\U00001f0f\U00000399", U"\U00001f8f"},
    {0x1f88, U"\U00001f08\U00000399", U"\U00001f88"},
    {0x1f89, U"\U00001f09\U00000399", U"\U00001f89"},
    {0x1f8a, U"\U00001f0a\U00000399", U"\U00001f8a"},
    {0x1f8b, U"\U00001f0b\U00000399", U"\U00001f8b"},
    {0x1f8c, U"\U00001f0c\U00000399", U"\U00001f8c"},
    {0x1f8d, U"\U00001f0d\U00000399", U"\U00001f8d"},
    {0x1f8e, U"\U00001f0e\U00000399", U"\U00001f8e"},
    {0x1f8f, U"\U00001f0f\U00000399", U"\U00001f8f"},
    {0x1f90, U"\U00001f28\U00000399", U"\U00001f98"},
    {0x1f91, U"\U00001f29\U00000399", U"\U00001f99"},
    {0x1f92, U"\U00001f2a\U00000399", U"\U00001f9a"},
    {0x1f93, U"\U00001f2b\U00000399", U"\U00001f9b"},
    {0x1f94, U"\U00001f2c\U00000399", U"\U00001f9c"},
    {0x1f95, U"\U00001f2d\U00000399", U"\U00001f9d"},
    {0x1f96, U"\U00001f2e\U00000399", U"\U00001f9e"},
    {0x1f97, U"\U00001f2f\U00000399", U"\U00001f9f"},
    {0x1f98, U"\U00001f28\U00000399", U"\U00001f98"},
    {0x1f99, U"\U00001f29\U00000399", U"\U00001f99"},
    {0x1f9a, U"\U00001f2a\U00000399", U"\U00001f9a"},
    {0x1f9b, U"\U00001f2b\U00000399", U"\U00001f9b"},
    {0x1f9c, U"\U00001f2c\U00000399", U"\U00001f9c"},
    {0x1f9d, U"\U00001f2d\U00000399", U"\U00001f9d"},
    {0x1f9e, U"\U00001f2e\U00000399", U"\U00001f9e"},
    {0x1f9f, U"\U00001f2f\U00000399", U"\U00001f9f"},
    {0x1fa0, U"\U00001f68\U00000399", U"\U00001fa8"},
    {0x1fa1, U"\U00001f69\U00000399", U"\U00001fa9"},
    {0x1fa2, U"\U00001f6a\U00000399", U"\U00001faa"},
    {0x1fa3, U"\U00001f6b\U00000399", U"\U00001fab"},
    {0x1fa4, U"\U00001f6c\U00000399", U"\U00001fac"},
    {0x1fa5, U"\U00001f6d\U00000399", U"\U00001fad"},
    {0x1fa6, U"\U00001f6e\U00000399", U"\U00001fae"},
    {0x1fa7, U"\U00001f6f\U00000399", U"\U00001faf"},
    {0x1fa8, U"\U00001f68\U00000399", U"\U00001fa8"},
    {0x1fa9, U"\U00001f69\U00000399", U"\U00001fa9"},
    {0x1faa, U"\U00001f6a\U00000399", U"\U00001faa"},
    {0x1fab, U"\U00001f6b\U00000399", U"\U00001fab"},
    {0x1fac, U"\U00001f6c\U00000399", U"\U00001fac"},
    {0x1fad, U"\U00001f6d\U00000399", U"\U00001fad"},
    {0x1fae, U"\U00001f6e\U00000399", U"\U00001fae"},
    {0x1faf, U"\U00001f6f\U00000399", U"\U00001faf"},
    {0x1fb2, U"\U00001fba\U00000399", U"\U00001fba\U00000345"},
    {0x1fb3, U"\U00000391\U00000399", U"\U00001fbc"},
    {0x1fb4, U"\U00000386\U00000399", U"\U00000386\U00000345"},
    {0x1fb6, U"\U00000391\U00000342", U"\U00000391\U00000342"},
    {0x1fb7, U"\U00000391\U00000342\U00000399", U"\U00000391\U00000342\U00000345"},
    {0x1fbc, U"\U00000391\U00000399", U"\U00001fbc"},
    {0x1fc2, U"\U00001fca\U00000399", U"\U00001fca\U00000345"},
    {0x1fc3, U"\U00000397\U00000399", U"\U00001fcc"},
    {0x1fc4, U"\U00000389\U00000399", U"\U00000389\U00000345"},
    {0x1fc6, U"\U00000397\U00000342", U"\U00000397\U00000342"},
    {0x1fc7, U"\U00000397\U00000342\U00000399", U"\U00000397\U00000342\U00000345"},
    {0x1fcc, U"\U00000397\U00000399", U"\U00001fcc"},
    {0x1fd2, U"\U00000399\U00000308\U00000300", U"\U00000399\U00000308\U00000300"},
    {0x1fd3, U"\U00000399\U00000308\U00000301", U"\U00000399\U00000308\U00000301"},
    {0x1fd6, U"\U00000399\U00000342", U"\U00000399\U00000342"},
    {0x1fd7, U"\U00000399\U00000308\U00000342", U"\U00000399\U00000308\U00000342"},
    {0x1fe2, U"\U000003a5\U00000308\U00000300", U"\U000003a5\U00000308\U00000300"},
    {0x1fe3, U"\U000003a5\U00000308\U00000301", U"\U000003a5\U00000308\U00000301"},
    {0x1fe4, U"\U000003a1\U00000313", U"\U000003a1\U00000313"},
    {0x1fe6, U"\U000003a5\U00000342", U"\U000003a5\U00000342"},
    {0x1fe7, U"\U000003a5\U00000308\U00000342", U"\U000003a5\U00000308\U00000342"},
    {0x1ff2, U"\U00001ffa\U00000399", U"\U00001ffa\U00000345"},
    {0x1ff3, U"\U000003a9\U00000399", U"\U00001ffc"},
    {0x1ff4, U"\U0000038f\U00000399", U"\U0000038f\U00000345"},
    {0x1ff6, U"\U000003a9\U00000342", U"\U000003a9\U00000342"},
    {0x1ff7, U"\U000003a9\U00000342\U00000399", U"\U000003a9\U00000342\U00000345"},
    {0x1ffc, U"\U000003a9\U00000399", U"\U00001ffc"},
    {0xfb00, U"\U00000046\U00000046", U"\U00000046\U00000066"},
    {0xfb01, U"\U00000046\U00000049", U"\U00000046\U00000069"},
    {0xfb02, U"\U00000046\U0000004c", U"\U00000046\U0000006c"},
    {0xfb03, U"\U00000046\U00000046\U00000049", U"\U00000046\U00000066\U00000069"},
    {0xfb04, U"\U00000046\U00000046\U0000004c", U"\U00000046\U00000066\U0000006c"},
    {0xfb05, U"\U00000053\U00000054", U"\U00000053\U00000074"},
    {0xfb06, U"\U00000053\U00000054", U"\U00000053\U00000074"},
    {0xfb13, U"\U00000544\U00000546", U"\U00000544\U00000576"},
    {0xfb14, U"\U00000544\U00000535", U"\U00000544\U00000565"},
    {0xfb15, U"\U00000544\U0000053b", U"\U00000544\U0000056b"},
    {0xfb16, U"\U0000054e\U00000546", U"\U0000054e\U00000576"},
    {0xfb17, U"\U00000544\U0000053d", U"\U00000544\U0000056d"},
};

const SpecialCase* special_case(char32_t c) {
  auto it = std::lower_bound(std::begin(kSpecialCases), std::end(kSpecialCases), c,
                             [](const SpecialCase& s, char32_t v) { return s.cp < v; });
  return it != std::end(kSpecialCases) && it->cp == c ? it : nullptr;
}

}  // namespace

void py_upper_full(char32_t c, std::u32string& out) {
  if (c >= 0x80) {
    if (const SpecialCase* s = special_case(c)) {
      out += s->upper;
      return;
    }
  }
  out.push_back(py_upper(c));
}

void py_title_full(char32_t c, std::u32string& out) {
  if (c >= 0x80) {
    if (const SpecialCase* s = special_case(c)) {
      out += s->title;
      return;
    }
  }
  out.push_back(py_title(c));
}

void py_lower_full(char32_t c, std::u32string& out) {
  if (c == 0x130) {  // İ lowercases to i + combining dot above, the only 1:n lower mapping
    out += U"i\u0307";
    return;
  }
  out.push_back(py_lower(c));
}

std::u32string py_str_upper(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) py_upper_full(c, out);
  return out;
}

// str.lower(), including the one context rule CPython applies: a capital sigma that ends a
// word (preceded by a cased letter, not followed by one) becomes final sigma.
std::u32string py_str_lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c == 0x3A3) {
      bool before = i > 0 && py_iscased(s[i - 1]);
      bool after = i + 1 < s.size() && py_iscased(s[i + 1]);
      out.push_back(before && !after ? 0x3C2 : 0x3C3);
      continue;
    }
    py_lower_full(c, out);
  }
  return out;
}

std::u32string py_str_title(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  bool prev_cased = false;
  for (char32_t c : s) {
    if (prev_cased) {
      py_lower_full(c, out);
    } else {
      py_title_full(c, out);
    }
    prev_cased = py_iscased(c);
  }
  return out;
}

std::u32string py_str_capitalize(std::u32string_view s) {
  if (s.empty()) return {};
  std::u32string out;
  py_title_full(s[0], out);
  return out + py_str_lower(s.substr(1));
}

std::u32string py_str_swapcase(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (py_isupper(c)) {
      py_lower_full(c, out);
    } else if (py_islower(c)) {
      py_upper_full(c, out);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace sunbae::tmpl::detail
