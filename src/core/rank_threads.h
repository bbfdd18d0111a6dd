#pragma once
// One long-lived thread per tensor-parallel rank. A GPU rank's thread keeps its device current
// and its CUDA/NCCL state thread-local; a CPU rank's thread keeps its own OpenMP team. run()
// hands the same job to every rank and returns when all are done.
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sunbae {

class RankThreads {
 public:
  explicit RankThreads(int world);
  ~RankThreads();
  RankThreads(const RankThreads&) = delete;
  RankThreads& operator=(const RankThreads&) = delete;

  int world() const { return int(threads_.size()); }
  // Runs job(rank) on every rank's thread and waits for all. on_error(rank) runs on the failing
  // rank's thread as soon as it throws (abort the communicator there, so its peers stop waiting);
  // the first exception is rethrown here once every rank has returned.
  void run(const std::function<void(int)>& job, const std::function<void(int)>& on_error = {});

 private:
  void loop(int rank);
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::function<void(int)>* job_ = nullptr;
  const std::function<void(int)>* on_error_ = nullptr;
  uint64_t epoch_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace sunbae
