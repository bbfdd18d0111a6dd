#pragma once
// Which instruction set the CPU kernels use. Chosen once from what the CPU reports; tests
// switch it to compare the SIMD kernels against the scalar reference on the same inputs.
namespace sunbae::kernels::cpu {

enum class Isa { Scalar, Avx2 };

Isa best_isa();         // what this CPU supports
Isa active_isa();       // what the kernels use now (best_isa() unless overridden)
void set_isa(Isa isa);  // throws Error when the CPU lacks it
const char* isa_name(Isa isa);

}  // namespace sunbae::kernels::cpu
