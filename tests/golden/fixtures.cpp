#include "golden/fixtures.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/model_config.h"
#include "model/gpu_plan.h"

namespace sunbae::test {

namespace fs = std::filesystem;

std::vector<std::string> fixture_dirs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(SUNBAE_FIXTURES_DIR))
    if (e.is_directory() && fs::exists(e.path() / "expected.safetensors")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> supported_fixture_dirs() {
  std::vector<std::string> out;
  const std::string supported = io::supported_architectures();
  for (const std::string& d : fixture_dirs()) {
    std::ifstream f(fs::path(d) / "config.json");
    const auto j = nlohmann::json::parse(f);
    if (supported.find(j["architectures"][0].get<std::string>()) != std::string::npos) out.push_back(d);
  }
  return out;
}

std::vector<std::string> cuda_fixture_dirs() {
  std::vector<std::string> out;
  for (const std::string& d : supported_fixture_dirs())
    if (model::cuda_unsupported(io::load_model_config(d)).empty()) out.push_back(d);
  return out;
}

namespace {
std::vector<int32_t> ids(const TensorView& t) {
  std::vector<int32_t> out(size_t(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t v;
    std::memcpy(&v, static_cast<const char*>(t.data) + 8 * i, 8);
    out[i] = int32_t(v);
  }
  return out;
}
}  // namespace

Golden load_golden(const std::string& dir) {
  io::Checkpoint ck = io::Checkpoint::open_file(dir + "/expected.safetensors");
  Golden g;
  g.dir = dir;
  g.name = fs::path(dir).filename();
  g.prompt = ids(ck.get("prompt_ids"));
  g.greedy = ids(ck.get("greedy_ids"));
  TensorView l = ck.get("logits");
  g.vocab = l.dim(1);
  g.logits.resize(size_t(l.numel()));
  std::memcpy(g.logits.data(), l.data, l.nbytes());
  return g;
}

}  // namespace sunbae::test
