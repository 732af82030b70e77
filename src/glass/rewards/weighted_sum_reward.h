#pragma once
// r(z) = sum_i w_i r_i(z). Each term counts its own calls too.
#include <utility>
#include <vector>

#include "glass/rewards/reward.h"

namespace glass {

class WeightedSumReward final : public Reward {
 public:
  explicit WeightedSumReward(std::vector<std::pair<double, RewardPtr>> terms);
  std::string name() const override;
  bool differentiable() const override;
  const std::vector<std::pair<double, RewardPtr>>& terms() const { return terms_; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  std::vector<std::pair<double, RewardPtr>> terms_;
};

}  // namespace glass
