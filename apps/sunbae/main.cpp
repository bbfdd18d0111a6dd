#include <cstdio>
#include <map>

#include "commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"Sunbae: LLM inference engine for interview-answer feedback"};
  app.require_subcommand(1);
  std::map<CLI::App*, sunbae::app::Run> runs;
  auto add = [&](const char* name, const char* help, sunbae::app::Run (*reg)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    runs[sub] = reg(*sub);
  };
  add("info", "Describe a model directory: architecture, parameters, dtypes, memory", sunbae::app::add_info);
  add("logits", "Run one forward pass and write the logits as safetensors", sunbae::app::add_logits);
  add("generate", "Generate tokens from a prompt", sunbae::app::add_generate);
  add("chat", "Chat interactively with a model (replies stream as they are generated)", sunbae::app::add_chat);
  add("bench", "Measure prefill and decode speed and peak memory", sunbae::app::add_bench);
  add("chat-template", "Render a conversation with the model's chat template", sunbae::app::add_chat_template);
  add("tokenize", "Encode text (or a JSONL batch) to token ids, or decode ids", sunbae::app::add_tokenize);
  add("feedback", "Structured feedback on an interview answer (or a JSONL batch) from the model", sunbae::app::add_feedback);
  add("serve", "Serve the OpenAI API (completions, chat, streaming) with continuous batching", sunbae::app::add_serve);
  add("bench-tokenizer", "Encoding throughput on a JSONL corpus", sunbae::app::add_bench_tokenizer);
  add("bench-grammar", "Cost of JSON-schema constrained decoding per token, and schema compile time", sunbae::app::add_bench_grammar);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends exit 0; a usage error prints CLI11's message and exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : runs)
      if (sub->parsed()) return run();
  } catch (const sunbae::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 1;
}
