#include "core/cpu_communicator.h"

#include <cstring>

#include "core/error.h"

namespace sunbae {

class CpuCommunicator : public Communicator {
 public:
  CpuCommunicator(CpuCommGroup& g, int rank) : g_(g), rank_(rank) {}
  int rank() const override { return rank_; }
  int world() const override { return g_.world_; }

  void all_reduce_sum(void* buf, int64_t n, DType t) override {
    SUNBAE_CHECK(t == DType::F32 || t == DType::BF16, "all_reduce_sum: F32 or BF16, not ", dtype_name(t));
    publish(buf);
    // Each rank sums all buffers itself, in rank order, into a private copy; nobody writes its
    // buffer until every rank has read them all (the second barrier).
    std::vector<float> sum(size_t(n), 0.f);
    for (int r = 0; r < g_.world_; ++r) {
      const void* src = g_.slots_[size_t(r)];
      if (t == DType::F32) {
        const float* s = static_cast<const float*>(src);
        for (int64_t i = 0; i < n; ++i) sum[size_t(i)] += s[i];
      } else {
        const uint16_t* s = static_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; ++i) sum[size_t(i)] += bf16_to_f32(s[i]);
      }
    }
    g_.arrive();
    if (t == DType::F32) {
      std::memcpy(buf, sum.data(), size_t(n) * 4);
    } else {
      uint16_t* d = static_cast<uint16_t*>(buf);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(sum[size_t(i)]);
    }
  }

  void all_gather(const void* send, void* recv, int64_t n, DType t) override {
    const size_t bytes = dtype_bytes(t, n);
    publish(send);
    for (int r = 0; r < g_.world_; ++r)
      std::memcpy(static_cast<char*>(recv) + size_t(r) * bytes, g_.slots_[size_t(r)], bytes);
    g_.arrive();
  }

  void broadcast(void* buf, int64_t n, DType t, int root) override {
    SUNBAE_CHECK(root >= 0 && root < g_.world_, "broadcast: root ", root, " outside 0..", g_.world_ - 1);
    publish(buf);
    if (rank_ != root) std::memcpy(buf, g_.slots_[size_t(root)], dtype_bytes(t, n));
    g_.arrive();
  }

  void barrier() override { g_.arrive(); }

 private:
  // The first barrier makes every rank's pointer visible; slots are rewritten only after the
  // previous collective's last barrier, which everyone has passed.
  void publish(const void* p) {
    g_.slots_[size_t(rank_)] = p;
    g_.arrive();
  }
  CpuCommGroup& g_;
  int rank_;
};

CpuCommGroup::CpuCommGroup(int world) : world_(world), slots_(size_t(world), nullptr) {
  SUNBAE_CHECK(world >= 1, "communicator: world size ", world, " < 1");
  for (int r = 0; r < world; ++r) ranks_.push_back(std::make_unique<CpuCommunicator>(*this, r));
}

CpuCommGroup::~CpuCommGroup() = default;

void CpuCommGroup::arrive() {
  std::unique_lock<std::mutex> lock(mu_);
  SUNBAE_CHECK(!aborted_, "tensor parallel: another rank failed");
  if (++waiting_ == world_) {
    waiting_ = 0;
    ++generation_;
    cv_.notify_all();
    return;
  }
  const uint64_t gen = generation_;
  cv_.wait(lock, [&] { return generation_ != gen || aborted_; });
  SUNBAE_CHECK(generation_ != gen, "tensor parallel: another rank failed");
}

void CpuCommGroup::abort() {
  std::lock_guard<std::mutex> lock(mu_);
  aborted_ = true;
  cv_.notify_all();
}

}  // namespace sunbae
