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

}  // namespace glass
