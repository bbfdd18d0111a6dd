#include "bench/membw.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace sunbae::bench {

double measure_read_gbps(int mib, int passes) {
  const size_t n = size_t(mib) * (1 << 20) / sizeof(uint64_t);
  std::vector<uint64_t> buf(n);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) buf[i] = i * 0x9e3779b97f4a7c15ull;  // first touch per thread
  double best = 0.0;
  volatile uint64_t sink = 0;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t s = 0;
    // Integer sums vectorise without reassociation concerns, so this is load-bound.
#pragma omp parallel for schedule(static) reduction(+ : s)
    for (size_t i = 0; i < n; ++i) s += buf[i];
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink = sink + s;
    best = std::max(best, double(n * sizeof(uint64_t)) / sec / 1e9);
  }
  return best;
}

}  // namespace sunbae::bench
