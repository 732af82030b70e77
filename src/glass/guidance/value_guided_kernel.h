#pragma once
// Value guidance: after each transition to t', push the particles up the value,
//   x_t' += scale(t') sigma_t'^2 grad_x log mean_j exp(lambda r(z_j)),
// with z_j differentiable GLASS posterior samples of x_t' (backpropagation through the M inner
// steps). What scale 1 means: sigma_t'^2 grad V is the mean shift that twisting the noising kernel
// x_t' | z (variance sigma_t'^2) by exp(V) gives where V is locally linear. The exact twisted
// transition from x_t shifts by Cov(x_t' | x_t) grad V instead, which depends on the step and on
// Var(z | x_t) (for GLASS: sbar^2 + abar^2 Var(z | x_t)), so scale 1 is a step size in units of
// sigma_t'^2, not the exact twist; SMC's weights, not the scale, make a target exact. lambda enters
// as in denoiser guidance and SMC. Tested against its closed form on a Gaussian
// (ValueGuidanceClosedForm).
// Wraps any kernel, so it composes with plain sampling, best-of-N and SMC.
#include "glass/guidance/guidance_scale.h"
#include "glass/transitions/transition.h"
#include "glass/values/value_estimate.h"

namespace glass {

struct ValueGuidanceOptions {
  RewardPtr reward;
  double lambda = 1.0;
  ValueOptions value;
  GuidanceScale scale;

  void validate() const;
};

class ValueGuidedKernel final : public TransitionKernel {
 public:
  ValueGuidedKernel(TransitionKernel& inner, FlowModel& model, ValueGuidanceOptions options);
  std::string name() const override;
  bool stochastic() const override { return inner_.stochastic(); }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  // An upper bound: steps that end outside the window or at t' = 1 spend only the inner kernel's.
  int64_t nfe_per_step() const override { return inner_.nfe_per_step() + options_.value.nfe(); }

 private:
  TransitionKernel& inner_;
  FlowModel& model_;
  ValueGuidanceOptions options_;
};

}  // namespace glass
