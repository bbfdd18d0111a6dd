#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.h"
#include "core/error.h"
#include "io/files.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::app {

// Encoding throughput on a JSONL corpus, load excluded: what bench/tokenizer_bench.py compares
// against Hugging Face tokenizers on the same file.
Run add_bench_tokenizer(CLI::App& app) {
  struct Opts {
    std::string dir, corpus, json_out;
    int64_t threads = 1, repeat = 3;
    bool add_special = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--tokenizer", o->dir, "Folder with tokenizer.json (or .gz)")->required();
  app.add_option("--corpus", o->corpus, "JSONL file of {\"text\": ...} lines")->required();
  app.add_option("--threads", o->threads, "Encoding threads (strings split among them)")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--repeat", o->repeat, "Timed passes; the best is reported")->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_flag("--add-special", o->add_special, "Add special tokens");
  app.add_option("--json", o->json_out, "Also write the result as JSON");
  return [o] {
    auto tok = tok::Tokenizer::load(o->dir);
    std::vector<std::string> texts;
    {
      std::ifstream in(o->corpus);
      SUNBAE_CHECK(in.good(), o->corpus, ": cannot open");
      std::string line;
      for (int64_t n = 1; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        SUNBAE_CHECK(j.is_object() && j.contains("text") && j["text"].is_string(), o->corpus, ":", n,
                     ": expected an object with a string \"text\" field");
        texts.push_back(j["text"].get<std::string>());
      }
    }
    int64_t bytes = 0;
    for (const auto& t : texts) bytes += int64_t(t.size());
    const int64_t nt = std::min<int64_t>(o->threads, std::max<size_t>(texts.size(), 1));
    auto pass = [&] {
      std::vector<int64_t> counts(size_t(nt), 0);
      std::vector<std::thread> pool;
      for (int64_t t = 0; t < nt; ++t)
        pool.emplace_back([&, t] {
          for (size_t i = size_t(t); i < texts.size(); i += size_t(nt))
            counts[size_t(t)] += int64_t(tok->encode(texts[i], o->add_special).size());
        });
      for (auto& th : pool) th.join();
      int64_t total = 0;
      for (int64_t c : counts) total += c;
      return total;
    };
    const int64_t tokens = pass();  // warm-up: caches and page faults out of the timing
    double best = 1e300;
    for (int64_t r = 0; r < o->repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      SUNBAE_CHECK(pass() == tokens, "token count changed between passes");
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    nlohmann::ordered_json j = {{"tokenizer", o->dir},   {"corpus", o->corpus},
                                {"strings", texts.size()}, {"bytes", bytes},
                                {"tokens", tokens},        {"threads", nt},
                                {"seconds", best},         {"tokens_per_s", double(tokens) / best},
                                {"mb_per_s", double(bytes) / best / 1e6}};
    std::printf("%s\n", j.dump(1).c_str());
    if (!o->json_out.empty()) io::write_file_atomic(o->json_out, j.dump(1) + "\n");
    return 0;
  };
}

}  // namespace sunbae::app
