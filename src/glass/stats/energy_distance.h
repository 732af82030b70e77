#pragma once
// Two-sample energy distance: 2 E|X - Y| - E|X - X'| - E|Y - Y'| (V-statistic, >= 0, = 0 iff the
// laws agree). Its sampling floor for equal laws is O(1/n): measure it beside the distance.
#include <torch/torch.h>

namespace glass {

double energy_distance(const torch::Tensor& x, const torch::Tensor& y);

// Per-dimension mean and covariance, float64.
struct Moments {
  torch::Tensor mean, cov;
};
Moments moments(const torch::Tensor& x);

}  // namespace glass
