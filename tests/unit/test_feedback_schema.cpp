// The feedback result schema: both level variants compile into the decoding grammar, and the
// server's independent validator accepts a good object and names each kind of violation.
#include <gtest/gtest.h>

#include "feedback/result_schema.h"
#include "feedback/schema_check.h"
#include "grammar/json_schema.h"

namespace sunbae::feedback {
namespace {

using json = nlohmann::json;

json good_feedback(bool senior) {
  json crit = json::object();
  for (const auto& c : criteria_for(senior ? Level::Senior : Level::Junior))
    crit[c.key] = {{"score", 3}, {"reason", "근거가 일부 부족합니다."}};
  return {{"criteria", crit},
          {"overall", {{"score", 3}, {"summary", "Solid basics."}}},
          {"strengths", {"clear definition"}},
          {"improvements", {"give an example", "mention trade-offs"}},
          {"missing_key_points", json::array()},
          {"model_answer", "A mutex is ..."},
          {"follow_up_question", "How does a spinlock differ?"}};
}

TEST(FeedbackSchema, BothVariantsCompileToAGrammar) {
  EXPECT_NO_THROW(grammar::compile_schema(feedback_schema(Level::Junior)));
  EXPECT_NO_THROW(grammar::compile_schema(feedback_schema(Level::Senior)));
}

TEST(FeedbackSchema, DepthOnlyForSenior) {
  const json j = feedback_schema(Level::Junior), s = feedback_schema(Level::Senior);
  EXPECT_FALSE(j["properties"]["criteria"]["properties"].contains("depth"));
  EXPECT_EQ(j["properties"]["criteria"]["required"].size(), 4u);
  EXPECT_TRUE(s["properties"]["criteria"]["properties"].contains("depth"));
  EXPECT_EQ(s["properties"]["criteria"]["required"].size(), 5u);
  EXPECT_EQ(schema_violation(good_feedback(false), j), "");
  EXPECT_EQ(schema_violation(good_feedback(true), s), "");
  EXPECT_NE(schema_violation(good_feedback(true), j).find("property 'depth' is not allowed"), std::string::npos);
  EXPECT_NE(schema_violation(good_feedback(false), s).find("missing required property 'depth'"), std::string::npos);
}

TEST(FeedbackSchema, ValidatorNamesViolations) {
  const json s = feedback_schema(Level::Junior);
  auto violation = [&](auto edit) {
    json f = good_feedback(false);
    edit(f);
    return schema_violation(f, s);
  };
  EXPECT_NE(violation([](json& f) { f["criteria"]["accuracy"]["score"] = 6; }).find("/criteria/accuracy/score: 6 is above 5"),
            std::string::npos);
  EXPECT_NE(violation([](json& f) { f["overall"]["score"] = 0; }).find("/overall/score: 0 is below 1"), std::string::npos);
  EXPECT_NE(violation([](json& f) { f["overall"]["score"] = "3"; }).find("expected type \"integer\""), std::string::npos);
  EXPECT_NE(violation([](json& f) { f.erase("model_answer"); }).find("missing required property 'model_answer'"),
            std::string::npos);
  EXPECT_NE(violation([](json& f) { f["extra"] = 1; }).find("property 'extra' is not allowed"), std::string::npos);
  EXPECT_NE(violation([](json& f) { f["strengths"] = json::array(); }).find("fewer than minItems 1"), std::string::npos);
  EXPECT_NE(violation([](json& f) { f["improvements"] = {"a", "b", "c", "d"}; }).find("more than maxItems 3"),
            std::string::npos);
  EXPECT_NE(violation([](json& f) { f["strengths"][0] = ""; }).find("/strengths/0: 0 characters"), std::string::npos);
  // Lengths are code points: 200 Hangul syllables (600 bytes) fit a 200-character reason, 201 do not.
  std::string ko;
  for (int i = 0; i < kReasonMax; ++i) ko += "가";
  EXPECT_EQ(violation([&](json& f) { f["criteria"]["structure"]["reason"] = ko; }), "");
  EXPECT_NE(violation([&](json& f) { f["criteria"]["structure"]["reason"] = ko + "가"; }).find("201 characters"),
            std::string::npos);
  EXPECT_NE(schema_violation(json::array(), s).find("/: expected type \"object\""), std::string::npos);
}

TEST(FeedbackSchema, ResponseSchemaIsVersioned) {
  const json r = response_schema();
  EXPECT_EQ(r["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_NE(r["$id"].get<std::string>().find("1.0"), std::string::npos);
  EXPECT_EQ(r["properties"]["schema_version"]["const"], "1.0");
  EXPECT_EQ(r["then"]["properties"]["feedback"], feedback_schema(Level::Senior));
  EXPECT_EQ(r["else"]["properties"]["feedback"], feedback_schema(Level::Junior));
  for (const char* k : {"id", "object", "created", "model", "schema_version", "language", "question", "question_id",
                        "feedback", "usage"})
    EXPECT_NE(std::find(r["required"].begin(), r["required"].end(), k), r["required"].end()) << k;
}

TEST(FeedbackSchema, LabelsInBothLanguages) {
  ASSERT_EQ(criteria().size(), 5u);
  EXPECT_STREQ(criteria()[0].label_ko, "정확성");
  EXPECT_STREQ(criteria()[2].label_ko, "논리 구조");
  EXPECT_STREQ(criteria()[3].label_en, "Communication");
  EXPECT_TRUE(criteria()[4].senior_only);
}

}  // namespace
}  // namespace sunbae::feedback
