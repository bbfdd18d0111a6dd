#pragma once
// The real tokenizer files beside the checkout (../shared/tokenizers), for unit tests that need a
// real vocabulary.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sunbae::test {

inline std::filesystem::path shared_tokenizers() {
  return std::filesystem::path(SUNBAE_FIXTURES_DIR) / ".." / ".." / ".." / "shared" / "tokenizers";
}

}  // namespace sunbae::test

// Absent files skip the test on a developer machine but fail it in CI, where they must be present.
#define REQUIRE_SHARED_TOKENIZERS()                                                                          \
  do {                                                                                                       \
    if (!std::filesystem::is_directory(::sunbae::test::shared_tokenizers())) {                               \
      const char* ci = std::getenv("CI");                                                                    \
      if (ci && std::string(ci) == "true") FAIL() << "missing " << ::sunbae::test::shared_tokenizers().string(); \
      GTEST_SKIP() << "no shared tokenizer files at " << ::sunbae::test::shared_tokenizers().string();       \
    }                                                                                                        \
  } while (0)
