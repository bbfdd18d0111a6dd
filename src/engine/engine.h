#pragma once
// The serving engine: one loop thread owns the model runner, the KV blocks and the scheduler, and
// runs one batched step after another while there is work. Clients submit requests from any
// thread and read per-choice events from the request's stream. Knows nothing of HTTP.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/metrics.h"
#include "engine/model_runner.h"
#include "engine/request.h"
#include "engine/scheduler.h"
#include "grammar/mask_pool.h"
#include "grammar/token_mask.h"
#include "kv/block_manager.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::engine {

struct EngineOptions {
  SchedulerConfig scheduler;
  int64_t max_queue = 1024;  // requests queued and not yet admitted before submit refuses
  bool prefix_caching = true;
  // Longest prompt + output served; 0: the model's own context (max_position_embeddings). Smaller
  // keeps per-sequence block tables (and the GPU's step metadata) short.
  int64_t max_model_len = 0;
  // Added to every step: makes a tiny test model as slow as a real one, so tests can catch a
  // request in flight (disconnects, drains). Zero in production.
  std::chrono::milliseconds step_delay{0};
  // Constrained decoding: threads computing the next step's masks while the model runs (-1: half
  // the cores, 1 to 8; 0: each mask computed on the engine thread when its token is sampled), and
  // the byte bound on the masks cached over every schema.
  int grammar_workers = -1;
  size_t grammar_cache_bytes = grammar::MaskCache::kDefaultBytes;
};

struct Request {
  std::vector<int32_t> prompt;
  RequestParams params;
};

// A submitted request's events, filled by the engine loop and read by the client.
class RequestStream {
 public:
  // Moves the events that arrived into `out`, waiting up to `timeout` for the first one. Returns
  // false when nothing came in time.
  bool next(std::vector<Event>& out, std::chrono::milliseconds timeout);
  // Every choice has sent its final event and the client has read it.
  bool done() const;
  // The engine ends every choice with FinishReason::Abort at its next step, freeing its blocks.
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  int64_t prompt_tokens() const { return prompt_tokens_; }
  int64_t n() const { return n_; }
  uint64_t id() const { return id_; }

 private:
  friend class Engine;
  void push(Event e);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  int64_t open_choices_ = 0;
  std::atomic<bool> cancelled_{false};
  int64_t prompt_tokens_ = 0;
  int64_t n_ = 1;
  uint64_t id_ = 0;
};

struct RequestState;

class Engine {
 public:
  // tokenizer may be null: prompts are then token ids only, and text fields stay empty.
  Engine(std::unique_ptr<ModelRunner> runner, std::shared_ptr<const tok::Tokenizer> tokenizer,
         const EngineOptions& options);
  ~Engine();  // stops the loop; requests still live end with FinishReason::Abort
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Throws RequestError: Invalid for a bad prompt or parameters (incl. prompt + max_tokens over
  // the context, or more KV than the whole cache), QueueFull, Unavailable after stop_intake().
  std::shared_ptr<RequestStream> submit(Request request);
  void stop_intake() { intake_open_ = false; }
  // Ends every live request with FinishReason::Abort at the next step (a drain that timed out).
  void abort_all() {
    abort_all_ = true;
    cv_.notify_all();
  }
  bool idle() const { return live_ == 0; }

  EngineStats stats() const;
  const io::ModelConfig& config() const { return runner_->config(); }
  int64_t context_length() const { return context_; }
  const tok::Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const EngineOptions& options() const { return options_; }

 private:
  void loop();
  void admit_pending();
  void abort_cancelled();
  void step();
  void update_gauges();
  void finish_sequence(Sequence* s, FinishReason reason, const std::string& error = {},
                       std::vector<int32_t> ids = {}, std::vector<TokenLogprob> lps = {});
  void emit(Sequence* s, std::vector<int32_t> ids, std::vector<TokenLogprob> lps, bool final);
  void process_token(Sequence* s, int32_t token, TokenLogprob lp, RequestTiming::Clock::time_point now);
  void check_stop_strings(Sequence* s, size_t old_len);
  std::shared_ptr<grammar::GrammarMasker> masker(const std::shared_ptr<const grammar::Grammar>& g);

  std::unique_ptr<ModelRunner> runner_;
  std::shared_ptr<const tok::Tokenizer> tokenizer_;
  EngineOptions options_;
  int64_t context_ = 0;
  kv::BlockManager blocks_;
  Scheduler scheduler_;

  mutable std::mutex mu_;  // guards pending_, stats_, stop_
  std::condition_variable cv_;
  std::vector<std::unique_ptr<RequestState>> pending_;
  EngineStats stats_;
  bool stop_ = false;
  std::atomic<bool> intake_open_{true};
  std::atomic<bool> abort_all_{false};
  std::atomic<int64_t> queued_{0};  // submitted, no sequence admitted yet
  std::atomic<int64_t> live_{0};    // submitted, not finished
  uint64_t next_request_id_ = 1;
  int64_t next_seq_id_ = 1;

  std::map<uint64_t, std::unique_ptr<RequestState>> requests_;  // loop thread only
  // Constrained decoding, loop thread only: the vocabulary's token bytes (built at the first
  // grammar request), one masker per schema over one byte-bounded cache, so a batch with one
  // schema shares cached masks, and the workers computing next-step masks during the forward
  // (started with the first grammar request too).
  std::shared_ptr<const grammar::TokenVocab> vocab_;
  std::shared_ptr<grammar::MaskCache> mask_cache_;
  std::unique_ptr<grammar::MaskPool> mask_pool_;
  std::map<const grammar::Grammar*, std::shared_ptr<grammar::GrammarMasker>> maskers_;
  std::thread thread_;
};

}  // namespace sunbae::engine
