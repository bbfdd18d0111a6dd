#include <gtest/gtest.h>

#include "feedback/language.h"

namespace sunbae::feedback {
namespace {

TEST(FeedbackLanguage, HangulShareDecides) {
  EXPECT_EQ(detect_language("프로세스는 실행 중인 프로그램이고 스레드는 그 안의 실행 단위입니다."), "ko");
  // Korean answers are full of English terms; they stay Korean.
  EXPECT_EQ(detect_language("TCP는 연결 지향이고 UDP는 비연결 지향입니다. 3-way handshake로 연결합니다."), "ko");
  EXPECT_EQ(detect_language("A process owns an address space; threads share it."), "en");
  EXPECT_EQ(detect_language("Mostly English with one word 캐시."), "en");
  EXPECT_EQ(detect_language("12345 !!! ..."), "en");  // no letters at all
  EXPECT_EQ(detect_language(""), "en");
  EXPECT_DOUBLE_EQ(hangul_share("ab가나"), 0.5);
  EXPECT_DOUBLE_EQ(hangul_share("ㅋㅋ"), 1.0);  // compatibility jamo count as Hangul
  EXPECT_DOUBLE_EQ(hangul_share("日本語"), 0.0);  // other scripts are neither
  EXPECT_GE(hangul_share("가a"), kKoreanHangulShare);
}

TEST(FeedbackLanguage, TruncatedUtf8DoesNotReadPastTheEnd) {
  const std::string cut = std::string("가나") + "\xEB";  // first byte of a 3-byte character
  EXPECT_EQ(detect_language(cut), "ko");
}

}  // namespace
}  // namespace sunbae::feedback
