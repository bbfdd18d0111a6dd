#pragma once
// vLLM v1-style scheduling: each step has a token budget shared by every sequence, with no
// separate prefill and decode phases. Running sequences go first in admission order, each taking
// what it still needs (one token when decoding, a chunk of its prompt when prefilling); when KV
// blocks run out the most recently admitted running sequence is preempted (its blocks released,
// to be recomputed later) and put back at the head of the waiting queue. Waiting sequences are
// then admitted first come first served — never skipping the head — while the budget, the
// running-sequence limit and the free blocks allow, each starting after its cached prefix.
//
// Invariants (tests/unit/test_scheduler.cpp): a sequence is in at most one of waiting/running;
// only running sequences hold blocks; a scheduled sequence's table covers the tokens it computes;
// the step's tokens never exceed the budget; running.size() <= max_num_seqs.
#include <cstdint>
#include <deque>
#include <vector>

#include "engine/sequence.h"
#include "kv/block_manager.h"

namespace sunbae::engine {

struct SchedulerConfig {
  int64_t max_num_seqs = 256;
  int64_t max_batch_tokens = 2048;  // tokens computed per step, over every sequence
  void validate() const;
};

struct ScheduledSeq {
  Sequence* seq = nullptr;
  int64_t num_tokens = 0;  // computes tokens [seq->num_computed, seq->num_computed + num_tokens)
};

struct SchedulerOutput {
  std::vector<ScheduledSeq> scheduled;
  std::vector<Sequence*> preempted;
  int64_t num_tokens = 0;
};

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, kv::BlockManager& blocks);

  void add(Sequence* seq);  // to the tail of the waiting queue
  SchedulerOutput schedule();
  // Removes a sequence from wherever it is and releases its blocks (finish, cancel, error).
  void remove(Sequence* seq);

  const std::deque<Sequence*>& waiting() const { return waiting_; }
  const std::vector<Sequence*>& running() const { return running_; }
  int64_t num_preemptions() const { return num_preemptions_; }
  const SchedulerConfig& config() const { return config_; }

 private:
  void preempt(Sequence* seq);

  SchedulerConfig config_;
  kv::BlockManager& blocks_;
  std::deque<Sequence*> waiting_;
  std::vector<Sequence*> running_;
  int64_t num_preemptions_ = 0;
};

}  // namespace sunbae::engine
