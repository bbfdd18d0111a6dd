#pragma once
// Next-step token masks computed off the engine thread. A sequence's mask for its next token
// depends only on its automaton state after the token just sampled, known before the next forward
// starts, so the engine hands each such state to this pool right after sampling and the workers
// compute the masks (in parallel, through the shared cache) while the model runs. At sampling time
// the engine waits only for a mask not done yet, or computes it itself when no worker has taken it.
// The mask is a function of the state alone, so the tokens are the same as computing it inline.
//
// A job owns copies of everything it reads (the state, the masker), so a sequence that finishes,
// is cancelled or preempted while its job is queued or running can simply drop it.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grammar/token_mask.h"

namespace sunbae::grammar {

class MaskJob {
 public:
  MaskJob(std::shared_ptr<const GrammarMasker> masker, const MatchState& state) : masker_(std::move(masker)) {
    state_.copy_from(state);
  }
  bool done() const { return phase_.load(std::memory_order_acquire) == Done; }

 private:
  friend class MaskPool;
  enum Phase : int { Queued, Running, Done, Cancelled };
  // Queued (or, for a waiter, cancelled) -> Running: true for exactly one caller.
  bool claim(bool even_cancelled) {
    int q = Queued;
    if (phase_.compare_exchange_strong(q, Running, std::memory_order_acq_rel)) return true;
    return even_cancelled && q == Cancelled && phase_.compare_exchange_strong(q, Running, std::memory_order_acq_rel);
  }
  void run();

  std::shared_ptr<const GrammarMasker> masker_;
  MatchState state_;
  std::atomic<int> phase_{Queued};
  std::shared_ptr<const TokenMask> result_;
  std::exception_ptr error_;
  std::mutex mu_;
  std::condition_variable cv_;
};

class MaskPool {
 public:
  // Half the cores, 1 to 8: the other half runs the engine thread and the forward's host work.
  static int default_workers();
  // workers == 0: no threads; every mask is computed by the caller of wait() (no overlap).
  explicit MaskPool(int workers);
  ~MaskPool();  // drops queued jobs; joins the workers
  MaskPool(const MaskPool&) = delete;
  MaskPool& operator=(const MaskPool&) = delete;

  int workers() const { return int(threads_.size()); }
  // A job for the state, not started: start() hands it to the workers (or wait() computes it).
  static std::shared_ptr<MaskJob> job(std::shared_ptr<const GrammarMasker> masker, const MatchState& state);
  // Queues a step's jobs at once: one lock and at most one wake-up per worker, so the engine
  // thread is not preempted by a woken worker after every sampled token on a busy machine.
  void start(const std::vector<std::shared_ptr<MaskJob>>& jobs);
  std::shared_ptr<MaskJob> submit(std::shared_ptr<const GrammarMasker> masker, const MatchState& state) {
    auto j = job(std::move(masker), state);
    start({j});
    return j;
  }
  // The job's mask: computed here if no worker has started it, else waited for. Rethrows what the
  // computation threw.
  std::shared_ptr<const TokenMask> wait(MaskJob& job);
  // A queued job is skipped; a running one finishes and its mask is dropped with the job.
  static void cancel(MaskJob& job);

  // Time callers spent blocked in wait() on a worker's job, and jobs they computed themselves.
  double waited_seconds() const { return double(waited_ns_.load(std::memory_order_relaxed)) * 1e-9; }
  uint64_t computed_inline() const { return inline_.load(std::memory_order_relaxed); }

 private:
  void work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<MaskJob>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> waited_ns_{0}, inline_{0};
};

}  // namespace sunbae::grammar
