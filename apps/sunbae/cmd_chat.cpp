// Interactive chat: each line on stdin is a user turn; the reply streams to stdout as it is
// generated. The whole conversation is re-encoded each turn (the template decides the layout).
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

#include "commands.h"
#include "core/error.h"
#include "text_model.h"

namespace sunbae::app {

Run add_chat(CLI::App& app) {
  struct Opts {
    std::string dir, system;
    int64_t max_tokens = 512;
    double temperature = 0.0, top_p = 1.0;
    int64_t top_k = 0, seed = -1;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->dir,
                 "Hugging Face model directory or GGUF file (default: the built-in SmolLM2-135M-Instruct)");
  app.add_option("--system", o->system, "System message opening the conversation");
  app.add_option("--max-tokens", o->max_tokens, "Most new tokens per reply")->capture_default_str();
  app.add_option("--temperature", o->temperature, "0 is greedy")->capture_default_str();
  app.add_option("--top-k", o->top_k, "Keep the k most likely tokens (0: all)")->capture_default_str();
  app.add_option("--top-p", o->top_p, "Nucleus probability mass")->capture_default_str();
  app.add_option("--seed", o->seed, "Sampling seed (default: random)")->check(CLI::NonNegativeNumber);
  return [o] {
    engine::GenerateOptions g;
    g.max_tokens = o->max_tokens;
    g.sampling.temperature = o->temperature;
    g.sampling.top_k = o->top_k;
    g.sampling.top_p = o->top_p;
    if (o->seed >= 0) g.sampling.seed = uint64_t(o->seed);
    g.sampling.validate();
    TextModel m = load_text_model(model_or_default(o->dir));
    nlohmann::json messages = nlohmann::json::array();
    if (!o->system.empty()) messages.push_back({{"role", "system"}, {"content", o->system}});
    const bool tty = ::isatty(STDIN_FILENO);
    if (tty) std::fprintf(stderr, "Type a message and press Enter; Ctrl-D ends the chat.\n");
    std::string line;
    while (true) {
      if (tty) std::fprintf(stderr, "> ");
      if (!std::getline(std::cin, line)) break;
      if (line.empty()) continue;
      messages.push_back({{"role", "user"}, {"content", line}});
      const std::vector<int32_t> prompt = encode_chat(m, messages);
      const int64_t room = engine::context_length(m.model->config()) - int64_t(prompt.size());
      SUNBAE_CHECK(room > 0, "the conversation (", prompt.size(), " tokens) fills the model's context");
      engine::GenerateOptions turn = g;
      turn.max_tokens = std::min(g.max_tokens, room);
      const std::string reply = stream_reply(m, prompt, turn);
      std::printf("\n");
      std::fflush(stdout);
      messages.push_back({{"role", "assistant"}, {"content", reply}});
    }
    return 0;
  };
}

}  // namespace sunbae::app
