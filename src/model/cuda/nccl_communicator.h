#pragma once
// NCCL communicators for tensor parallelism over the GPUs of one host, one process, one thread
// per GPU: rank r is device r. Collectives take device pointers and are enqueued on the stream
// each rank binds (its CudaModel's step stream), so a captured decode graph holds them.
//
// Before the first communicator is made, NCCL_NVLS_ENABLE is set to 0 unless the user set it:
// NVLink SHARP (multicast) reserves memory and has hung initialisation on lent multi-GPU hosts.
// Built without NCCL (SUNBAE_HAVE_NCCL unset), NcclGroup's constructor throws an Error saying so.
#include <cuda_runtime.h>

#include <memory>
#include <vector>

#include "core/communicator.h"

namespace sunbae::model {

class NcclCommunicator : public Communicator {
 public:
  virtual void set_stream(cudaStream_t s) = 0;
};

class NcclGroup {
 public:
  // Communicators for devices 0 .. world - 1 (ncclCommInitAll). Throws Error when fewer GPUs are
  // visible, or the build has no NCCL.
  explicit NcclGroup(int world);
  ~NcclGroup();
  int world() const { return int(ranks_.size()); }
  NcclCommunicator& rank(int r) { return *ranks_[size_t(r)]; }
  // Aborts every communicator: a rank blocked in a collective whose peer failed returns.
  void abort();

 private:
  std::vector<std::unique_ptr<NcclCommunicator>> ranks_;
};

// Whether this build has NCCL, and the visible GPU count (0 when CUDA finds none).
bool have_nccl();
int visible_gpus();

}  // namespace sunbae::model
