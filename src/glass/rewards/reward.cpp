#include "glass/rewards/reward.h"

#include <stdexcept>

namespace glass {

torch::Tensor Reward::operator()(const torch::Tensor& z) {
  if (!z.defined() || z.dim() < 1) throw std::invalid_argument("reward '" + name() + "': input must be [N, ...]");
  torch::Tensor r = compute(z);
  cost_.calls += 1;
  cost_.rows += z.size(0);
  if (!r.defined() || r.numel() != z.size(0))
    throw std::runtime_error("reward '" + name() + "' returned shape " + (r.defined() ? c10::str(r.sizes()) : "none") +
                             " for " + std::to_string(z.size(0)) + " samples (expected one value each)");
  r = r.reshape({z.size(0)}).to(torch::kFloat64);
  const torch::Tensor bad = torch::isnan(r).logical_or(torch::isposinf(r));
  if (bad.any().item<bool>()) {
    const int64_t i = bad.nonzero()[0][0].item<int64_t>();
    throw std::runtime_error("reward '" + name() + "' returned " + std::to_string(r[i].item<double>()) +
                             " for sample " + std::to_string(i));
  }
  return r;
}

torch::Tensor checked_reward_gradient(const torch::Tensor& gradient, const torch::Tensor& values,
                                      const std::string& what) {
  const int64_t n = gradient.size(0);
  const torch::Tensor broken_gradient = torch::isfinite(gradient).reshape({n, -1}).all(1).logical_not();
  // A row whose values are all finite (each of a value estimate's k samples) has a finite gradient.
  const torch::Tensor finite_value = torch::isfinite(values.detach().reshape({n, -1})).all(1).to(gradient.device());
  const int64_t broken = (broken_gradient & finite_value).sum().item<int64_t>();
  if (broken > 0)
    throw std::runtime_error(what + ": the reward's gradient is NaN or infinite at " + std::to_string(broken) +
                             " particle(s) whose reward is finite (an overflow: lower the guidance scale or lambda, "
                             "or check the reward's gradient)");
  return torch::nan_to_num(gradient, 0.0, 0.0, 0.0);
}

}  // namespace glass
