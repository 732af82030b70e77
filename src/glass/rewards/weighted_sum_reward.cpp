#include "glass/rewards/weighted_sum_reward.h"

#include <cmath>
#include <stdexcept>

namespace glass {

WeightedSumReward::WeightedSumReward(std::vector<std::pair<double, RewardPtr>> terms) : terms_(std::move(terms)) {
  if (terms_.empty()) throw std::invalid_argument("weighted reward sum: no terms");
  for (const auto& [w, r] : terms_) {
    if (!r) throw std::invalid_argument("weighted reward sum: empty term");
    if (!std::isfinite(w)) throw std::invalid_argument("weighted reward sum: non-finite weight");
  }
}

std::string WeightedSumReward::name() const {
  std::string out;
  for (const auto& [w, r] : terms_) out += (out.empty() ? "" : " + ") + c10::str(w) + "*" + r->name();
  return out;
}

bool WeightedSumReward::differentiable() const {
  for (const auto& term : terms_)
    if (!term.second->differentiable()) return false;
  return true;
}

torch::Tensor WeightedSumReward::compute(const torch::Tensor& z) {
  torch::Tensor total;
  for (const auto& [w, r] : terms_) {
    // A zero-weight term adds nothing, even where it is -inf.
    if (w == 0.0) continue;
    const torch::Tensor v = (*r)(z)*w;
    total = total.defined() ? total + v : v;
  }
  return total.defined() ? total : torch::zeros({z.size(0)}, z.options().dtype(torch::kFloat64));
}

}  // namespace glass
