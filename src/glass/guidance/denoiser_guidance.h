#pragma once
// Denoiser guidance: tilt the model's denoiser by a reward,
//   D^r_t(x) = D_t(x) + scale(t) lambda (sigma_t^2 / alpha_t) grad_x r(D_t(x)),
// which is the denoiser of p_t(x) exp(scale lambda r(D_t(x))) (Tweedie: D = (x + sigma^2 score) /
// alpha). Like value guidance and SMC it aims at p(z) exp(lambda r(z)): scale 1 is that tilt's own
// strength, and scale multiplies it (one meaning of the scale for both guidances).
// Wrapped around a FlowModel (GuidedFlowModel), it reaches every kernel through the denoiser: the ODE and SDE
// velocities, and the GLASS inner flow, where it is exactly the paper's eq. 50 at (t*, alpha_t* S).
// `detached` takes grad_D r(D) instead (no backward pass through the network), as the paper does to
// save memory.
#include <vector>

#include "glass/guidance/guidance_scale.h"
#include "glass/rewards/reward.h"
#include "glass/schedules/schedule.h"

namespace glass {

struct DenoiserGuidance {
  RewardPtr reward;
  GuidanceScale scale;
  bool detached = false;
  double lambda = 1.0;  // the target's tilt strength, as in SmcOptions and ValueGuidanceOptions

  void validate() const;
  // Per-particle factor scale(t) lambda sigma_t^2 / alpha_t (0 where alpha_t = 0 or outside the window).
  std::vector<double> coefficients(const Schedule& schedule, const std::vector<double>& t) const;
};

}  // namespace glass
