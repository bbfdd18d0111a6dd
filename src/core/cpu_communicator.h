#pragma once
// Communicator over the threads of one process: the ranks exchange pointers to their buffers and
// meet at a barrier. Every rank sums the same buffers in rank order 0, 1, ..., so the reduced
// values are bit-identical on all ranks and from run to run (what NCCL does not promise).
//
// A rank that fails calls abort(): ranks waiting at a barrier then throw instead of waiting for
// a peer that will never come.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "core/communicator.h"

namespace sunbae {

class CpuCommGroup {
 public:
  explicit CpuCommGroup(int world);
  ~CpuCommGroup();
  int world() const { return world_; }
  Communicator& rank(int r) { return *ranks_[size_t(r)]; }
  // Wakes every rank waiting in a collective with an Error; later collectives fail at once.
  void abort();

 private:
  friend class CpuCommunicator;
  void arrive();  // the barrier; throws once aborted
  int world_;
  std::vector<std::unique_ptr<Communicator>> ranks_;
  std::vector<const void*> slots_;  // each rank's published buffer for the current collective
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  uint64_t generation_ = 0;
  bool aborted_ = false;
};

}  // namespace sunbae
