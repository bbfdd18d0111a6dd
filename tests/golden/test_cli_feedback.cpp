// `sunbae feedback` as a user runs it: one answer (readable and --json) and a JSONL batch with bad
// lines, on a random-weight model over the default model's vocabulary (written at test time).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "feedback/result_schema.h"
#include "feedback/schema_check.h"
#include "golden/cli_util.h"

namespace sunbae::test {
namespace {

using json = nlohmann::json;

// The default model's GGUF supplies the vocabulary; scripts/setup.sh fetches it.
#define REQUIRE_DEFAULT_GGUF()                                                              \
  do {                                                                                      \
    if (!fs::exists(SUNBAE_DEFAULT_GGUF)) {                                                 \
      const char* ci = std::getenv("CI");                                                   \
      if (ci && std::string(ci) == "true") FAIL() << "missing " << SUNBAE_DEFAULT_GGUF;     \
      GTEST_SKIP() << "no default model at " << SUNBAE_DEFAULT_GGUF << " (scripts/setup.sh)"; \
    }                                                                                       \
  } while (0)

class CliFeedback : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(SUNBAE_DEFAULT_GGUF)) return;
    dir_ = new TempDir();
    const std::string cmd = q(std::string(SUNBAE_TINY_MODEL)) + " --tokenizer " + q(std::string(SUNBAE_DEFAULT_GGUF)) +
                            " --out " + q(model()) + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path model() { return dir_->path() / "tiny"; }
  static std::string m() { return " --model " + q(model()); }
  static TempDir* dir_;
};
TempDir* CliFeedback::dir_ = nullptr;

// Stdout only (stderr names the model and shows progress).
Result run_out(const std::string& args) {
  Result r;
  FILE* p = popen((q(std::string(SUNBAE_BINARY)) + " " + args + " 2>/dev/null").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

TEST_F(CliFeedback, JsonOutputValidates) {
  REQUIRE_DEFAULT_GGUF();
  const Result r = run_out("feedback" + m() + " --question 'What is a mutex?' --answer 'A lock.' --level senior " +
                           "--temperature 1 --seed 3 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const json resp = json::parse(r.out);
  EXPECT_EQ(resp["schema_version"], "1.0");
  EXPECT_EQ(resp["level"], "senior");
  EXPECT_EQ(resp["language"], "en");
  EXPECT_EQ(feedback::schema_violation(resp["feedback"], feedback::feedback_schema(feedback::Level::Senior)), "");
  // Same seed, same feedback.
  const Result again = run_out("feedback" + m() + " --question 'What is a mutex?' --answer 'A lock.' --level senior " +
                               "--temperature 1 --seed 3 --json");
  EXPECT_EQ(json::parse(again.out)["feedback"], resp["feedback"]);
}

TEST_F(CliFeedback, ReadableReportHasTheKoreanTable) {
  REQUIRE_DEFAULT_GGUF();
  const Result r = run_out("feedback" + m() + " --question '뮤텍스란?' --answer '한 번에 하나의 스레드만 잡는 락입니다.' --seed 5");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* s : {"질문: 뮤텍스란?", "기준", "점수", "정확성", "완결성", "논리 구조", "전달력", "종합", "잘한 점",
                        "개선할 점", "빠뜨린 핵심 내용", "모범 답안", "후속 질문", "/5"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing from:\n" << r.out;
  EXPECT_EQ(r.out.find("깊이"), std::string::npos);  // junior: no depth row
}

TEST_F(CliFeedback, BatchWritesOneRecordPerLineAndNamesBadLines) {
  REQUIRE_DEFAULT_GGUF();
  const fs::path in = dir_->path() / "answers.jsonl", out = dir_->path() / "feedback.jsonl";
  {
    std::ofstream f(in);
    f << json({{"question", "What is TCP?"}, {"answer", "A reliable transport."}, {"seed", 1}, {"temperature", 1.0}}).dump() << "\n";
    f << "{\"question\": \"broken\n";  // line 2: not JSON
    f << "\n";                         // blank lines are skipped
    f << json({{"question", "DNS?"}, {"answer", ""}}).dump() << "\n";  // line 4: empty answer
    f << json({{"question", "캐시란?"}, {"answer", "자주 쓰는 데이터를 가까이 두는 것입니다."}, {"level", "senior"}}).dump() << "\n";
    f << json({{"question", "Heap?"}, {"answer", "A tree."}, {"category", "cooking"}}).dump() << "\n";  // line 6
  }
  const Result r = run("feedback" + m() + " --input " + q(in) + " --output " + q(out) + " --concurrency 3");
  EXPECT_EQ(r.code, 1) << r.out;  // failures make the exit status 1, after the whole batch ran
  EXPECT_NE(r.out.find("5 answers, 3 failures"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tok/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("5/5"), std::string::npos) << r.out;  // the progress bar's last state
  std::ifstream f(out);
  std::vector<json> recs;
  for (std::string line; std::getline(f, line);) recs.push_back(json::parse(line));
  ASSERT_EQ(recs.size(), 5u);
  const std::vector<int> lines = {1, 2, 4, 5, 6};
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(recs[i]["line"], lines[i]);
  EXPECT_EQ(feedback::schema_violation(recs[0]["response"]["feedback"], feedback::feedback_schema(feedback::Level::Junior)), "");
  EXPECT_NE(recs[1]["error"]["message"].get<std::string>().find("line 2: not valid JSON"), std::string::npos);
  EXPECT_EQ(recs[2]["error"]["param"], "answer");
  EXPECT_NE(recs[2]["error"]["message"].get<std::string>().find("line 4"), std::string::npos);
  EXPECT_EQ(recs[3]["response"]["language"], "ko");
  EXPECT_EQ(feedback::schema_violation(recs[3]["response"]["feedback"], feedback::feedback_schema(feedback::Level::Senior)), "");
  EXPECT_EQ(recs[4]["error"]["param"], "category");
}

TEST_F(CliFeedback, BadFlagsFailClearly) {
  REQUIRE_DEFAULT_GGUF();
  Result r = run("feedback" + m() + " --question q --answer a --language ja");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("--language: 'language' must be \"ko\" or \"en\""), std::string::npos) << r.out;
  r = run("feedback" + m() + " --question q");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("give --answer"), std::string::npos) << r.out;
  r = run("feedback" + m() + " --question q --answer a --question-id nope-1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("unknown question_id \"nope-1\""), std::string::npos) << r.out;
  r = run("feedback" + m() + " --input x.jsonl");
  EXPECT_EQ(r.code, 2);  // --input needs --output: a usage error
}

}  // namespace
}  // namespace sunbae::test
