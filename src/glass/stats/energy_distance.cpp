#include "glass/stats/energy_distance.h"

#include <stdexcept>

namespace glass {

namespace {
// Mean pairwise Euclidean distance, in row blocks to bound memory.
double mean_pairwise_distance(const torch::Tensor& a, const torch::Tensor& b) {
  constexpr int64_t kBlock = 2048;
  double total = 0.0;
  for (int64_t i = 0; i < a.size(0); i += kBlock) {
    const torch::Tensor blk = a.narrow(0, i, std::min(kBlock, a.size(0) - i));
    total += torch::cdist(blk, b).sum().item<double>();
  }
  return total / (static_cast<double>(a.size(0)) * static_cast<double>(b.size(0)));
}
}  // namespace

double energy_distance(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  if (x_in.dim() < 1 || y_in.dim() < 1 || x_in.size(0) < 1 || y_in.size(0) < 1)
    throw std::invalid_argument("energy distance: empty sample");
  const torch::Tensor x = x_in.detach().to(torch::kCPU, torch::kFloat64).reshape({x_in.size(0), -1});
  const torch::Tensor y = y_in.detach().to(torch::kCPU, torch::kFloat64).reshape({y_in.size(0), -1});
  if (x.size(1) != y.size(1)) throw std::invalid_argument("energy distance: samples of different dimension");
  return 2.0 * mean_pairwise_distance(x, y) - mean_pairwise_distance(x, x) - mean_pairwise_distance(y, y);
}

Moments moments(const torch::Tensor& x_in) {
  const torch::Tensor x = x_in.detach().to(torch::kCPU, torch::kFloat64).reshape({x_in.size(0), -1});
  const torch::Tensor mean = x.mean(0);
  const torch::Tensor c = x - mean;
  return {mean, c.t().matmul(c) / std::max<int64_t>(1, x.size(0) - 1)};
}

}  // namespace glass
