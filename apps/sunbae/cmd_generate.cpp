#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "engine/generate.h"

namespace sunbae::app {

Run add_generate(CLI::App& app) {
  struct Opts {
    std::string dir, ids, format = "ids";
    int64_t max_tokens = 16;
    double temperature = 0.0, top_p = 1.0;
    int64_t top_k = 0;
    int64_t seed = -1;
    bool ignore_eos = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->dir, "Hugging Face model directory")->required();
  app.add_option("--ids", o->ids, "Comma-separated prompt token ids")->required();
  app.add_option("--max-tokens", o->max_tokens, "Most new tokens to generate")->capture_default_str();
  app.add_option("--temperature", o->temperature, "0 is greedy")->capture_default_str();
  app.add_option("--top-k", o->top_k, "Keep the k most likely tokens (0: all)")->capture_default_str();
  app.add_option("--top-p", o->top_p, "Nucleus probability mass")->capture_default_str();
  app.add_option("--seed", o->seed, "Sampling seed (default: random)")->check(CLI::NonNegativeNumber);
  app.add_flag("--ignore-eos", o->ignore_eos, "Keep generating past end-of-sequence tokens");
  app.add_option("--format", o->format, "Output format")->check(CLI::IsMember({"ids"}))->capture_default_str();
  return [o] {
    engine::GenerateOptions g;
    g.max_tokens = o->max_tokens;
    g.ignore_eos = o->ignore_eos;
    g.sampling.temperature = o->temperature;
    g.sampling.top_k = o->top_k;
    g.sampling.top_p = o->top_p;
    if (o->seed >= 0) g.sampling.seed = uint64_t(o->seed);
    g.sampling.validate();
    const std::vector<int32_t> prompt = parse_ids(o->ids);
    auto m = model::Model::load(o->dir);
    engine::GenerateResult r = engine::generate(*m, prompt, g);
    std::string out = "[";
    for (size_t i = 0; i < r.tokens.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(r.tokens[i]);
    }
    std::printf("%s]\n", out.c_str());
    return 0;
  };
}

}  // namespace sunbae::app
