#include "kernels/cpu/isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace sunbae::kernels::cpu {

Isa best_isa() {
  static const Isa best = [] {
#if defined(__x86_64__) && defined(SUNBAE_HAVE_AVX2_TU)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
      return Isa::Avx2;
#endif
    return Isa::Scalar;
  }();
  return best;
}

namespace {
std::atomic<Isa>& active() {
  // SUNBAE_CPU_ISA=scalar lets a user rule out the SIMD path when chasing a numeric issue.
  static std::atomic<Isa> isa{[] {
    const char* env = std::getenv("SUNBAE_CPU_ISA");
    return env && std::strcmp(env, "scalar") == 0 ? Isa::Scalar : best_isa();
  }()};
  return isa;
}
}  // namespace

Isa active_isa() { return active().load(std::memory_order_relaxed); }

void set_isa(Isa isa) {
  SUNBAE_CHECK(isa == Isa::Scalar || best_isa() == Isa::Avx2, "this CPU lacks ", isa_name(isa));
  active().store(isa);
}

const char* isa_name(Isa isa) { return isa == Isa::Avx2 ? "avx2+fma" : "scalar"; }

}  // namespace sunbae::kernels::cpu
