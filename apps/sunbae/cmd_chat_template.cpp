#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "io/files.h"
#include "io/gguf.h"
#include "tokenizer/gguf_vocab.h"
#include "template/chat_template.h"

namespace sunbae::app {

namespace {
namespace fs = std::filesystem;

nlohmann::json read_json(const std::string& path) {
  const std::string text = io::read_maybe_gzip(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not valid JSON: ", e.what());
  }
}

// tokenizer_config.json (or .gz) of a model folder; an empty object when it has none.
nlohmann::json tokenizer_config(const std::string& dir) {
  if (io::GgufFile::sniff(dir)) return tok::gguf_tokenizer_json(*io::GgufFile::open(dir)).config;
  for (const char* name : {"tokenizer_config.json", "tokenizer_config.json.gz"})
    if (fs::is_regular_file(fs::path(dir) / name)) return read_json(fs::path(dir) / name);
  SUNBAE_CHECK(fs::is_directory(dir), dir, ": not a directory");
  return nlohmann::json::object();
}

// A special token as transformers' special_tokens_map holds it: the string, or the "content" of
// an AddedToken written as an object.
std::optional<std::string> special_token(const nlohmann::json& cfg, const char* key) {
  if (!cfg.contains(key)) return std::nullopt;
  const nlohmann::json& v = cfg[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return std::nullopt;
}
}  // namespace

Run add_chat_template(CLI::App& app) {
  struct Opts {
    std::string dir, messages;
    bool generation_prompt = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--tokenizer", o->dir, "Model or tokenizer folder with tokenizer_config.json, or a GGUF file")->required();
  app.add_option("--messages", o->messages,
                 "JSON file: an array of {role, content} messages, or an object with \"messages\" "
                 "and further template variables (e.g. \"tools\")")
      ->required();
  app.add_flag("--add-generation-prompt", o->generation_prompt, "End with the assistant turn's opening");
  return [o] {
    const nlohmann::json cfg = tokenizer_config(o->dir);
    std::string source;
    if (cfg.contains("chat_template") && cfg["chat_template"].is_string()) {
      source = cfg["chat_template"].get<std::string>();
    } else if (cfg.contains("chat_template") && cfg["chat_template"].is_array()) {
      for (const auto& t : cfg["chat_template"])  // named templates: transformers' default is "default"
        if (t.value("name", "") == "default") source = t.value("template", "");
    }
    if (source.empty()) {
      std::fprintf(stderr, "%s has no chat template; using the built-in KoAlpaca template\n", o->dir.c_str());
      source = tmpl::koalpaca_template();
    }
    nlohmann::json input = read_json(o->messages);
    // What transformers' apply_chat_template passes: messages, tools, documents, the generation
    // flag and the special tokens that are set; an object input adds its other keys.
    nlohmann::json ctx = nlohmann::json::object();
    ctx["tools"] = nullptr;
    ctx["documents"] = nullptr;
    for (const char* k : {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"})
      if (auto v = special_token(cfg, k)) ctx[k] = *v;
    if (input.is_array()) {
      ctx["messages"] = std::move(input);
    } else {
      SUNBAE_CHECK(input.is_object() && input.contains("messages"), o->messages,
                   ": expected an array of messages or an object with \"messages\"");
      for (auto& [k, v] : input.items()) ctx[k] = v;
    }
    SUNBAE_CHECK(ctx["messages"].is_array(), o->messages, ": \"messages\" must be an array");
    ctx["add_generation_prompt"] = o->generation_prompt;
    const std::string out = tmpl::ChatTemplate::compile(source).render(ctx);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  };
}

}  // namespace sunbae::app
