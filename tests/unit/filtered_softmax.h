#pragma once
// An independent statement of what a sampler should draw, for the distribution tests of the CPU
// and GPU samplers: softmax(l / T) in double, cut by top-k, top-p and min-p in that order. It
// knows nothing of the integer masses or threshold searches of kernels/sampling_rule.h, so it only
// agrees with them where no probability sits at a cut (the tests' logits keep every cut > 1% away).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace sunbae::test {

inline std::vector<double> filtered_softmax(const std::vector<float>& l, double T, int64_t top_k, double top_p,
                                            double min_p) {
  const size_t n = l.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return l[a] > l[b]; });
  const size_t k = top_k > 0 ? std::min(size_t(top_k), n) : n;
  std::vector<double> q(n, 0.0);
  double z = 0;
  for (size_t r = 0; r < k; ++r) z += q[order[r]] = std::exp((double(l[order[r]]) - l[order[0]]) / T);
  size_t keep = k;
  double mass = 0;
  for (size_t r = 0; r < k && top_p < 1.0; ++r)
    if ((mass += q[order[r]] / z) >= top_p) {
      keep = r + 1;
      break;
    }
  for (size_t r = 0; r < n; ++r)
    if (r >= keep || q[order[r]] < min_p * q[order[0]]) q[order[r]] = 0;
  const double kept = std::accumulate(q.begin(), q.end(), 0.0);
  for (double& x : q) x /= kept;
  return q;
}

// Pearson's chi-square of observed counts against probabilities, over the tokens with p > 0, and
// its number of degrees of freedom. A token drawn with p == 0 makes it infinite.
struct ChiSquare {
  double stat = 0;
  int df = -1;
};
inline ChiSquare chi_square(const std::vector<int64_t>& count, const std::vector<double>& p) {
  int64_t n = 0;
  for (int64_t c : count) n += c;
  ChiSquare r;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) {
      if (count[i]) r.stat = INFINITY;
      continue;
    }
    const double e = p[i] * double(n);
    r.stat += (double(count[i]) - e) * (double(count[i]) - e) / e;
    ++r.df;
  }
  return r;
}
// The chi-square value exceeded with probability 1e-4 (Wilson-Hilferty, within ~1% for df >= 2):
// a correct sampler fails the test with probability 1e-4 for a given seed.
inline double chi_square_limit(int df) {
  const double a = 2.0 / (9.0 * df), z = 3.719;
  return df * std::pow(1 - a + z * std::sqrt(a), 3);
}

}  // namespace sunbae::test
