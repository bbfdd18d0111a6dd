#include "engine/scheduler.h"

#include <algorithm>

#include "core/error.h"

namespace sunbae::engine {

void SchedulerConfig::validate() const {
  SUNBAE_CHECK(max_num_seqs >= 1, "max-num-seqs must be >= 1, got ", max_num_seqs);
  SUNBAE_CHECK(max_batch_tokens >= 1, "max-batch-tokens must be >= 1, got ", max_batch_tokens);
}

Scheduler::Scheduler(const SchedulerConfig& config, kv::BlockManager& blocks) : config_(config), blocks_(blocks) {
  config_.validate();
}

void Scheduler::add(Sequence* seq) {
  seq->status = Sequence::Status::Waiting;
  waiting_.push_back(seq);
}

void Scheduler::preempt(Sequence* seq) {
  blocks_.release(seq->kv);
  seq->num_computed = 0;
  seq->status = Sequence::Status::Waiting;
  ++seq->num_preemptions;
  ++num_preemptions_;
  waiting_.push_front(seq);
}

SchedulerOutput Scheduler::schedule() {
  SchedulerOutput out;
  int64_t budget = config_.max_batch_tokens;

  for (size_t i = 0; i < running_.size() && budget > 0;) {
    Sequence* s = running_[i];
    const int64_t n = std::min(s->num_uncomputed(), budget);
    bool ok = false;
    for (;;) {
      if (blocks_.reserve(s->kv, s->num_computed + n)) {
        ok = true;
        break;
      }
      // The latest admitted is the lowest priority, and it is never ahead of s in this loop.
      Sequence* victim = running_.back();
      running_.pop_back();
      preempt(victim);
      out.preempted.push_back(victim);
      if (victim == s) break;
    }
    if (!ok) break;
    out.scheduled.push_back({s, n});
    budget -= n;
    ++i;
  }

  // A step that had to preempt admits nobody: the blocks are short already.
  while (out.preempted.empty() && !waiting_.empty() && budget > 0 &&
         int64_t(running_.size()) < config_.max_num_seqs) {
    Sequence* s = waiting_.front();
    const int64_t cached = blocks_.acquire_prefix(s->kv, s->tokens);
    const int64_t n = std::min(int64_t(s->tokens.size()) - cached, budget);
    if (!blocks_.reserve(s->kv, cached + n)) {
      blocks_.release(s->kv);
      break;
    }
    blocks_.note_lookup(int64_t(s->tokens.size()), cached);
    s->num_computed = cached;
    if (s->cached_prompt < 0) s->cached_prompt = cached;
    s->status = Sequence::Status::Running;
    waiting_.pop_front();
    running_.push_back(s);
    out.scheduled.push_back({s, n});
    budget -= n;
  }
  out.num_tokens = config_.max_batch_tokens - budget;
  return out;
}

void Scheduler::remove(Sequence* seq) {
  if (auto it = std::find(running_.begin(), running_.end(), seq); it != running_.end()) running_.erase(it);
  if (auto it = std::find(waiting_.begin(), waiting_.end(), seq); it != waiting_.end()) waiting_.erase(it);
  blocks_.release(seq->kv);
  seq->status = Sequence::Status::Finished;
}

}  // namespace sunbae::engine
