#include "feedback/prompt.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace sunbae::feedback {

using json = nlohmann::json;

namespace {

const char* kSections[] = {"system", "user", "key_points.none", "criterion.accuracy", "criterion.completeness",
                           "criterion.structure", "criterion.communication", "criterion.depth"};

// Section text without the trailing newlines that separate it from the next header.
std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Replaces every {{name}} with vars[name]; a name not in vars is an error, so a typo in a template
// fails loudly instead of reaching the model as literal braces. Values are not rescanned.
std::string fill(const std::string& text, const std::map<std::string, std::string>& vars, const std::string& where) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    SUNBAE_CHECK(close != std::string::npos, where, ": '{{' without a closing '}}'");
    const std::string name = text.substr(open + 2, close - open - 2);
    auto it = vars.find(name);
    SUNBAE_CHECK(it != vars.end(), where, ": unknown placeholder {{", name, "}}");
    out.append(text, pos, open - pos);
    out += it->second;
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace

PromptTemplate PromptTemplate::parse(const std::string& text, const std::string& language, const std::string& source) {
  PromptTemplate t;
  t.language = language;
  std::istringstream in(text);
  std::string line, current, body;
  size_t lineno = 0;
  auto flush = [&] {
    if (!current.empty()) t.sections[current] = trim_end(body);
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (line.size() >= 4 && line.rfind("[[", 0) == 0 && line.substr(line.size() - 2) == "]]") {
      flush();
      current = line.substr(2, line.size() - 4);
      SUNBAE_CHECK(!t.sections.count(current), source, ":", lineno, ": section [[", current, "]] appears twice");
      body.clear();
      continue;
    }
    SUNBAE_CHECK(!current.empty() || line.empty(), source, ":", lineno, ": text before the first [[section]] header");
    body += line + "\n";
  }
  flush();
  for (const char* s : kSections)
    SUNBAE_CHECK(t.sections.count(s), source, ": missing section [[", s, "]]");
  return t;
}

const std::string& PromptTemplate::section(const std::string& name) const {
  auto it = sections.find(name);
  SUNBAE_CHECK(it != sections.end(), "prompt template (", language, ") has no section [[", name, "]]");
  return it->second;
}

PromptSet PromptSet::load(const DataFiles& files) {
  PromptSet p;
  for (const char* lang : {"ko", "en"}) {
    const std::string rel = cat("prompts/", kPromptVersion, ".", lang, ".txt");
    (std::string(lang) == "ko" ? p.ko : p.en) = PromptTemplate::parse(files.read(rel), lang, rel);
  }
  return p;
}

std::string system_prompt(const PromptTemplate& t, Level level) {
  std::string rubric, keys;
  std::vector<std::string> names;
  for (const auto& c : criteria_for(level)) {
    rubric += (rubric.empty() ? "" : "\n") + std::string("- ") + t.section(std::string("criterion.") + c.key);
    names.push_back(c.key);
  }
  // The mask writes an object's keys in sorted order (the grammar reads the schema's properties
  // sorted), so the format tells the model that order: the output format lines are sorted too.
  std::sort(names.begin(), names.end());
  for (const auto& n : names) keys += (keys.empty() ? "" : ", ") + cat("\"", n, "\"");
  return fill(t.section("system"), {{"rubric", rubric}, {"criteria_keys", keys}}, "[[system]] (" + t.language + ")");
}

std::string user_prompt(const PromptTemplate& t, const FeedbackInput& in) {
  std::string points;
  for (const auto& k : in.key_points) points += (points.empty() ? "" : "\n") + ("- " + k);
  if (points.empty()) points = t.section("key_points.none");
  return fill(t.section("user"), {{"question", in.question}, {"key_points", points}, {"answer", in.answer}},
              "[[user]] (" + t.language + ")");
}

json feedback_messages(const PromptSet& prompts, const FeedbackInput& in) {
  const PromptTemplate& t = prompts.get(in.language);
  return json::array({{{"role", "system"}, {"content", system_prompt(t, in.level)}},
                      {{"role", "user"}, {"content", user_prompt(t, in)}}});
}

}  // namespace sunbae::feedback
