#pragma once
// Collectives between the ranks of a tensor-parallel group, one endpoint per rank (NCCL's model:
// each rank calls the same collectives in the same order). Two implementations: host memory over
// threads of one process (cpu_communicator.h, the CPU backend and its tests) and NCCL over GPUs
// (model/cuda/nccl_communicator.h).
//
// Host endpoints take host pointers and return when the collective is done. Device endpoints take
// device pointers and enqueue on the CUDA stream bound to them, completing in stream order (so a
// decode step's collectives are captured into its CUDA graph with the kernels around them).
#include <cstdint>

#include "core/dtype.h"

namespace sunbae {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  // buf[i] = sum over ranks of buf[i], in place, on every rank. F32 or BF16 (bf16 summed in f32).
  virtual void all_reduce_sum(void* buf, int64_t n, DType t) = 0;
  // recv[r * n + i] = rank r's send[i]; recv holds world * n elements.
  virtual void all_gather(const void* send, void* recv, int64_t n, DType t) = 0;
  // Every rank's buf takes root's n elements (any plain dtype: bytes are copied).
  virtual void broadcast(void* buf, int64_t n, DType t, int root) = 0;
  virtual void barrier() = 0;
};

}  // namespace sunbae
