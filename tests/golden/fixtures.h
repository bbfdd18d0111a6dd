#pragma once
// Golden fixtures written by tests/fixtures/make_fixtures.py (transformers, fp32, eager).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace sunbae::test {

struct Golden {
  std::string name, dir;
  std::vector<int32_t> prompt;
  std::vector<int32_t> greedy;
  std::vector<float> logits;  // [prompt.size(), vocab]
  int64_t vocab = 0;
};

// Every fixture folder holding expected.safetensors, sorted by name.
std::vector<std::string> fixture_dirs();
Golden load_golden(const std::string& dir);
// Fixture folders whose config.json names an architecture Sunbae runs today.
std::vector<std::string> supported_fixture_dirs();
// Those of them the CUDA backend runs too (model::cuda_unsupported is empty).
std::vector<std::string> cuda_fixture_dirs();

// Test names for suites parameterized by fixture folder: the folder's name, gtest-safe.
inline std::string fixture_param_name(const testing::TestParamInfo<std::string>& info) {
  std::string n = std::filesystem::path(info.param).filename();
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

}  // namespace sunbae::test
