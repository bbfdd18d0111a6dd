#include "feedback/language.h"

#include <cstdint>

namespace sunbae::feedback {

double hangul_share(std::string_view s) {
  size_t hangul = 0, latin = 0;
  for (size_t i = 0; i < s.size();) {
    const uint8_t b = uint8_t(s[i]);
    uint32_t cp = b;
    size_t len = 1;
    if (b >= 0xF0) len = 4, cp = b & 0x07;
    else if (b >= 0xE0) len = 3, cp = b & 0x0F;
    else if (b >= 0xC0) len = 2, cp = b & 0x1F;
    if (i + len > s.size()) break;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
    i += len;
    if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F)) ++hangul;
    else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) ++latin;
  }
  return hangul + latin == 0 ? 0.0 : double(hangul) / double(hangul + latin);
}

std::string detect_language(std::string_view text) {
  return hangul_share(text) >= kKoreanHangulShare ? "ko" : "en";
}

}  // namespace sunbae::feedback
