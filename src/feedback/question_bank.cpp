#include "feedback/question_bank.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/error.h"

namespace sunbae::feedback {

using json = nlohmann::json;

const std::vector<std::string>& categories() {
  static const std::vector<std::string> c = {"os",       "network",    "database",       "data-structures",
                                             "algorithms", "oop-design", "security", "web", "distributed-systems"};
  return c;
}

bool is_category(const std::string& id) {
  const auto& c = categories();
  return std::find(c.begin(), c.end(), id) != c.end();
}

json Question::to_json() const {
  return {{"id", id},
          {"category", category},
          {"level", level_name(level)},
          {"question", {{"ko", question_ko}, {"en", question_en}}},
          {"key_points", {{"ko", key_points_ko}, {"en", key_points_en}}}};
}

namespace {

struct LineReader {
  const std::string& source;
  size_t line;
  [[noreturn]] void bad(const std::string& field, const std::string& problem) const {
    fail(source, ":", line, ": ", field, ": ", problem);
  }
  const json& member(const json& obj, const std::string& key, const std::string& field) const {
    auto it = obj.find(key);
    if (it == obj.end()) bad(field, "missing");
    return *it;
  }
  std::string text(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = member(obj, key, field);
    if (!v.is_string()) bad(field, cat("must be a string, got ", v.type_name()));
    std::string s = v.get<std::string>();
    if (s.find_first_not_of(" \t\r\n") == std::string::npos) bad(field, "must not be empty");
    return s;
  }
  std::vector<std::string> texts(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = member(obj, key, field);
    if (!v.is_array()) bad(field, cat("must be an array of strings, got ", v.type_name()));
    if (v.empty()) bad(field, "must list at least one key point");
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string f = cat(field, "[", i, "]");
      if (!v[i].is_string()) bad(f, cat("must be a string, got ", v[i].type_name()));
      if (v[i].get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos) bad(f, "must not be empty");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }
  const json& object(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = member(obj, key, field);
    if (!v.is_object()) bad(field, cat("must be an object with \"ko\" and \"en\", got ", v.type_name()));
    return v;
  }
};

}  // namespace

QuestionBank QuestionBank::parse(const std::string& text, const std::string& source) {
  QuestionBank bank;
  std::map<std::string, size_t> seen;  // id -> line
  std::istringstream in(text);
  std::string raw;
  for (size_t line = 1; std::getline(in, raw); ++line) {
    if (raw.find_first_not_of(" \t\r") == std::string::npos) continue;
    LineReader r{source, line};
    json j;
    try {
      j = json::parse(raw);
    } catch (const json::parse_error& e) {
      fail(source, ":", line, ": not valid JSON: ", e.what());
    }
    if (!j.is_object()) r.bad("(line)", cat("must be a JSON object, got ", j.type_name()));
    Question q;
    q.id = r.text(j, "id", "id");
    if (auto it = seen.find(q.id); it != seen.end())
      r.bad("id", cat("duplicate id '", q.id, "' (first on line ", it->second, ")"));
    q.category = r.text(j, "category", "category");
    if (!is_category(q.category)) {
      std::string all;
      for (const auto& c : categories()) all += (all.empty() ? "" : ", ") + c;
      r.bad("category", cat("unknown category '", q.category, "'; expected one of ", all));
    }
    const std::string level = r.text(j, "level", "level");
    if (level != "junior" && level != "senior") r.bad("level", cat("must be \"junior\" or \"senior\", got '", level, "'"));
    q.level = level == "senior" ? Level::Senior : Level::Junior;
    const json& question = r.object(j, "question", "question");
    q.question_ko = r.text(question, "ko", "question.ko");
    q.question_en = r.text(question, "en", "question.en");
    const json& kp = r.object(j, "key_points", "key_points");
    q.key_points_ko = r.texts(kp, "ko", "key_points.ko");
    q.key_points_en = r.texts(kp, "en", "key_points.en");
    seen[q.id] = line;
    bank.questions_.push_back(std::move(q));
  }
  return bank;
}

const Question* QuestionBank::find(const std::string& id) const {
  for (const auto& q : questions_)
    if (q.id == id) return &q;
  return nullptr;
}

std::vector<const Question*> QuestionBank::filter(const std::string& category, std::optional<Level> level) const {
  std::vector<const Question*> out;
  for (const auto& q : questions_)
    if ((category.empty() || q.category == category) && (!level || q.level == *level)) out.push_back(&q);
  return out;
}

}  // namespace sunbae::feedback
