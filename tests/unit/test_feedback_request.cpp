// Validation of feedback requests: every bad input is an InvalidRequest naming its field.
#include <gtest/gtest.h>

#include "feedback/feedback_request.h"

namespace sunbae::feedback {
namespace {

using json = nlohmann::json;

json good() { return {{"question", "What is a mutex?"}, {"answer", "A lock that only one thread holds at a time."}}; }

void expect_invalid(const json& body, const std::string& param, const std::string& words) {
  try {
    parse_feedback_request(body);
    FAIL() << "accepted " << body.dump().substr(0, 200);
  } catch (const InvalidRequest& e) {
    EXPECT_EQ(e.param, param) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

json with(json j, const std::string& key, json v) {
  j[key] = std::move(v);
  return j;
}

TEST(FeedbackRequest, Defaults) {
  const auto r = parse_feedback_request(good());
  EXPECT_EQ(r.question, "What is a mutex?");
  EXPECT_FALSE(r.language);
  EXPECT_FALSE(r.level);
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.temperature, 0.0);
  EXPECT_FALSE(r.seed);
  EXPECT_FALSE(r.max_tokens);
}

TEST(FeedbackRequest, EveryFieldParsed) {
  json b = good();
  b.update({{"language", "ko"}, {"category", "os"}, {"level", "senior"}, {"model", "m"}, {"stream", true},
            {"temperature", 1.0}, {"seed", 7}, {"max_tokens", 300}, {"unknown_extra", 1}});
  const auto r = parse_feedback_request(b);
  EXPECT_EQ(*r.language, "ko");
  EXPECT_EQ(r.category, "os");
  EXPECT_EQ(*r.level, Level::Senior);
  EXPECT_EQ(r.model, "m");
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_EQ(*r.seed, 7u);
  EXPECT_EQ(*r.max_tokens, 300);
}

TEST(FeedbackRequest, AnswerProblems) {
  json b = good();
  b.erase("answer");
  expect_invalid(b, "answer", "'answer' is required");
  expect_invalid(with(good(), "answer", ""), "answer", "must not be empty");
  expect_invalid(with(good(), "answer", " \n\t "), "answer", "must not be empty");
  expect_invalid(with(good(), "answer", std::string(100000, 'a')), "answer", "100000 characters; the limit is 20000");
  // The limit counts characters, not bytes: 20,000 Hangul syllables (60,000 bytes) pass.
  std::string ko;
  for (int i = 0; i < 20000; ++i) ko += "가";
  EXPECT_NO_THROW(parse_feedback_request(with(good(), "answer", ko)));
  expect_invalid(with(good(), "answer", ko + "가"), "answer", "20001 characters");
  expect_invalid(with(good(), "answer", 42), "answer", "must be a string");
  expect_invalid(with(good(), "answer", json::array({"a"})), "answer", "must be a string");
}

TEST(FeedbackRequest, QuestionProblems) {
  json b = good();
  b.erase("question");
  expect_invalid(b, "question", "'question' is required (or 'question_id'");
  expect_invalid(with(good(), "question", ""), "question", "must not be empty");
  expect_invalid(with(good(), "question", std::string(2001, 'q')), "question", "the limit is 2000");
  expect_invalid(with(good(), "question", json::object()), "question", "must be a string");
  expect_invalid(with(good(), "question_id", 5), "question_id", "must be a string");
  b["question_id"] = "os-001";  // a bank question needs no text
  EXPECT_NO_THROW(parse_feedback_request(b));
}

TEST(FeedbackRequest, EnumsAndNumbers) {
  expect_invalid(with(good(), "language", "ja"), "language", "must be \"ko\" or \"en\"");
  expect_invalid(with(good(), "language", 1), "language", "must be a string");
  expect_invalid(with(good(), "level", "staff"), "level", "must be \"junior\" or \"senior\"");
  expect_invalid(with(good(), "category", "cooking"), "category", "unknown category \"cooking\"");
  expect_invalid(with(good(), "category", true), "category", "must be a string");
  expect_invalid(with(good(), "stream", "yes"), "stream", "must be a boolean");
  expect_invalid(with(good(), "temperature", "hot"), "temperature", "must be a number");
  expect_invalid(with(good(), "temperature", -0.1), "temperature", "between 0 and 2");
  expect_invalid(with(good(), "temperature", 2.5), "temperature", "between 0 and 2");
  expect_invalid(with(good(), "seed", 1.5), "seed", "must be an integer");
  expect_invalid(with(good(), "max_tokens", 0), "max_tokens", "at least 1");
  expect_invalid(with(good(), "max_tokens", "10"), "max_tokens", "must be an integer");
  expect_invalid(with(good(), "model", 3), "model", "must be a string");
  expect_invalid(json::array(), "", "must be a JSON object");
  expect_invalid("text", "", "must be a JSON object");
}

TEST(FeedbackRequest, ResolveAgainstTheBank) {
  const auto bank = QuestionBank::parse(
      json({{"id", "os-001"},
            {"category", "os"},
            {"level", "senior"},
            {"question", {{"ko", "교착 상태란?"}, {"en", "What is a deadlock?"}}},
            {"key_points", {{"ko", {"네 가지 조건"}}, {"en", {"four conditions"}}}}})
          .dump(),
      "bank");
  json b = {{"question_id", "os-001"}, {"answer", "교착 상태는 서로의 자원을 기다리며 멈춘 상태입니다."}};
  auto res = resolve_feedback(parse_feedback_request(b), bank);
  EXPECT_EQ(res.input.language, "ko");  // detected
  EXPECT_EQ(res.input.question, "교착 상태란?");
  EXPECT_EQ(res.input.key_points, std::vector<std::string>{"네 가지 조건"});
  EXPECT_EQ(res.input.level, Level::Senior);  // the bank question's level
  EXPECT_EQ(res.question_id, "os-001");
  b["language"] = "en";
  b["level"] = "junior";
  res = resolve_feedback(parse_feedback_request(b), bank);
  EXPECT_EQ(res.input.question, "What is a deadlock?");
  EXPECT_EQ(res.input.level, Level::Junior);
  // A free-form question has no key points and a junior default.
  res = resolve_feedback(parse_feedback_request(good()), bank);
  EXPECT_TRUE(res.input.key_points.empty());
  EXPECT_EQ(res.input.level, Level::Junior);
  EXPECT_EQ(res.input.language, "en");
  EXPECT_TRUE(res.question_id.empty());

  try {
    resolve_feedback(parse_feedback_request(with(b, "question_id", "os-999")), bank);
    FAIL();
  } catch (const InvalidRequest& e) {
    EXPECT_EQ(e.param, "question_id");
    EXPECT_NE(std::string(e.what()).find("unknown question_id \"os-999\""), std::string::npos);
  }
  try {
    resolve_feedback(parse_feedback_request(with(b, "category", "web")), bank);
    FAIL();
  } catch (const InvalidRequest& e) {
    EXPECT_EQ(e.param, "category");
  }
}

}  // namespace
}  // namespace sunbae::feedback
