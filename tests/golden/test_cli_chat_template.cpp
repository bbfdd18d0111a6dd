// `sunbae chat-template` on the real tokenizer configs against transformers' renderings
// (tests/template/data/expected.json, made by tests/template/make_chat_expected.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "golden/cli_util.h"

namespace sunbae::test {
namespace {

fs::path shared_tokenizers() {
  if (const char* env = std::getenv("SUNBAE_SHARED_TOKENIZERS")) return env;
  return fs::path(SUNBAE_FIXTURES_DIR) / "../../../shared/tokenizers";
}

TEST(Cli, ChatTemplateRendersLikeTransformers) {
  const fs::path shared = shared_tokenizers();
  if (!fs::is_directory(shared)) {
    if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true")
      FAIL() << "CI=true but the shared tokenizer files are missing: " << shared;
    GTEST_SKIP() << "shared tokenizer files not found at " << shared;
  }
  const auto data = nlohmann::json::parse(
      std::ifstream(fs::path(SUNBAE_FIXTURES_DIR) / "../template/data/expected.json"));
  TempDir t;
  int checked = 0;
  for (const auto& c : data["cases"]) {
    const std::string family = c["family"];
    // The CLI takes bos/eos from the folder's own tokenizer_config.json, as transformers does;
    // cases with extra template variables go through the library tests instead.
    if (!fs::is_directory(shared / family) || !c["kwargs"].empty() || !c["tools"].is_null()) continue;
    const fs::path msgs = t / "messages.json";
    std::ofstream(msgs) << c["messages"].dump();
    const Result r = run("chat-template --tokenizer " + q(shared / family) + " --messages " + q(msgs) +
                         (c["add_generation_prompt"].get<bool>() ? " --add-generation-prompt" : ""));
    if (c.contains("error")) {
      EXPECT_EQ(r.code, 1) << family << "/" << c["name"];
      EXPECT_NE(r.out.find(c["error"].get<std::string>()), std::string::npos) << r.out;
    } else {
      EXPECT_EQ(r.code, 0) << r.out;
      EXPECT_EQ(r.out, c["rendered"].get<std::string>()) << family << "/" << c["name"];
    }
    ++checked;
  }
  EXPECT_GE(checked, 40) << "too few cases reached the CLI";
}

TEST(Cli, ChatTemplateErrorsAreClear) {
  TempDir t;
  const fs::path bad = t / "bad.json";
  std::ofstream(bad) << "{\"role\": ";
  const fs::path dir = fs::path(SUNBAE_FIXTURES_DIR) / "llama";  // no tokenizer_config: built-in template
  Result r = run("chat-template --tokenizer " + q(dir) + " --messages " + q(bad));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not valid JSON"), std::string::npos) << r.out;
  const fs::path ok = t / "ok.json";
  std::ofstream(ok) << R"([{"role": "user", "content": "스레드와 프로세스의 차이?"}])";
  r = run("chat-template --tokenizer " + q(dir) + " --messages " + q(ok) + " --add-generation-prompt");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("### 질문: 스레드와 프로세스의 차이?"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sunbae::test
