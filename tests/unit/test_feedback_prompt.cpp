// Feedback prompts: the shared part (role, rubric, output format) comes first and is
// byte-identical across requests up to the question, so the prefix cache serves it.
#include <gtest/gtest.h>

#include "core/error.h"
#include "feedback/prompt.h"
#include "template/chat_template.h"
#include "unit/shared_tokenizers.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::feedback {
namespace {

using json = nlohmann::json;

FeedbackInput input(const std::string& lang, const std::string& question, const std::string& answer,
                    Level level = Level::Junior) {
  return {lang, level, question, {"point one", "point two"}, answer};
}

TEST(FeedbackPrompt, EmbeddedTemplatesMatchTheSourceTree) {
  for (const char* lang : {"ko", "en"}) {
    const std::string rel = std::string("prompts/feedback-v1.") + lang + ".txt";
    EXPECT_EQ(DataFiles().read(rel), DataFiles(SUNBAE_DATA_DIR).read(rel)) << rel << " is stale in the build";
  }
  EXPECT_NO_THROW(PromptSet::load(DataFiles()));
}

TEST(FeedbackPrompt, DataDirOverrideAndMissingFiles) {
  EXPECT_THROW(DataFiles("/nonexistent-sunbae-data").read("prompts/feedback-v1.en.txt"), Error);
  try {
    DataFiles().read("prompts/none.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prompts/none.txt is not embedded"), std::string::npos);
  }
}

TEST(FeedbackPrompt, RubricPerLevel) {
  const PromptSet p = PromptSet::load(DataFiles());
  for (const PromptTemplate* t : {&p.ko, &p.en}) {
    const std::string junior = system_prompt(*t, Level::Junior), senior = system_prompt(*t, Level::Senior);
    for (const char* key : {"accuracy", "completeness", "structure", "communication"}) {
      EXPECT_NE(junior.find(t->section(std::string("criterion.") + key)), std::string::npos) << key;
      EXPECT_NE(senior.find(t->section(std::string("criterion.") + key)), std::string::npos) << key;
    }
    EXPECT_EQ(junior.find(t->section("criterion.depth")), std::string::npos);
    EXPECT_NE(senior.find(t->section("criterion.depth")), std::string::npos);
    EXPECT_NE(senior.find("\"depth\""), std::string::npos);  // output format lists the key
    EXPECT_EQ(junior.find("{{"), std::string::npos);
    for (const char* anchor : {"1 = ", "5 = "}) EXPECT_NE(junior.find(anchor), std::string::npos);
  }
  EXPECT_NE(system_prompt(p.ko, Level::Junior).find("한국어로"), std::string::npos);
}

TEST(FeedbackPrompt, QuestionKeyPointsAndAnswerComeLast) {
  const PromptSet p = PromptSet::load(DataFiles());
  const json m = feedback_messages(p, input("en", "What is {{answer}}?", "My answer"));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["role"], "system");
  EXPECT_EQ(m[0]["content"], system_prompt(p.en, Level::Junior));
  const std::string user = m[1]["content"];
  // Values are inserted, never expanded: a question quoting a placeholder stays as written.
  EXPECT_NE(user.find("What is {{answer}}?"), std::string::npos);
  EXPECT_LT(user.find("What is"), user.find("- point one"));
  EXPECT_LT(user.find("- point two"), user.find("My answer"));
  FeedbackInput none = input("ko", "질문", "답변");
  none.key_points.clear();
  EXPECT_NE(user_prompt(p.ko, none).find(p.ko.section("key_points.none")), std::string::npos);
}

TEST(FeedbackPrompt, SharedPrefixIsIdenticalThroughTheChatTemplateAndTokenizer) {
  REQUIRE_SHARED_TOKENIZERS();
  const auto dir = test::shared_tokenizers() / "llama3-instruct";
  const auto tk = tok::Tokenizer::load(dir.string());
  const auto tmpl = tmpl::ChatTemplate::compile(tk->chat_template());
  const PromptSet p = PromptSet::load(DataFiles());
  auto render = [&](const FeedbackInput& in) {
    json ctx = {{"messages", feedback_messages(p, in)}, {"add_generation_prompt", true}};
    if (tk->bos_token()) ctx["bos_token"] = *tk->bos_token();
    return tmpl.render(ctx);
  };
  for (const char* lang : {"ko", "en"}) {
    for (Level level : {Level::Junior, Level::Senior}) {
      const FeedbackInput a = input(lang, "What is a deadlock?", "Two threads wait on each other.", level);
      const FeedbackInput b = input(lang, "TCP와 UDP의 차이는?", "TCP는 연결 지향입니다.", level);
      const std::string ra = render(a), rb = render(b);
      const size_t qa = ra.find(a.question);
      ASSERT_NE(qa, std::string::npos);
      ASSERT_EQ(rb.find(b.question), qa);  // same offset: everything before it is shared
      EXPECT_EQ(ra.substr(0, qa), rb.substr(0, qa));
      EXPECT_NE(ra.find(system_prompt(p.get(lang), level)), std::string::npos);
      EXPECT_LT(ra.find(system_prompt(p.get(lang), level)), qa);
      // In tokens: the shared text's tokens (all but a boundary token) are the same ids.
      const auto ta = tk->encode(ra, false), tb = tk->encode(rb, false);
      size_t common = 0;
      while (common < ta.size() && common < tb.size() && ta[common] == tb[common]) ++common;
      const size_t shared = tk->encode(ra.substr(0, qa), false).size();
      EXPECT_GE(common + 1, shared) << lang;
      EXPECT_GT(shared, 300u) << "the shared part should be most of the prompt";
    }
  }
}

TEST(FeedbackPrompt, MalformedTemplatesFailClearly) {
  const std::string ok = DataFiles().read("prompts/feedback-v1.en.txt");
  auto error_of = [](const std::string& text) {
    try {
      PromptTemplate::parse(text, "en", "t.txt");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(ok), "no error");
  std::string no_user = ok;
  no_user.replace(no_user.find("[[user]]"), 8, "[[usr]]");
  EXPECT_NE(error_of(no_user).find("t.txt: missing section [[user]]"), std::string::npos);
  EXPECT_NE(error_of(ok + "[[system]]\nx\n").find("section [[system]] appears twice"), std::string::npos);
  EXPECT_NE(error_of("stray\n" + ok).find("t.txt:1: text before the first [[section]]"), std::string::npos);
  std::string typo = ok;
  typo.replace(typo.find("{{rubric}}"), 10, "{{rubrik}}");
  const PromptTemplate t = PromptTemplate::parse(typo, "en", "t.txt");
  try {
    system_prompt(t, Level::Junior);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown placeholder {{rubrik}}"), std::string::npos);
  }
}

}  // namespace
}  // namespace sunbae::feedback
