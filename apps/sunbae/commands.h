#pragma once
// Each subcommand registers its flags on the CLI11 app and returns the function that runs it.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace sunbae::app {

using Run = std::function<int()>;

Run add_info(CLI::App& app);
Run add_logits(CLI::App& app);
Run add_generate(CLI::App& app);
Run add_chat(CLI::App& app);
Run add_bench(CLI::App& app);
Run add_chat_template(CLI::App& app);
Run add_tokenize(CLI::App& app);
Run add_bench_tokenizer(CLI::App& app);
Run add_bench_grammar(CLI::App& app);
Run add_serve(CLI::App& app);
Run add_feedback(CLI::App& app);
Run add_bench_serve(CLI::App& app);  // `bench serve`, registered by add_bench

// "5,17,42" -> ids; throws Error on anything that is not a comma-separated list of integers
// in int32 range.
std::vector<int32_t> parse_ids(const std::string& text);

}  // namespace sunbae::app
