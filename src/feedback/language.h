#pragma once
// Which language an answer is written in, when the request does not say: the share of Hangul
// among its letters (Hangul syllables and jamo vs. Latin letters). Interview answers in Korean
// are full of English terms (TCP, B-tree, mutex), so a modest Hangul share already means Korean.
#include <string>
#include <string_view>

namespace sunbae::feedback {

inline constexpr double kKoreanHangulShare = 0.3;

// Hangul letters / (Hangul + Latin letters); 0 when the text has neither.
double hangul_share(std::string_view text);
// "ko" when hangul_share >= kKoreanHangulShare, else "en" (also for text without letters).
std::string detect_language(std::string_view text);

}  // namespace sunbae::feedback
