#include "glass/stats/frechet_distance.h"

#include <stdexcept>

#include "glass/stats/energy_distance.h"

namespace glass {

torch::Tensor sqrtm_psd(const torch::Tensor& a_in) {
  const torch::Tensor a = a_in.to(torch::kCPU, torch::kFloat64);
  if (a.dim() != 2 || a.size(0) != a.size(1)) throw std::invalid_argument("sqrtm: need a square matrix");
  const auto [values, vectors] = torch::linalg_eigh(0.5 * (a + a.t()));
  return vectors.matmul(torch::diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
}

double frechet_distance(const torch::Tensor& mean1, const torch::Tensor& cov1, const torch::Tensor& mean2,
                        const torch::Tensor& cov2) {
  const torch::Tensor m1 = mean1.to(torch::kFloat64), m2 = mean2.to(torch::kFloat64);
  const torch::Tensor c1 = cov1.to(torch::kFloat64), c2 = cov2.to(torch::kFloat64);
  if (m1.sizes() != m2.sizes() || c1.sizes() != c2.sizes() || c1.size(0) != m1.numel())
    throw std::invalid_argument("frechet distance: mismatched means or covariances");
  const torch::Tensor s1 = sqrtm_psd(c1);
  // tr((C1^1/2 C2 C1^1/2)^1/2) = sum of square roots of its (PSD) eigenvalues.
  const torch::Tensor inner = s1.matmul(c2).matmul(s1);
  const double cross = torch::linalg_eigvalsh(0.5 * (inner + inner.t())).clamp_min(0).sqrt().sum().item<double>();
  const double d = (m1 - m2).pow(2).sum().item<double>() + (c1.trace() + c2.trace()).item<double>() - 2.0 * cross;
  return std::max(0.0, d);
}

double frechet_distance(const torch::Tensor& f1, const torch::Tensor& f2) {
  if (f1.dim() != 2 || f2.dim() != 2 || f1.size(1) != f2.size(1) || f1.size(0) < 2 || f2.size(0) < 2)
    throw std::invalid_argument("frechet distance: need two [N >= 2, d] feature sets of the same d");
  const Moments a = moments(f1), b = moments(f2);
  return frechet_distance(a.mean, a.cov, b.mean, b.cov);
}

}  // namespace glass
