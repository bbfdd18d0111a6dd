#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::app {

namespace {
std::string ids_json(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}
}  // namespace

Run add_tokenize(CLI::App& app) {
  struct Opts {
    std::string dir, text, batch, decode;
    bool has_text = false, add_special = false, skip_special = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--tokenizer", o->dir, "Folder with tokenizer.json (or .gz) and tokenizer_config.json")
      ->required();
  auto* mode = app.add_option_group("input", "what to do (one of)");
  CLI::Option* text = mode->add_option("--text", o->text, "Encode this text; prints a JSON array of ids");
  mode->add_option("--batch", o->batch, "Encode each line's \"text\" of a JSONL file; one array per line");
  mode->add_option("--decode", o->decode, "Decode comma-separated ids; prints the text");
  mode->require_option(1);
  app.add_flag("--add-special", o->add_special, "Add the post-processor's special tokens (e.g. BOS)");
  app.add_flag("--skip-special", o->skip_special, "With --decode: drop special tokens");
  return [o, text] {
    auto tok = tok::Tokenizer::load(o->dir);
    if (text->count() > 0) {
      std::printf("%s\n", ids_json(tok->encode(o->text, o->add_special)).c_str());
    } else if (!o->decode.empty()) {
      std::printf("%s\n", tok->decode(parse_ids(o->decode), o->skip_special).c_str());
    } else {
      std::ifstream in(o->batch);
      SUNBAE_CHECK(in.good(), o->batch, ": cannot open");
      std::string line, out;
      for (int64_t n = 1; std::getline(in, line); ++n) {
        nlohmann::json j;
        try {
          j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
          fail(o->batch, ":", n, ": not JSON: ", e.what());
        }
        SUNBAE_CHECK(j.is_object() && j.contains("text") && j["text"].is_string(), o->batch, ":", n,
                     ": expected an object with a string \"text\" field");
        out += ids_json(tok->encode(j["text"].get<std::string>(), o->add_special));
        out += '\n';
        if (out.size() > (1 << 20)) {
          std::fwrite(out.data(), 1, out.size(), stdout);
          out.clear();
        }
      }
      SUNBAE_CHECK(!in.bad(), o->batch, ": read failed");
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
    return 0;
  };
}

}  // namespace sunbae::app
