#pragma once
// Programmatic dependent launch (Hopper, sm_90+): a kernel launched with launch_pdl may start
// while the kernel before it in the stream is still finishing, so its blocks are resident and
// can issue loads that do not depend on that kernel (decode GEMVs prefetch their weights) while
// the previous kernel's last wave drains. The rule every such kernel follows:
//   - pdl_wait() before it reads anything an earlier kernel wrote, and before it writes anything
//     (an earlier kernel may still be reading it);
//   - pdl_trigger() once it has waited, so the next kernel can start early; a kernel that never
//     triggers lets the next one start as its blocks exit.
// Kernels launched without the attribute (cuBLASLt, memcpy nodes) keep plain stream order. On
// devices before sm_90 both calls compile to nothing and launch_pdl is a plain launch.
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_check.h"

namespace sunbae::cuda {

__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// Whether the current device overlaps dependent launches (compute capability 9.0 or newer), and
// whether it is switched on (SUNBAE_PDL=0 turns it off, for timing it against plain launches).
bool pdl_enabled();

template <class... KArgs, class... Args>
void launch_pdl(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t smem, cudaStream_t s, Args&&... args) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = s;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = pdl_enabled() ? 1 : 0;
  SUNBAE_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, static_cast<KArgs>(std::forward<Args>(args))...));
}

}  // namespace sunbae::cuda
