#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "engine/generate.h"
#include "text_model.h"

namespace sunbae::app {

Run add_generate(CLI::App& app) {
  struct Opts {
    std::string dir, ids, prompt, format;
    int64_t max_tokens = -1;
    double temperature = 0.0, top_p = 1.0;
    int64_t top_k = 0;
    int64_t seed = -1;
    bool ignore_eos = false, raw = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->dir,
                 "Hugging Face model directory or GGUF file (default: the built-in SmolLM2-135M-Instruct)");
  auto* ids = app.add_option("--ids", o->ids, "Comma-separated prompt token ids");
  auto* prompt = app.add_option("--prompt", o->prompt, "Prompt text, sent as a user message through the chat template");
  ids->excludes(prompt);
  app.add_flag("--raw", o->raw, "With --prompt: encode the text as is, without the chat template");
  app.add_option("--max-tokens", o->max_tokens, "Most new tokens to generate (default: 16 for --ids, 256 for --prompt)");
  app.add_option("--temperature", o->temperature, "0 is greedy")->capture_default_str();
  app.add_option("--top-k", o->top_k, "Keep the k most likely tokens (0: all)")->capture_default_str();
  app.add_option("--top-p", o->top_p, "Nucleus probability mass")->capture_default_str();
  app.add_option("--seed", o->seed, "Sampling seed (default: random)")->check(CLI::NonNegativeNumber);
  app.add_flag("--ignore-eos", o->ignore_eos, "Keep generating past end-of-sequence tokens");
  app.add_option("--format", o->format, "Output: ids (default for --ids) or text (default for --prompt)")
      ->check(CLI::IsMember({"ids", "text"}));
  return [o] {
    SUNBAE_CHECK(!o->ids.empty() || !o->prompt.empty(), "one of --ids or --prompt is required");
    const bool text_in = !o->prompt.empty();
    const std::string format = o->format.empty() ? (text_in ? "text" : "ids") : o->format;
    engine::GenerateOptions g;
    g.max_tokens = o->max_tokens >= 0 ? o->max_tokens : (text_in ? 256 : 16);
    g.ignore_eos = o->ignore_eos;
    g.sampling.temperature = o->temperature;
    g.sampling.top_k = o->top_k;
    g.sampling.top_p = o->top_p;
    if (o->seed >= 0) g.sampling.seed = uint64_t(o->seed);
    g.sampling.validate();
    const std::string path = model_or_default(o->dir);

    if (format == "ids" && !text_in) {  // no tokenizer needed
      const std::vector<int32_t> prompt_ids = parse_ids(o->ids);
      auto m = model::Model::load(path);
      engine::GenerateResult r = engine::generate(*m, prompt_ids, g);
      std::string out = "[";
      for (size_t i = 0; i < r.tokens.size(); ++i) out += (i ? "," : "") + std::to_string(r.tokens[i]);
      std::printf("%s]\n", out.c_str());
      return 0;
    }
    TextModel m = load_text_model(path);
    const std::vector<int32_t> prompt_ids =
        !text_in ? parse_ids(o->ids)
        : o->raw ? m.tokenizer->encode(o->prompt, true)
                 : encode_chat(m, nlohmann::json::array({{{"role", "user"}, {"content", o->prompt}}}));
    if (format == "text") {
      stream_reply(m, prompt_ids, g);
      std::printf("\n");
      return 0;
    }
    engine::GenerateResult r = engine::generate(*m.model, prompt_ids, g);
    std::string out = "[";
    for (size_t i = 0; i < r.tokens.size(); ++i) out += (i ? "," : "") + std::to_string(r.tokens[i]);
    std::printf("%s]\n", out.c_str());
    return 0;
  };
}

}  // namespace sunbae::app
