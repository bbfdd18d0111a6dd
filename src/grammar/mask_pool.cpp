#include "grammar/mask_pool.h"

#include <algorithm>
#include <chrono>

namespace sunbae::grammar {

void MaskJob::run() {
  try {
    result_ = masker_->get(state_);
  } catch (...) {
    error_ = std::current_exception();
  }
  {
    // Under the lock, so a waiter between its check and its sleep cannot miss the wake-up.
    std::lock_guard<std::mutex> lk(mu_);
    phase_.store(Done, std::memory_order_release);
  }
  cv_.notify_all();
}

int MaskPool::default_workers() {
  const int cores = int(std::thread::hardware_concurrency());
  return std::clamp(cores / 2, 1, 8);
}

MaskPool::MaskPool(int workers) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

MaskPool::~MaskPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::shared_ptr<MaskJob> MaskPool::job(std::shared_ptr<const GrammarMasker> masker, const MatchState& state) {
  return std::make_shared<MaskJob>(std::move(masker), state);
}

void MaskPool::start(const std::vector<std::shared_ptr<MaskJob>>& jobs) {
  if (threads_.empty() || jobs.empty()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.insert(queue_.end(), jobs.begin(), jobs.end());
  }
  if (jobs.size() == 1) cv_.notify_one();
  else cv_.notify_all();
}

void MaskPool::work() {
  for (;;) {
    std::shared_ptr<MaskJob> job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (job->claim(false)) job->run();
  }
}

std::shared_ptr<const TokenMask> MaskPool::wait(MaskJob& job) {
  if (job.claim(true)) {
    inline_.fetch_add(1, std::memory_order_relaxed);
    job.run();
  } else if (!job.done()) {
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lk(job.mu_);
    job.cv_.wait(lk, [&] { return job.done(); });
    waited_ns_.fetch_add(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now() - t0).count()),
                         std::memory_order_relaxed);
  }
  if (job.error_) std::rethrow_exception(job.error_);
  return job.result_;
}

void MaskPool::cancel(MaskJob& job) {
  int q = MaskJob::Queued;
  job.phase_.compare_exchange_strong(q, MaskJob::Cancelled, std::memory_order_acq_rel);
}

}  // namespace sunbae::grammar
