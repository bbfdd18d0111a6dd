#include "engine/engine.h"

#include <algorithm>
#include <climits>
#include <random>
#include <set>

#include "core/error.h"
#include "engine/generate.h"
#include "engine/token_choice.h"

namespace sunbae::engine {

using Clock = RequestTiming::Clock;

struct RequestState {
  uint64_t id = 0;
  Request req;
  std::shared_ptr<RequestStream> stream;
  std::vector<std::unique_ptr<Sequence>> seqs;
  RequestTiming timing;
  bool started = false;  // a sequence was admitted once
  bool got_token = false;
  int64_t open = 0;      // sequences not finished
  size_t max_stop_len = 0;
  std::vector<Clock::time_point> last_token;  // per choice, for inter-token latency
};

// --- RequestStream ---

void RequestStream::push(Event e) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (e.finish != FinishReason::None) --open_choices_;
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

bool RequestStream::next(std::vector<Event>& out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lk(mu_);
  if (!cv_.wait_for(lk, timeout, [&] { return !events_.empty(); })) return false;
  while (!events_.empty()) {
    out.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return true;
}

bool RequestStream::done() const {
  std::lock_guard<std::mutex> lk(mu_);
  return open_choices_ == 0 && events_.empty();
}

// --- Engine ---

Engine::Engine(std::unique_ptr<ModelRunner> runner, std::shared_ptr<const tok::Tokenizer> tokenizer,
               const EngineOptions& options)
    : runner_(std::move(runner)),
      tokenizer_(std::move(tokenizer)),
      options_(options),
      context_(options.max_model_len > 0
                   ? std::min(options.max_model_len, sunbae::engine::context_length(runner_->config()))
                   : sunbae::engine::context_length(runner_->config())),
      // Dynamic NTK rope: a block's K depends on the sequence length when it was computed, so
      // a cached block is not what another sequence would compute.
      blocks_(runner_->num_kv_blocks(),
              options.prefix_caching && runner_->config().rope.type != io::RopeType::Dynamic),
      scheduler_(options.scheduler, blocks_) {
  SUNBAE_CHECK(options.max_queue >= 1, "max-queue must be >= 1, got ", options.max_queue);
  stats_.kv_blocks = blocks_.num_blocks();
  thread_ = std::thread([this] { loop(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<RequestStream> Engine::submit(Request request) {
  using E = RequestError;
  if (!intake_open_) throw E(E::Unavailable, "the server is shutting down");
  const RequestParams& p = request.params;
  p.validate();
  const auto& prompt = request.prompt;
  if (prompt.empty()) throw E(E::Invalid, "the prompt is empty");
  const int64_t vocab = runner_->config().vocab_size;
  for (int32_t id : prompt)
    if (id < 0 || id >= vocab)
      throw E(E::Invalid, cat("token id ", id, " is outside the vocabulary (0..", vocab - 1, ")"));
  const int64_t total = int64_t(prompt.size()) + p.max_tokens;
  if (total > context_) {
    E e(E::Invalid, cat("This model's maximum context length is ", context_, " tokens. However, you requested ",
                        total, " tokens (", prompt.size(), " in the prompt, ", p.max_tokens,
                        " in the completion). Please reduce the prompt or max_tokens."));
    e.param = "max_tokens";
    throw e;
  }
  if (kv::blocks_for_tokens(total) > blocks_.num_blocks())
    throw E(E::Invalid, cat("the request needs ", kv::blocks_for_tokens(total), " KV blocks but the cache has ",
                            blocks_.num_blocks()));
  if (p.grammar && !tokenizer_) {
    E e(E::Invalid, "response_format needs a tokenizer and this model directory has none");
    e.param = "response_format";
    throw e;
  }
  if (!p.stop.empty() && !tokenizer_) {
    E e(E::Invalid, "stop strings need a tokenizer and this model directory has none; use stop_token_ids");
    e.param = "stop";
    throw e;
  }
  // Reserve a queue slot without a lock: undo when the queue was full.
  if (queued_.fetch_add(1) >= options_.max_queue) {
    --queued_;
    throw E(E::QueueFull, cat("the waiting queue is full (", options_.max_queue, " requests); retry later"));
  }

  auto st = std::make_unique<RequestState>();
  st->req = std::move(request);
  st->timing.arrival = Clock::now();
  st->stream = std::make_shared<RequestStream>();
  st->stream->prompt_tokens_ = int64_t(st->req.prompt.size());
  st->stream->n_ = st->req.params.n;
  st->stream->open_choices_ = st->req.params.n;
  for (const auto& s : st->req.params.stop) st->max_stop_len = std::max(st->max_stop_len, s.size());
  auto stream = st->stream;
  ++live_;
  {
    std::lock_guard<std::mutex> lk(mu_);
    st->id = next_request_id_++;
    stream->id_ = st->id;
    pending_.push_back(std::move(st));
  }
  cv_.notify_all();
  return stream;
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return stats_;
}

void Engine::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !pending_.empty() || !requests_.empty(); });
      if (stop_) break;
    }
    admit_pending();
    abort_cancelled();
    if (!requests_.empty()) step();
    update_gauges();
    // Finished requests leave only now, so that idle() implies the gauges are current.
    live_ -= int64_t(std::erase_if(requests_, [](const auto& kv) { return kv.second->open == 0; }));
  }
  // Shutting down: end whatever is still live so no client waits forever.
  admit_pending();
  for (auto& [id, st] : requests_)
    for (auto& s : st->seqs)
      if (s->status != Sequence::Status::Finished) finish_sequence(s.get(), FinishReason::Abort);
  live_ -= int64_t(requests_.size());
  requests_.clear();
}

void Engine::admit_pending() {
  std::vector<std::unique_ptr<RequestState>> fresh;
  {
    std::lock_guard<std::mutex> lk(mu_);
    fresh.swap(pending_);
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::vector<std::shared_ptr<grammar::MaskJob>> jobs;
  for (auto& st : fresh) {
    const auto& p = st->req.params;
    st->open = p.n;
    st->last_token.assign(size_t(p.n), Clock::time_point{});
    for (int64_t i = 0; i < p.n; ++i) {
      auto s = std::make_unique<Sequence>();
      s->id = next_seq_id_++;
      s->request = st.get();
      s->index = int32_t(i);
      s->tokens = st->req.prompt;
      s->prompt_len = int64_t(s->tokens.size());
      s->seed = p.sampling.seed ? *p.sampling.seed + uint64_t(i) : rng();
      if (tokenizer_) s->detok = std::make_unique<tok::IncrementalDetokenizer>(*tokenizer_, p.skip_special_tokens);
      if (p.grammar) {
        s->grammar = masker(p.grammar);
        s->gstate = std::make_unique<grammar::MatchState>(s->grammar->matcher().initial());
        s->next_mask = grammar::MaskPool::job(s->grammar, *s->gstate);
        jobs.push_back(s->next_mask);
      }
      scheduler_.add(s.get());
      st->seqs.push_back(std::move(s));
    }
    const uint64_t id = st->id;
    requests_.emplace(id, std::move(st));
  }
  if (mask_pool_) mask_pool_->start(jobs);
}

std::shared_ptr<grammar::GrammarMasker> Engine::masker(const std::shared_ptr<const grammar::Grammar>& g) {
  if (!vocab_) {
    vocab_ = std::make_shared<const grammar::TokenVocab>(
        grammar::TokenVocab::build(*tokenizer_, runner_->config().vocab_size, runner_->config().eos_token_ids));
    mask_cache_ = std::make_shared<grammar::MaskCache>(options_.grammar_cache_bytes);
    mask_pool_ = std::make_unique<grammar::MaskPool>(
        options_.grammar_workers < 0 ? grammar::MaskPool::default_workers() : options_.grammar_workers);
  }
  if (auto it = maskers_.find(g.get()); it != maskers_.end()) return it->second;
  // Kept while idle too, so a schema sent with every request keeps its cached masks; past 32
  // schemas those no sequence uses go (their masks age out of the shared cache). A mask job holds
  // its masker, so a masker dropped here lives until its last job is done.
  if (maskers_.size() >= 32) std::erase_if(maskers_, [](const auto& kv) { return kv.second.use_count() == 1; });
  return maskers_[g.get()] = std::make_shared<grammar::GrammarMasker>(g, vocab_, mask_cache_);
}

void Engine::abort_cancelled() {
  const bool all = abort_all_.exchange(false);
  for (auto& [id, st] : requests_)
    if (all || st->stream->cancelled())
      for (auto& s : st->seqs)
        if (s->status != Sequence::Status::Finished) finish_sequence(s.get(), FinishReason::Abort);
}

void Engine::emit(Sequence* s, std::vector<int32_t> ids, std::vector<TokenLogprob> lps, bool final) {
  RequestState& st = *s->request;
  const size_t hold = final ? 0 : (st.max_stop_len > 0 ? st.max_stop_len - 1 : 0);
  size_t limit = s->text.size() > hold ? s->text.size() - hold : 0;
  limit = std::max(limit, s->text_sent);
  // Never split a UTF-8 character when holding text back for a possible stop string.
  while (limit > s->text_sent && limit < s->text.size() && (uint8_t(s->text[limit]) & 0xC0) == 0x80) --limit;
  Event e;
  e.index = s->index;
  e.token_ids = std::move(ids);
  e.logprobs = std::move(lps);
  e.text = s->text.substr(s->text_sent, limit - s->text_sent);
  s->text_sent = limit;
  if (final) {
    e.finish = s->finish;
    e.stop_reason = s->stop_reason;
    e.cached_tokens = std::max<int64_t>(s->cached_prompt, 0);
  }
  st.stream->push(std::move(e));
}

void Engine::finish_sequence(Sequence* s, FinishReason reason, const std::string& error, std::vector<int32_t> ids,
                             std::vector<TokenLogprob> lps) {
  RequestState& st = *s->request;
  scheduler_.remove(s);
  if (s->next_mask) {
    grammar::MaskPool::cancel(*s->next_mask);
    s->next_mask.reset();
  }
  s->finish = reason;
  if (s->detok && s->stop_reason.empty() && reason != FinishReason::Abort) s->text += s->detok->finish();
  if (error.empty()) {
    emit(s, std::move(ids), std::move(lps), true);
  } else {
    Event e;
    e.index = s->index;
    e.finish = FinishReason::Abort;
    e.error = error;
    st.stream->push(std::move(e));
  }
  if (--st.open > 0) return;
  const auto now = Clock::now();
  if (!st.started) --queued_;
  std::lock_guard<std::mutex> lk(mu_);
  stats_.finished[error.empty() ? finish_reason_name(reason) : "error"]++;
  if (st.started) stats_.e2e.observe(std::chrono::duration<double>(now - st.timing.arrival).count());
}

void Engine::check_stop_strings(Sequence* s, size_t old_len) {
  const auto& stops = s->request->req.params.stop;
  size_t best = std::string::npos, best_len = 0;
  for (const auto& stop : stops) {
    if (stop.empty()) continue;
    const size_t from = old_len >= stop.size() - 1 ? old_len - (stop.size() - 1) : 0;
    const size_t at = s->text.find(stop, from);
    if (at != std::string::npos && at < best) best = at, best_len = stop.size(), s->stop_reason = stop;
  }
  if (best == std::string::npos) return;
  s->text.resize(s->request->req.params.include_stop_str_in_output ? best + best_len : best);
  s->finish = FinishReason::Stop;
}

void Engine::process_token(Sequence* s, int32_t token, TokenLogprob lp, Clock::time_point now) {
  RequestState& st = *s->request;
  const RequestParams& p = st.req.params;
  s->tokens.push_back(token);
  std::vector<TokenLogprob> lps;
  if (p.logprobs >= 0) lps.push_back(std::move(lp));
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++stats_.generation_tokens;
    auto& last = st.last_token[size_t(s->index)];
    if (last != Clock::time_point{}) stats_.itl.observe(std::chrono::duration<double>(now - last).count());
    last = now;
    if (!st.got_token) {
      st.got_token = true;
      st.timing.first_token = now;
      stats_.ttft.observe(std::chrono::duration<double>(now - st.timing.arrival).count());
    }
  }
  const bool past_min = s->output_len() >= p.min_tokens;
  const auto& eos = runner_->config().eos_token_ids;
  FinishReason reason = FinishReason::None;
  if (past_min && !p.ignore_eos && std::find(eos.begin(), eos.end(), token) != eos.end()) {
    reason = FinishReason::Stop;
  } else if (past_min && std::find(p.stop_token_ids.begin(), p.stop_token_ids.end(), token) != p.stop_token_ids.end()) {
    reason = FinishReason::Stop;
    s->stop_reason = std::to_string(token);
  } else if (s->detok && token < tokenizer_->vocab_size()) {
    // Ids past the tokenizer's vocabulary (models pad theirs) have no text.
    const size_t old_len = s->text.size();
    s->text += s->detok->push(token);
    if (past_min && !p.stop.empty()) {
      check_stop_strings(s, old_len);
      reason = s->finish;
    }
  }
  // A closed document admits no further token: the choice ends here, as at EOS.
  if (reason == FinishReason::None && s->gstate && grammar::JsonMatcher::finished(*s->gstate)) reason = FinishReason::Stop;
  if (reason == FinishReason::None && s->output_len() >= p.max_tokens) reason = FinishReason::Length;
  // The last token travels with the finish reason, as OpenAI's last chunk carries both.
  if (reason == FinishReason::None) emit(s, {token}, std::move(lps), false);
  else finish_sequence(s, reason, {}, {token}, std::move(lps));
}

void Engine::step() {
  SchedulerOutput out = scheduler_.schedule();
  if (out.scheduled.empty()) {
    // Only a waiting head that can never fit gets here (submit rules that out): fail it rather
    // than spin.
    if (scheduler_.running().empty() && !scheduler_.waiting().empty())
      finish_sequence(scheduler_.waiting().front(), FinishReason::Abort, "the request does not fit in the KV cache");
    return;
  }
  model::Batch batch;
  batch.seqs.reserve(out.scheduled.size());
  const auto now0 = Clock::now();
  for (const ScheduledSeq& ss : out.scheduled) {
    Sequence* s = ss.seq;
    RequestState& st = *s->request;
    if (!st.started) {
      st.started = true;
      st.timing.first_scheduled = now0;
      --queued_;
      std::lock_guard<std::mutex> lk(mu_);
      stats_.prompt_tokens += s->prompt_len;
      stats_.queue.observe(std::chrono::duration<double>(now0 - st.timing.arrival).count());
    }
    model::SequenceStep step;
    step.tokens.assign(s->tokens.begin() + s->num_computed, s->tokens.begin() + s->num_computed + ss.num_tokens);
    step.start_pos = s->num_computed;
    step.blocks = &s->kv.blocks;
    if (s->num_computed + ss.num_tokens == int64_t(s->tokens.size())) step.logit_rows = {int32_t(ss.num_tokens - 1)};
    batch.seqs.push_back(std::move(step));
  }
  // Rows whose choice needs nothing but the sampler's rule may be drawn on the device; one row
  // that needs the host (grammar mask, logprobs, penalty, min_tokens masking) takes the whole
  // step there.
  bool on_device = runner_->samples_on_device();
  std::vector<DeviceDraw> draws;
  for (const ScheduledSeq& ss : out.scheduled) {
    const Sequence* s = ss.seq;
    if (!on_device || s->num_computed + ss.num_tokens != int64_t(s->tokens.size())) continue;
    const RequestParams& p = s->request->req.params;
    if (s->grammar || p.logprobs >= 0 || p.repetition_penalty != 1.0 || s->output_len() < p.min_tokens) {
      on_device = false;
      break;
    }
    const SamplingParams& sp = p.sampling;
    draws.push_back({float(sp.temperature), int32_t(std::min<int64_t>(sp.top_k, INT32_MAX)), float(sp.top_p),
                     float(sp.min_p), s->seed, uint64_t(s->output_len())});
  }
  on_device = on_device && !draws.empty();
  model::Logits logits;
  std::vector<int32_t> drawn;
  if (options_.step_delay.count() > 0) std::this_thread::sleep_for(options_.step_delay);
  try {
    if (on_device)
      drawn = runner_->forward_sample(batch, draws);
    else
      logits = runner_->forward(batch);
  } catch (const std::exception& e) {
    for (const ScheduledSeq& ss : out.scheduled)
      if (ss.seq->status != Sequence::Status::Finished)
        finish_sequence(ss.seq, FinishReason::Abort, cat("the model failed: ", e.what()));
    return;
  }
  const auto now = Clock::now();
  int64_t row = 0;
  double mask_seconds = 0;
  int64_t masks = 0;
  std::vector<std::shared_ptr<grammar::MaskJob>> jobs;
  const auto& eos = runner_->config().eos_token_ids;
  for (const ScheduledSeq& ss : out.scheduled) {
    Sequence* s = ss.seq;
    s->num_computed += ss.num_tokens;
    blocks_.commit(s->kv, s->tokens, s->num_computed);
    if (s->num_computed < int64_t(s->tokens.size())) continue;
    if (on_device) {
      const int32_t t = drawn[size_t(row++)];
      if (t < 0)
        finish_sequence(s, FinishReason::Abort, "sampling failed: a logit is NaN");
      else
        process_token(s, t, {}, now);
      continue;
    }
    const RequestParams& p = s->request->req.params;
    TokenChoiceInput in{logits.row(row++), logits.vocab, &s->tokens, s->output_len(), s->seed, &eos};
    try {
      std::shared_ptr<const grammar::TokenMask> mask;
      if (s->grammar) {
        // Started when the step that sampled the previous token ended (or at admission), so a
        // worker has usually finished it during this step's forward.
        const auto t0 = Clock::now();
        mask = s->next_mask ? mask_pool_->wait(*s->next_mask) : s->grammar->get(*s->gstate);
        mask_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        ++masks;
        s->next_mask.reset();
        in.allowed = mask.get();
      }
      TokenChoice c = choose_token(in, p);
      if (s->grammar && !s->grammar->is_eos(c.token))
        SUNBAE_CHECK(s->grammar->advance(*s->gstate, c.token), "the grammar refused token ", c.token);
      process_token(s, c.token, std::move(c.logprob), now);
      // The next mask: the workers start on it when this step's tokens are all sampled, and it
      // overlaps the next forward.
      if (s->grammar && s->status != Sequence::Status::Finished) {
        s->next_mask = grammar::MaskPool::job(s->grammar, *s->gstate);
        jobs.push_back(s->next_mask);
      }
    } catch (const std::exception& e) {
      finish_sequence(s, FinishReason::Abort, cat("sampling failed: ", e.what()));
    }
  }
  if (mask_pool_) mask_pool_->start(jobs);
  if (masks > 0) {
    std::lock_guard<std::mutex> lk(mu_);
    stats_.grammar_mask_seconds += mask_seconds;
    stats_.grammar_masks += masks;
  }
}

void Engine::update_gauges() {
  std::set<const RequestState*> running;
  for (const Sequence* s : scheduler_.running()) running.insert(s->request);
  std::set<const RequestState*> waiting;
  for (const Sequence* s : scheduler_.waiting())
    if (!s->request->started) waiting.insert(s->request);
  std::lock_guard<std::mutex> lk(mu_);
  stats_.num_running = int64_t(running.size());
  stats_.num_waiting = int64_t(waiting.size()) + int64_t(pending_.size());
  stats_.kv_usage = blocks_.usage();
  stats_.prefix_queries = blocks_.stats().queries;
  stats_.prefix_hits = blocks_.stats().hits;
  stats_.preemptions = scheduler_.num_preemptions();
  stats_.grammar_cache_bytes = mask_cache_ ? int64_t(mask_cache_->bytes()) : 0;
}

}  // namespace sunbae::engine
