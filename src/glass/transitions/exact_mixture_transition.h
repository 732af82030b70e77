#pragma once
// The exact GLASS transition of a Gaussian-mixture model for any rho: z ~ p(z | x_t) exactly,
// then x_t' = abar z + gam x_t + sbar eta. The reference every approximate kernel is tested against.
#include "glass/models/gaussian_mixture.h"
#include "glass/transitions/rho.h"
#include "glass/transitions/transition.h"

namespace glass {

class ExactMixtureTransition final : public TransitionKernel {
 public:
  ExactMixtureTransition(GaussianMixture mixture, SchedulePtr schedule, RhoSchedule rho);
  std::string name() const override { return "exact(rho=" + rho_.name() + ")"; }
  bool stochastic() const override { return true; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override { return 0; }

 private:
  GaussianMixture mixture_;
  SchedulePtr schedule_;
  RhoSchedule rho_;
};

}  // namespace glass
