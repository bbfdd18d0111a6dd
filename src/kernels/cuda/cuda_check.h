#pragma once
// CUDA errors become sunbae::Error with the call site, so an out-of-memory or a bad launch is a
// clear message, never a crash or a silently wrong result.
#include <cuda_runtime.h>

#include "core/error.h"

#define SUNBAE_CUDA_CHECK(expr)                                                           \
  do {                                                                                    \
    const cudaError_t sunbae_err_ = (expr);                                               \
    if (sunbae_err_ != cudaSuccess)                                                       \
      ::sunbae::fail(__FILE__, ":", __LINE__, ": ", #expr, ": ", cudaGetErrorString(sunbae_err_)); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, not at the next sync.
#define SUNBAE_CUDA_CHECK_LAUNCH() SUNBAE_CUDA_CHECK(cudaGetLastError())
