#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "model/model.h"

namespace sunbae::app {

Run add_info(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  app.add_option("--model", *dir, "Hugging Face model directory or GGUF file")->required();
  app.add_flag("--json", *as_json, "Print JSON instead of a table");
  return [dir, as_json] {
    auto m = model::Model::load(*dir);
    const io::ModelConfig& c = m->config();
    const double mb = 1.0 / (1 << 20);
    const int64_t kv_per_token = m->kv_layout(1).bytes() / kv::kBlockSize;
    nlohmann::ordered_json j = {
        {"architecture", c.architecture},
        {"parameters", c.num_parameters()},
        {"dtypes", m->weights().dtypes},
        {"layers", c.num_layers},
        {"hidden_size", c.hidden_size},
        {"heads", c.num_heads},
        {"kv_heads", c.num_kv_heads},
        {"head_dim", c.head_dim},
        {"vocab_size", c.vocab_size},
        {"context", c.max_position_embeddings},
        {"sliding_window", c.sliding_window ? nlohmann::json(*c.sliding_window) : nlohmann::json()},
        {"weights_mb", double(m->weights().bytes) * mb},
        {"kv_cache_kb_per_token_f32", double(kv_per_token) / 1024.0},
        {"kv_cache_mb_full_context_f32", double(kv_per_token * c.max_position_embeddings) * mb},
        {"bos_token_ids", c.bos_token_ids},
        {"eos_token_ids", c.eos_token_ids},
        // generation_config.json's suggestions; `generate` stays greedy unless flags say otherwise.
        {"generation_defaults",
         {{"do_sample", c.generation.do_sample},
          {"temperature", c.generation.temperature},
          {"top_k", c.generation.top_k},
          {"top_p", c.generation.top_p}}},
    };
    if (*as_json) {
      std::printf("%s\n", j.dump(1).c_str());
      return 0;
    }
    for (auto& [k, v] : j.items()) {
      std::string s = v.is_string() ? v.get<std::string>() : v.dump();
      std::printf("%-30s %s\n", k.c_str(), s.c_str());
    }
    return 0;
  };
}

}  // namespace sunbae::app
