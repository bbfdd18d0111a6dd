#include "model/cuda/nccl_communicator.h"

#include <cstdlib>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"

#ifdef SUNBAE_HAVE_NCCL
#include <nccl.h>

#define SUNBAE_NCCL_CHECK(expr)                                                                        \
  do {                                                                                                 \
    const ncclResult_t sunbae_nccl_ = (expr);                                                          \
    if (sunbae_nccl_ != ncclSuccess)                                                                   \
      ::sunbae::fail(__FILE__, ":", __LINE__, ": ", #expr, ": ", ncclGetErrorString(sunbae_nccl_), \
                     " (NCCL_DEBUG=WARN says more)");                                                 \
  } while (0)
#endif

namespace sunbae::model {

int visible_gpus() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

#ifdef SUNBAE_HAVE_NCCL
bool have_nccl() { return true; }

namespace {
ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::F32: return ncclFloat32;
    case DType::BF16: return ncclBfloat16;
    case DType::F16: return ncclFloat16;
    case DType::I32: return ncclInt32;
    case DType::I64: return ncclInt64;
    case DType::U8: return ncclUint8;
    case DType::I8: return ncclInt8;
    default: fail("NCCL: no collective over ", dtype_name(t));
  }
}

class Nccl : public NcclCommunicator {
 public:
  Nccl(ncclComm_t comm, int rank, int world) : comm_(comm), rank_(rank), world_(world) {}
  ~Nccl() override {
    if (comm_) ncclCommDestroy(comm_);
  }
  int rank() const override { return rank_; }
  int world() const override { return world_; }
  void set_stream(cudaStream_t s) override { stream_ = s; }

  void all_reduce_sum(void* buf, int64_t n, DType t) override {
    SUNBAE_CHECK(t == DType::F32 || t == DType::BF16, "all_reduce_sum: F32 or BF16, not ", dtype_name(t));
    SUNBAE_NCCL_CHECK(ncclAllReduce(buf, buf, size_t(n), nccl_type(t), ncclSum, comm_, stream_));
  }
  void all_gather(const void* send, void* recv, int64_t n, DType t) override {
    SUNBAE_NCCL_CHECK(ncclAllGather(send, recv, size_t(n), nccl_type(t), comm_, stream_));
  }
  void broadcast(void* buf, int64_t n, DType t, int root) override {
    SUNBAE_NCCL_CHECK(ncclBroadcast(buf, buf, size_t(n), nccl_type(t), root, comm_, stream_));
  }
  // A one-float all-reduce waited for on the host: no rank returns before all have entered.
  void barrier() override {
    if (!token_.size()) token_ = cuda::DeviceBuffer(4, "NCCL barrier token");
    all_reduce_sum(token_.get(), 1, DType::F32);
    SUNBAE_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void abort() {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
  }

 private:
  ncclComm_t comm_;
  int rank_, world_;
  cudaStream_t stream_ = nullptr;
  cuda::DeviceBuffer token_;
};
}  // namespace

NcclGroup::NcclGroup(int world) {
  const int gpus = visible_gpus();
  SUNBAE_CHECK(world >= 1 && world <= gpus, "--tensor-parallel ", world, " needs ", world, " GPUs; ", gpus,
               " visible (CUDA_VISIBLE_DEVICES=", std::getenv("CUDA_VISIBLE_DEVICES") ? std::getenv("CUDA_VISIBLE_DEVICES") : "unset",
               ")");
  setenv("NCCL_NVLS_ENABLE", "0", /*overwrite=*/0);
  std::vector<ncclComm_t> comms(size_t(world), nullptr);
  std::vector<int> devices(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) devices[size_t(r)] = r;
  SUNBAE_NCCL_CHECK(ncclCommInitAll(comms.data(), world, devices.data()));
  for (int r = 0; r < world; ++r) ranks_.push_back(std::make_unique<Nccl>(comms[size_t(r)], r, world));
}

void NcclGroup::abort() {
  for (auto& r : ranks_) static_cast<Nccl&>(*r).abort();
}
#else
bool have_nccl() { return false; }

NcclGroup::NcclGroup(int world) {
  fail("--tensor-parallel ", world, " on CUDA: this build has no NCCL (it was not found under the CUDA toolkit at "
       "configure time; install NCCL there and reconfigure)");
}

void NcclGroup::abort() {}
#endif

NcclGroup::~NcclGroup() = default;

}  // namespace sunbae::model
