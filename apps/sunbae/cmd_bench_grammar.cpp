#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "grammar_step_sim.h"
#include "grammar/mask_pool.h"
#include "engine/token_choice.h"
#include "grammar/json_schema.h"
#include "grammar/token_mask.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::app {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }

// A feedback-shaped schema (issue 7's product): enums, integer ranges, bounded strings, arrays.
const char* kFeedbackSchema = R"({"type":"object","properties":{
  "scores":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"object","properties":{
    "criterion":{"enum":["accuracy","completeness","structure","communication"]},
    "score":{"type":"integer","minimum":1,"maximum":5},
    "reason":{"type":"string","maxLength":120}},
    "required":["criterion","score","reason"],"additionalProperties":false}},
  "overall":{"type":"integer","minimum":1,"maximum":5},
  "strengths":{"type":"array","items":{"type":"string","maxLength":80},"maxItems":3},
  "summary":{"type":"string"}},
  "required":["scores","overall","strengths","summary"],"additionalProperties":false})";

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

}  // namespace

// The cost constrained decoding adds to each output token (mask lookup or trie walk, applying it
// to the logits row, advancing the automaton; the sampler's own pass is reported beside it) for a
// batch of sequences sampling at temperature 1 from random logits under the mask, and the time to
// compile a new schema. Then the engine thread's share per decode step with the masks computed
// serially on it and with mask workers overlapping the forward (grammar_step_sim.h).
Run add_bench_grammar(CLI::App& app) {
  struct Opts {
    std::string dir, schema_file, json_out;
    int64_t batch = 64, steps = 64, cache_mb = int64_t(grammar::MaskCache::kDefaultBytes >> 20);
    uint64_t seed = 1;
    double forward_ms = 9.2;
    std::vector<int> workers = {0, grammar::MaskPool::default_workers()};
    bool steps_only = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--tokenizer", o->dir, "Folder with tokenizer.json (or .gz)")->required();
  app.add_option("--schema", o->schema_file, "JSON Schema file (default: a feedback-shaped schema and json_object)");
  app.add_option("--batch", o->batch, "Sequences decoded together")->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--steps", o->steps, "Decode steps")->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--seed", o->seed, "Random logits seed")->capture_default_str();
  app.add_option("--json", o->json_out, "Also write the results as JSON");
  app.add_option("--forward-ms", o->forward_ms, "Step simulation: the forward the masks overlap (H100, Mistral-7B, batch 64: 9.2)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--workers", o->workers, "Step simulation: mask worker counts to run (0: masks on the engine thread)")
      ->capture_default_str()->delimiter(',')->check(CLI::Range(0, 64));
  app.add_option("--cache-mb", o->cache_mb, "Step simulation: the mask cache's bound")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--steps-only", o->steps_only, "Only the step simulation (skips the per-token table and its host sampler)");
  return [o] {
    auto tok = tok::Tokenizer::load(o->dir);
    const int64_t vocab = tok->vocab_size();
    auto t0 = Clock::now();
    auto v = std::make_shared<const grammar::TokenVocab>(grammar::TokenVocab::build(*tok, vocab, {}));
    const double vocab_ms = us_since(t0) / 1000;
    std::vector<std::pair<std::string, json>> schemas;
    if (!o->schema_file.empty()) {
      std::ifstream in(o->schema_file);
      SUNBAE_CHECK(in.good(), o->schema_file, ": cannot open");
      schemas.emplace_back(o->schema_file, json::parse(in));
    } else {
      schemas.emplace_back("feedback", json::parse(kFeedbackSchema));
      schemas.emplace_back("json_object", json{{"type", "object"}});
    }
    // Random rows standing in for a random-weight model's logits.
    std::mt19937_64 rng(o->seed);
    std::normal_distribution<float> nd(0.f, 2.f);
    std::vector<std::vector<float>> rows(16, std::vector<float>(size_t(vocab)));
    for (auto& r : rows)
      for (auto& x : r) x = nd(rng);
    const std::vector<int64_t> no_eos;
    json out = {{"tokenizer", o->dir}, {"vocab", vocab}, {"vocab_build_ms", vocab_ms}, {"batch", o->batch},
                {"steps", o->steps}, {"forward_ms", o->forward_ms}, {"hardware_threads", std::thread::hardware_concurrency()},
                {"schemas", json::array()}};
    std::printf("tokenizer %s: %lld tokens, token bytes + trie built in %.1f ms\n", o->dir.c_str(),
                (long long)vocab, vocab_ms);
    std::vector<std::string> step_rows;
    if (!o->steps_only)
      std::printf("| schema | compile ms (median of 20) | first mask ms | mask us/token (mean, p50, p99) | cache hits "
                  "| apply us/token | advance us/token | added us/token | sampler alone us/token | docs done |\n"
                  "|---|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [name, schema] : schemas) {
      std::vector<double> compile_ms;
      std::shared_ptr<const grammar::Grammar> g;
      for (int i = 0; i < 20; ++i) {
        t0 = Clock::now();
        g = grammar::compile_schema(schema);
        compile_ms.push_back(us_since(t0) / 1000);
      }
      json entry = {{"name", name}, {"compile_ms_median", percentile(compile_ms, 0.5)}};
      if (!o->steps_only) {
        grammar::GrammarMasker gm(g, v);
        t0 = Clock::now();
        (void)gm.compute(gm.matcher().initial());
        const double first_mask_ms = us_since(t0) / 1000;
        std::vector<grammar::MatchState> st(size_t(o->batch), gm.matcher().initial());
        std::vector<int64_t> len(size_t(o->batch), 0);
        std::vector<int32_t> hist = {0};
        std::vector<double> mask_us;
        double apply_us = 0, copy_us = 0, adv_us = 0, plain_us = 0;
        std::vector<float> copy(static_cast<size_t>(vocab));
        int64_t tokens = 0, docs = 0;
        engine::RequestParams p;
        p.sampling.temperature = 1.0;
        for (int64_t step = 0; step < o->steps; ++step)
          for (int64_t b = 0; b < o->batch; ++b) {
            auto& s = st[size_t(b)];
            const auto& row = rows[size_t((step * 7 + b) % 16)];
            engine::TokenChoiceInput in{row.data(), vocab, &hist, step, o->seed + uint64_t(b), &no_eos};
            t0 = Clock::now();
            (void)engine::choose_token(in, p);
            plain_us += us_since(t0);
            t0 = Clock::now();
            const grammar::TokenMask& m = gm.mask(s);
            mask_us.push_back(us_since(t0));
            // The sampler copies its row anyway; applying the mask is what the masked copy adds.
            // Best of 3 each, alternating, as the difference is small beside a 0.5 MB copy's noise.
            double best_copy = 1e30, best_masked = 1e30;
            for (int rep = 0; rep < 3; ++rep) {
              t0 = Clock::now();
              std::copy(row.begin(), row.end(), copy.begin());
              best_copy = std::min(best_copy, us_since(t0));
              t0 = Clock::now();
              engine::copy_masked(row.data(), copy.data(), vocab, m);
              best_masked = std::min(best_masked, us_since(t0));
            }
            copy_us += best_copy;
            apply_us += best_masked;
            in.allowed = &m;
            const int32_t tokid = engine::choose_token(in, p).token;
            t0 = Clock::now();
            SUNBAE_CHECK(gm.advance(s, tokid), "bench: the mask allowed token ", tokid, " that the automaton refuses");
            adv_us += us_since(t0);
            ++tokens;
            if (grammar::JsonMatcher::finished(s) || ++len[size_t(b)] >= 512) {
              docs += grammar::JsonMatcher::finished(s);
              s = gm.matcher().initial();
              len[size_t(b)] = 0;
            }
          }
        double mask_sum = 0;
        for (double x : mask_us) mask_sum += x;
        const double n = double(tokens);
        const double mask_mean = mask_sum / n, apply = (apply_us - copy_us) / n, adv = adv_us / n;
        const double added = mask_mean + apply + adv;
        const double hits = double(gm.cache_hits()) / double(gm.cache_hits() + gm.cache_misses());
        std::printf("| %s | %.2f | %.2f | %.1f, %.1f, %.1f | %.1f%% | %.1f | %.2f | %.1f | %.1f | %lld |\n", name.c_str(),
                    percentile(compile_ms, 0.5), first_mask_ms, mask_mean, percentile(mask_us, 0.5),
                    percentile(mask_us, 0.99), 100 * hits, apply, adv, added, plain_us / n, (long long)docs);
        entry.update(json{{"first_mask_ms", first_mask_ms}, {"mask_us_mean", mask_mean},
                          {"mask_us_p50", percentile(mask_us, 0.5)}, {"mask_us_p99", percentile(mask_us, 0.99)},
                          {"cache_hit_rate", hits}, {"apply_us_per_token", apply},
                          {"advance_us_per_token", adv}, {"added_us_per_token", added},
                          {"sampler_alone_us_per_token", plain_us / n}, {"tokens", tokens}, {"docs_done", docs}});
      }
      entry["steps"] = json::array();
      for (int w : o->workers) {
        app::StepSimOptions so;
        so.batch = o->batch;
        so.steps = o->steps;
        so.forward_ms = o->forward_ms;
        so.workers = w;
        so.cache_bytes = size_t(o->cache_mb) << 20;
        so.seed = o->seed;
        const app::StepSimResult r = app::simulate_steps(g, v, rows, so);
        char line[512];
        std::snprintf(line, sizeof line, "| %s | %d | %.1f | %.0f | %.0f | **%.0f** (%.0f) | **%.2f%%** | %.0f | %.1f%% | %.1f / %lld | %zu | %llu |",
                      name.c_str(), w, o->forward_ms, r.mask_us_per_step, r.advance_us_per_step,
                      r.critical_us_per_step, r.p99_step_us,
                      o->forward_ms > 0 ? 100 * r.critical_us_per_step / (1000 * o->forward_ms) : 0.0,
                      r.cpu_us_per_step, 100 * r.cache_hit_rate, double(r.cache_bytes_peak) / double(1 << 20), (long long)o->cache_mb,
                      r.evictions, (unsigned long long)r.computed_inline);
        step_rows.push_back(line);
        entry["steps"].push_back({{"workers", w}, {"forward_ms", o->forward_ms},
                                  {"mask_us_per_step", r.mask_us_per_step},
                                  {"advance_submit_us_per_step", r.advance_us_per_step},
                                  {"critical_us_per_step", r.critical_us_per_step},
                                  {"critical_us_p99_step", r.p99_step_us},
                                  {"engine_thread_cpu_us_per_step", r.cpu_us_per_step},
                                  {"critical_fraction_of_forward",
                                   o->forward_ms > 0 ? r.critical_us_per_step / (1000 * o->forward_ms) : 0.0},
                                  {"cache_hit_rate", r.cache_hit_rate}, {"cache_bytes_peak", r.cache_bytes_peak},
                                  {"cache_bytes_end", r.cache_bytes_end}, {"cache_bound_mb", o->cache_mb},
                                  {"evictions", r.evictions}, {"computed_inline", r.computed_inline},
                                  {"tokens", r.tokens}, {"docs_done", r.docs}});
      }
      out["schemas"].push_back(entry);
    }
    std::printf("\nengine thread per decode step, batch %lld, forward %.1f ms slept (workers 0: masks computed at "
                "sampling, as before the mask workers)\n", (long long)o->batch, o->forward_ms);
    std::printf("| schema | workers | forward ms | mask (compute or wait) us/step | advance + submit us/step | "
                "critical us/step (p99) | of the forward | engine-thread CPU us/step | cache hits | cache MB peak / bound | evictions | "
                "computed inline |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& l : step_rows) std::printf("%s\n", l.c_str());
    std::printf("%s\n", out.dump().c_str());
    if (!o->json_out.empty()) {
      std::ofstream f(o->json_out);
      f << out.dump(2) << "\n";
    }
    return 0;
  };
}

}  // namespace sunbae::app
