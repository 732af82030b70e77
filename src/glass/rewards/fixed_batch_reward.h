#pragma once
// A reward evaluated in chunks of exactly `rows` samples (the last one padded), so that a sample's
// reward does not depend on the samples beside it (a classifier's convolutions choose their
// blocking by batch size). Distributed runs wrap their reward in it to stay bit-identical for any
// number of ranks.
#include "glass/rewards/reward.h"

namespace glass {

class FixedBatchReward final : public Reward {
 public:
  FixedBatchReward(RewardPtr inner, int64_t rows);
  std::string name() const override { return inner_->name(); }
  bool differentiable() const override { return inner_->differentiable(); }
  const RewardPtr& inner() const { return inner_; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  RewardPtr inner_;
  int64_t rows_;
};

}  // namespace glass
