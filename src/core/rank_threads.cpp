#include "core/rank_threads.h"

#include "core/error.h"

namespace sunbae {

RankThreads::RankThreads(int world) {
  SUNBAE_CHECK(world >= 1, "rank threads: world size ", world, " < 1");
  for (int r = 0; r < world; ++r) threads_.emplace_back([this, r] { loop(r); });
}

RankThreads::~RankThreads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_work_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void RankThreads::run(const std::function<void(int)>& job, const std::function<void(int)>& on_error) {
  std::unique_lock<std::mutex> lock(mu_);
  job_ = &job;
  on_error_ = on_error ? &on_error : nullptr;
  error_ = nullptr;
  pending_ = world();
  ++epoch_;
  cv_work_.notify_all();
  cv_done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

void RankThreads::loop(int rank) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    const std::function<void(int)>* on_error;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_work_.wait(lock, [&] { return stop_ || epoch_ != seen; });
      if (stop_) return;
      seen = epoch_;
      job = job_;
      on_error = on_error_;
    }
    try {
      (*job)(rank);
    } catch (...) {
      {
        // Recorded before the peers are woken, so the cause wins over their "another rank failed".
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      if (on_error) {
        try {
          (*on_error)(rank);
        } catch (...) {
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) cv_done_.notify_all();
  }
}

}  // namespace sunbae
