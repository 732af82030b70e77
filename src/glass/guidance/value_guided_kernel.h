#pragma once
// Value guidance: after each transition to t', push the particles up the value,
//   x_t' += scale(t') sigma_t'^2 grad_x log mean_j exp(lambda r(z_j)),
// with z_j differentiable GLASS posterior samples of x_t' (backpropagation through the M inner
// steps). sigma^2 grad is the mean shift that a tilt by exp(lambda V) gives a locally Gaussian p_t:
// scale 1 is the target's own tilt, as for denoiser guidance (lambda enters both the same way).
// Wraps any kernel, so it composes with plain sampling, best-of-N and SMC.
#include "glass/values/value_estimate.h"
#include "glass/guidance/guidance_scale.h"
#include "glass/transitions/transition.h"

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
