#pragma once
// Measured memory read bandwidth of this machine, all threads: the ceiling a batch-1 decode
// (which reads every weight once per token) can approach.
namespace sunbae::bench {

// Reads a buffer of `mib` MiB several times with every OpenMP thread; returns the best GB/s.
double measure_read_gbps(int mib = 1024, int passes = 5);

}  // namespace sunbae::bench
