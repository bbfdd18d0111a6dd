// `sunbae tokenize` and `bench-tokenizer` as a user runs them, on the real tokenizer files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "golden/cli_util.h"

namespace sunbae::test {
namespace {

fs::path shared_dir() {
  if (const char* env = std::getenv("SUNBAE_SHARED_TOKENIZERS")) return env;
  return fs::path(SUNBAE_FIXTURES_DIR) / "../../../shared/tokenizers";
}

#define REQUIRE_SHARED()                                                                      \
  do {                                                                                        \
    if (!fs::is_directory(shared_dir())) {                                                    \
      const char* ci = std::getenv("CI");                                                     \
      if (ci && std::string(ci) == "true") FAIL() << "CI=true but missing: " << shared_dir(); \
      GTEST_SKIP() << "shared tokenizer files not found at " << shared_dir();                 \
    }                                                                                         \
  } while (0)

// The sanity ids ../shared/tokenizers/README.md gives, from Hugging Face tokenizers.
TEST(CliTokenize, ReadmeSanityIdsForEveryTokenizer) {
  REQUIRE_SHARED();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"llama2-rebuilt", "[1,15043,29892,590,11203,338,274,1082]"},
      {"mistral-v0.1", "[1,22557,28725,586,3914,349,17949]"},
      {"mistral-v0.3-rebuilt", "[1,23325,29493,1354,4682,1117,18717]"},
      {"llama3-instruct", "[128000,9906,11,856,5679,374,19369]"},
      {"qwen3", "[9707,11,847,5562,374,18838]"},
      {"gemma", "[2,4521,235269,970,5929,603,9786]"},
      {"deepseek-v3", "[19923,14,1026,6397,344,33125]"}};
  for (const auto& [name, ids] : want) {
    const Result r = run("tokenize --tokenizer " + q(shared_dir() / name) +
                         " --text 'Hello, my dog is cute' --add-special");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, ids + "\n") << name;
  }
}

TEST(CliTokenize, BatchDecodeAndErrors) {
  REQUIRE_SHARED();
  const fs::path tok = shared_dir() / "qwen3";
  TempDir t;
  const fs::path in = t / "in.jsonl";
  const std::vector<std::string> texts = {"프로세스와 스레드의 차이", "", "TCP 3-way handshake 🤝"};
  {
    std::ofstream f(in);
    for (const auto& s : texts) f << nlohmann::json{{"text", s}}.dump() << "\n";
  }
  const Result batch = run("tokenize --tokenizer " + q(tok) + " --batch " + q(in));
  ASSERT_EQ(batch.code, 0) << batch.out;
  std::istringstream lines(batch.out);
  std::string line;
  for (const auto& s : texts) {
    ASSERT_TRUE(std::getline(lines, line));
    const Result one = run("tokenize --tokenizer " + q(tok) + " --text " + q(s));
    EXPECT_EQ(line + "\n", one.out) << s;  // batch line i == single encode of text i
    const auto ids = nlohmann::json::parse(line).get<std::vector<int32_t>>();
    if (ids.empty()) continue;
    const Result dec = run("tokenize --tokenizer " + q(tok) + " --decode " + join(ids));
    EXPECT_EQ(dec.out, s + "\n");
  }
  EXPECT_FALSE(std::getline(lines, line)) << "extra output line: " << line;

  const fs::path bad = t / "bad.jsonl";
  std::ofstream(bad) << "{\"text\": \"ok\"}\n{\"txt\": 1}\n";
  Result r = run("tokenize --tokenizer " + q(tok) + " --batch " + q(bad));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(":2: expected an object with a string \"text\" field"), std::string::npos) << r.out;
  r = run("tokenize --tokenizer " + q(t / "nope") + " --text hi");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("error: "), std::string::npos) << r.out;
  r = run("tokenize --tokenizer " + q(tok) + " --decode 1,99999999");
  EXPECT_EQ(r.code, 1) << r.out;
}

TEST(CliTokenize, BenchTokenizerReportsThroughput) {
  REQUIRE_SHARED();
  TempDir t;
  const fs::path out = t / "b.json";
  const Result r = run("bench-tokenizer --tokenizer " + q(shared_dir() / "gemma") + " --corpus " +
                       q(fs::path(SUNBAE_FIXTURES_DIR) / "../tokenizer/data/corpus.jsonl") +
                       " --threads 2 --repeat 1 --json " + q(out));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(std::ifstream(out));
  EXPECT_EQ(j["strings"], 4000);
  EXPECT_GT(j["tokens"].get<int64_t>(), 100000);
  EXPECT_GT(j["tokens_per_s"].get<double>(), 0.0);
}

}  // namespace
}  // namespace sunbae::test
