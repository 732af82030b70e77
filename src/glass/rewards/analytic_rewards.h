#pragma once
// Closed-form rewards for low-dimensional data and the mixture oracle. The quadratic reward tilts
// a Gaussian mixture into another one (GaussianMixture::tilted), which makes alignment testable.
#include "glass/rewards/reward.h"

namespace glass {

// r(z) = -kappa |z - center|^2 / 2.
class QuadraticReward final : public Reward {
 public:
  QuadraticReward(double kappa, torch::Tensor center);
  std::string name() const override;
  double kappa() const { return kappa_; }
  const torch::Tensor& center() const { return center_; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  double kappa_;
  torch::Tensor center_;  // float64 [d]
};

// A soft region: r(z) = -kappa dist(z, box)^2 / 2, zero inside [lo, hi] (per coordinate).
class BoxReward final : public Reward {
 public:
  BoxReward(torch::Tensor lo, torch::Tensor hi, double kappa);
  std::string name() const override;

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  torch::Tensor lo_, hi_;  // float64 [d]
  double kappa_;
};

}  // namespace glass
