#include <cstdint>

#include "feedback/result_schema.h"
#include "feedback_cli.h"

namespace sunbae::app {

using json = nlohmann::json;

namespace {

// Terminal columns: East Asian wide characters (Hangul, CJK) take two.
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const uint8_t b = uint8_t(s[i]);
    uint32_t cp = b;
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    if (len > 1) {
      cp = b & (0x7F >> len);
      for (size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
    }
    i += len;
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60);
    w += wide ? 2 : 1;
  }
  return w;
}

std::string pad(const std::string& s, size_t width) {
  const size_t w = display_width(s);
  return s + std::string(w < width ? width - w : 0, ' ');
}

void list(std::string& out, const std::string& title, const json& items, const std::string& none) {
  out += title + "\n";
  if (items.empty()) out += "  " + none + "\n";
  for (const auto& it : items) out += "  - " + it.get<std::string>() + "\n";
}

}  // namespace

std::string render_feedback(const json& r) {
  const bool ko = r.value("language", "en") == "ko";
  const json& fb = r.at("feedback");
  std::vector<std::pair<std::string, json>> rows;
  for (const auto& c : feedback::criteria())
    if (fb.at("criteria").contains(c.key)) rows.push_back({ko ? c.label_ko : c.label_en, fb["criteria"][c.key]});
  const std::string overall = ko ? "종합" : "Overall";
  size_t width = display_width(overall);
  for (const auto& [label, _] : rows) width = std::max(width, display_width(label));
  std::string out = (ko ? "질문: " : "Question: ") + r.value("question", "") + "\n\n";
  out += pad(ko ? "기준" : "Criterion", width) + "  " + pad(ko ? "점수" : "Score", 5) + "  " + (ko ? "이유" : "Reason") + "\n";
  for (const auto& [label, c] : rows)
    out += pad(label, width) + "  " + pad(std::to_string(c.at("score").get<int>()) + "/5", 5) + "  " +
           c.at("reason").get<std::string>() + "\n";
  out += pad(overall, width) + "  " + pad(std::to_string(fb.at("overall").at("score").get<int>()) + "/5", 5) + "  " +
         fb["overall"].at("summary").get<std::string>() + "\n\n";
  list(out, ko ? "잘한 점" : "Strengths", fb.at("strengths"), "-");
  list(out, ko ? "개선할 점" : "Improvements", fb.at("improvements"), "-");
  list(out, ko ? "빠뜨린 핵심 내용" : "Missing key points", fb.at("missing_key_points"), ko ? "없음" : "none");
  out += std::string(ko ? "모범 답안" : "Model answer") + "\n  " + fb.at("model_answer").get<std::string>() + "\n";
  out += std::string(ko ? "후속 질문" : "Follow-up question") + "\n  " + fb.at("follow_up_question").get<std::string>() + "\n";
  return out;
}

}  // namespace sunbae::app
