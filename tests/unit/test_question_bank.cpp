// The question bank loader on good and hostile files, and the bank the binary ships.
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "feedback/data_files.h"
#include "feedback/question_bank.h"

namespace sunbae::feedback {
namespace {

using json = nlohmann::json;

json good_line(const std::string& id, const std::string& category = "os", const std::string& level = "junior") {
  return {{"id", id},
          {"category", category},
          {"level", level},
          {"question", {{"ko", "프로세스와 스레드의 차이는?"}, {"en", "Process vs thread?"}}},
          {"key_points", {{"ko", {"주소 공간", "컨텍스트 스위칭"}}, {"en", {"address space", "context switch"}}}}};
}

std::string lines(const std::vector<json>& js) {
  std::string s;
  for (const auto& j : js) s += j.dump() + "\n";
  return s;
}

// The bank must fail with a message that contains every one of `parts`.
void expect_error(const std::string& text, std::vector<std::string> parts) {
  try {
    QuestionBank::parse(text, "bank.jsonl");
    FAIL() << "parsed a bad bank: " << text;
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

TEST(QuestionBank, ParsesGoodLinesAndFilters) {
  const auto bank = QuestionBank::parse(
      lines({good_line("os-001"), good_line("net-001", "network", "senior"), good_line("os-002", "os", "senior")}) +
          "\n   \n",
      "bank.jsonl");
  ASSERT_EQ(bank.all().size(), 3u);
  EXPECT_EQ(bank.find("net-001")->category, "network");
  EXPECT_EQ(bank.find("net-001")->level, Level::Senior);
  EXPECT_EQ(bank.find("os-001")->key_points("ko")[1], "컨텍스트 스위칭");
  EXPECT_EQ(bank.find("os-001")->question("en"), "Process vs thread?");
  EXPECT_EQ(bank.find("nope"), nullptr);
  EXPECT_EQ(bank.filter("os", std::nullopt).size(), 2u);
  EXPECT_EQ(bank.filter("os", Level::Senior).size(), 1u);
  EXPECT_EQ(bank.filter("", Level::Senior).size(), 2u);
  EXPECT_EQ(bank.filter("web", std::nullopt).size(), 0u);
  EXPECT_EQ(bank.find("os-001")->to_json(), good_line("os-001"));
}

TEST(QuestionBank, BadJsonNamesTheLine) {
  expect_error(lines({good_line("os-001")}) + "{\"id\": \"os-002\",\n", {"bank.jsonl:2", "not valid JSON"});
  expect_error("[1, 2]\n", {"bank.jsonl:1", "must be a JSON object"});
}

TEST(QuestionBank, MissingFieldsAreNamed) {
  for (const std::string f : {"id", "category", "level", "question", "key_points"}) {
    json j = good_line("os-009");
    j.erase(f);
    expect_error(lines({good_line("os-001"), j}), {"bank.jsonl:2", f + ": missing"});
  }
  json j = good_line("os-009");
  j["question"].erase("en");
  expect_error(lines({j}), {"bank.jsonl:1", "question.en: missing"});
  j = good_line("os-009");
  j["key_points"].erase("ko");
  expect_error(lines({j}), {"key_points.ko: missing"});
}

TEST(QuestionBank, WrongTypesAndEmptyValues) {
  json j = good_line("os-009");
  j["id"] = 7;
  expect_error(lines({j}), {"bank.jsonl:1", "id: must be a string"});
  j = good_line("os-009");
  j["question"]["ko"] = "  ";
  expect_error(lines({j}), {"question.ko: must not be empty"});
  j = good_line("os-009");
  j["key_points"]["en"] = json::array();
  expect_error(lines({j}), {"key_points.en: must list at least one key point"});
  j = good_line("os-009");
  j["key_points"]["en"][1] = 3;
  expect_error(lines({j}), {"key_points.en[1]: must be a string"});
  j = good_line("os-009");
  j["question"] = "just text";
  expect_error(lines({j}), {"question: must be an object"});
  j = good_line("os-009");
  j["level"] = "staff";
  expect_error(lines({j}), {"level: must be \"junior\" or \"senior\""});
}

TEST(QuestionBank, DuplicateIdNamesBothLines) {
  expect_error(lines({good_line("os-001"), good_line("os-002"), good_line("os-001")}),
               {"bank.jsonl:3", "duplicate id 'os-001'", "first on line 1"});
}

TEST(QuestionBank, UnknownCategoryListsTheKnownOnes) {
  expect_error(lines({good_line("ml-001", "machine-learning")}),
               {"bank.jsonl:1", "category: unknown category 'machine-learning'", "distributed-systems"});
}

TEST(QuestionBank, NineCategories) {
  EXPECT_EQ(categories().size(), 9u);
  for (const char* c : {"os", "network", "database", "data-structures", "algorithms", "oop-design", "security", "web",
                        "distributed-systems"})
    EXPECT_TRUE(is_category(c)) << c;
  EXPECT_FALSE(is_category("OS"));
}

// The bank compiled into the binary, and the same file in the source tree.
TEST(QuestionBank, ShippedBankIsComplete) {
  for (const DataFiles& files : {DataFiles(), DataFiles(SUNBAE_DATA_DIR)}) {
    SCOPED_TRACE(files.where());
    ASSERT_TRUE(files.exists("questions/bank.jsonl"));
    const auto bank = QuestionBank::parse(files.read("questions/bank.jsonl"), "questions/bank.jsonl");
    EXPECT_GE(bank.all().size(), 150u);
    std::set<std::string> seen;
    for (const auto& q : bank.all()) {
      seen.insert(q.category);
      // The loader already refuses empty texts; every question needs both languages' key points.
      EXPECT_FALSE(q.question_ko.empty() || q.question_en.empty()) << q.id;
      EXPECT_FALSE(q.key_points_ko.empty() || q.key_points_en.empty()) << q.id;
    }
    EXPECT_EQ(seen.size(), 9u);
    EXPECT_FALSE(bank.filter("", Level::Senior).empty());
    EXPECT_FALSE(bank.filter("", Level::Junior).empty());
  }
}

}  // namespace
}  // namespace sunbae::feedback
