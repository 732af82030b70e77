#include "glass/util/particle_scalars.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace glass {

namespace {
bool all_same(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double e) { return e == v.front(); });
}
}  // namespace

torch::Tensor scaled_sum(const std::vector<double>& a, const torch::Tensor& x, const std::vector<double>& b,
                         const torch::Tensor& y) {
  if (!a.empty() && !b.empty() && all_same(a) && all_same(b)) return torch::add(x.mul(a.front()), y, b.front());
  return torch::addcmul(broadcastable(a, x) * x, broadcastable(b, x), y);
}

std::vector<double> particle_values(const torch::Tensor& t, int64_t n, const char* what) {
  if (!t.defined()) throw std::invalid_argument(std::string(what) + " is undefined");
  const torch::Tensor flat = t.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
  if (flat.numel() != 1 && flat.numel() != n)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(flat.numel()) + " entries for " +
                                std::to_string(n) + " particles");
  const double* p = flat.data_ptr<double>();
  if (flat.numel() == 1) return std::vector<double>(static_cast<size_t>(n), p[0]);
  return std::vector<double>(p, p + n);
}

torch::Tensor broadcastable(const std::vector<double>& values, const torch::Tensor& x) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = static_cast<int64_t>(values.size());
  torch::Tensor c =
      torch::from_blob(const_cast<double*>(values.data()), {static_cast<int64_t>(values.size())}, torch::kFloat64);
  // Always copy: for float64 CPU x a plain .to() would alias `values`, which autograd may keep.
  return c.to(x.device(), x.scalar_type(), /*non_blocking=*/false, /*copy=*/true).reshape(shape);
}

torch::Tensor times_tensor(const std::vector<double>& values) { return torch::tensor(values, torch::kFloat64); }

torch::Tensor full_times(int64_t n, double t) { return torch::full({n}, t, torch::kFloat64); }

}  // namespace glass
