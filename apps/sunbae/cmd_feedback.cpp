// sunbae feedback: structured feedback on one interview answer, or a JSONL batch of them, through
// the in-process engine with the JSON-schema mask (the same path as POST /v1/feedback).
#include <cstdio>
#include <random>

#include "commands.h"
#include "core/error.h"
#include "feedback_cli.h"
#include "text_model.h"

namespace sunbae::app {

using json = nlohmann::json;

Run add_feedback(CLI::App& app) {
  struct Opts {
    std::string model, question, question_id, answer, language, level, category, input, output, data_dir;
    bool json_out = false;
    double temperature = 0.0;
    int64_t seed = -1, max_tokens = 0, concurrency = 4, kv_cache_mb = 2048;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->model, "Model directory or GGUF file (default: the built-in SmolLM2-135M-Instruct)");
  auto* q = app.add_option("--question", o->question, "The interview question");
  auto* qid = app.add_option("--question-id", o->question_id, "A question of the bank (e.g. os-001) instead of --question");
  auto* a = app.add_option("--answer", o->answer, "The candidate's answer");
  app.add_option("--language", o->language, "ko or en (default: detected from the answer)");
  app.add_option("--level", o->level, "junior (default) or senior (adds the depth criterion)");
  app.add_option("--category", o->category, "Question category (os, network, database, ...)");
  app.add_flag("--json", o->json_out, "Print the response JSON instead of the readable report");
  app.add_option("--temperature", o->temperature, "0 is greedy")->capture_default_str();
  app.add_option("--seed", o->seed, "Sampling seed")->check(CLI::NonNegativeNumber);
  app.add_option("--max-tokens", o->max_tokens, "Cap on generated tokens (a document cut short is an error)")
      ->check(CLI::PositiveNumber);
  auto* in = app.add_option("--input", o->input, "Batch: JSONL file, one request body per line");
  auto* out = app.add_option("--output", o->output, "Batch: JSONL file for the results, one per input line");
  app.add_option("--concurrency", o->concurrency, "Batch: requests run at once")->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--kv-cache-mb", o->kv_cache_mb, "KV cache size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--data-dir", o->data_dir, "Read prompts and the question bank from this data/ folder");
  in->needs(out);
  out->needs(in);
  in->excludes(q)->excludes(qid)->excludes(a);
  return [o] {
    const bool batch = !o->input.empty();
    SUNBAE_CHECK(batch || !o->answer.empty(), "give --answer (with --question or --question-id), or --input and --output");
    const std::string path = model_or_default(o->model);
    FeedbackEngine fe = load_feedback_engine(path, o->data_dir, batch ? o->concurrency : 1, o->kv_cache_mb);
    if (batch) {
      const BatchSummary s = run_feedback_batch(fe, o->input, o->output, o->concurrency);
      std::fprintf(stderr, "feedback: %lld answers, %lld failures, %lld tokens in %.1f s (%.1f tok/s) -> %s\n",
                   (long long)s.count, (long long)s.failures, (long long)s.completion_tokens, s.wall_s,
                   s.wall_s > 0 ? double(s.completion_tokens) / s.wall_s : 0.0, o->output.c_str());
      return s.failures ? 1 : 0;
    }
    // The flags become the same request body the server takes, so both validate alike.
    json body = {{"answer", o->answer}, {"temperature", o->temperature}};
    if (!o->question.empty()) body["question"] = o->question;
    if (!o->question_id.empty()) body["question_id"] = o->question_id;
    if (!o->language.empty()) body["language"] = o->language;
    if (!o->level.empty()) body["level"] = o->level;
    if (!o->category.empty()) body["category"] = o->category;
    if (o->seed >= 0) body["seed"] = o->seed;
    if (o->max_tokens > 0) body["max_tokens"] = o->max_tokens;
    json r;
    try {
      char id[24];
      std::snprintf(id, sizeof id, "fb-%016llx", (unsigned long long)std::random_device{}() << 32 | std::random_device{}());
      r = run_feedback(fe, body, id);
    } catch (const feedback::InvalidRequest& e) {
      fail(e.param.empty() ? std::string() : "--" + e.param + ": ", e.what());
    } catch (const engine::RequestError& e) {
      fail(e.what());
    }
    if (o->json_out) std::printf("%s\n", r.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    else std::printf("%s", render_feedback(r).c_str());
    return 0;
  };
}

}  // namespace sunbae::app
