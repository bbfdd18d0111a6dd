#pragma once
// Unicode data read back from Hugging Face tokenizers itself (see gen_unicode_tables.py): where
// its regexes and Rust-side predicates see a different Unicode version than PCRE2 and utf8proc.
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace sunbae::tok::unicode_tables {

struct CpRange {
  uint32_t lo, hi;
};
struct CategoryRanges {
  const char* name;  // general category, e.g. "Lo"
  const CpRange* ranges;
  size_t size;
};
struct LowerOverride {
  uint32_t cp;
  const char* lower;  // UTF-8
};

// Oniguruma (Unicode 16) categories and \w for code points Unicode 14 leaves unassigned.
extern const CategoryRanges kRegexCategories[];
extern const size_t kRegexCategories_size;
extern const CpRange kRegexWord[];
extern const size_t kRegexWord_size;
// Complete sets above ASCII.
extern const CpRange kNumeric[];
extern const size_t kNumeric_size;
extern const CpRange kPunctuation[];
extern const size_t kPunctuation_size;
extern const CpRange kRustWord[];
extern const size_t kRustWord_size;
extern const CpRange kNormalizationUnknown[];
extern const size_t kNormalizationUnknown_size;
extern const LowerOverride kLower[];
extern const size_t kLower_size;

inline bool in_ranges(const CpRange* r, size_t n, uint32_t cp) {
  const CpRange* end = r + n;
  const CpRange* it = std::upper_bound(r, end, cp, [](uint32_t c, const CpRange& x) { return c < x.lo; });
  return it != r && cp <= (it - 1)->hi;
}

}  // namespace sunbae::tok::unicode_tables
