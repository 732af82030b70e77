#pragma once
// Monte Carlo value estimates (spec 6):
//   V_t(x) = (1/lambda) log mean_j exp(lambda r(z_j)),  z_j ~ p(z | x_t = x) by GLASS (M steps)
// or by a distilled one-call sampler, a log-mean-exp over posterior samples (not a mean of
// rewards). lambda = 0 gives the mean reward.
#include "glass/models/flow_model.h"
#include "glass/rewards/reward.h"
#include "glass/transitions/inner_solver.h"
#include "glass/values/posterior_sampler.h"

namespace glass {

struct ValueOptions {
  int samples = 4;       // n posterior samples per particle
  int inner_steps = 10;  // M GLASS steps per posterior sample
  // Euler, not the transitions' pc3 (kDefaultInnerSolver): value guidance differentiates through
  // these steps, and with pc3 at 4 steps it no longer raised the reward (ValueGuidance.RaisesTheReward:
  // -2.01 against -1.95 unguided, +0.5 expected). The one default for the library, the command and
  // Python alike.
  InnerSolver solver = InnerSolver::Euler;
  PosteriorSamplerPtr sampler;  // set: draws the samples instead of GLASS (inner_steps, solver unused)
  void validate() const;
  // Network calls per particle for one estimate.
  int64_t nfe() const {
    return static_cast<int64_t>(samples) * (sampler ? sampler->nfe() : inner_steps * calls_per_inner_step(solver));
  }
};

struct ValueEstimate {
  torch::Tensor value;     // float64 [N]
  torch::Tensor gradient;  // d/dx of lambda V (= log mean exp(lambda r)), shaped like x; set on request
};

// x: [N, ...] at per-particle times t (< 1). The n samples of all particles share one batch of
// N * n rows. With `with_gradient`, backpropagates through the sampler (the M inner GLASS steps,
// or the map). `model` is the plain model whose values these are.
ValueEstimate estimate_value(FlowModel& model, Reward& reward, const torch::Tensor& x, const torch::Tensor& t,
                             double lambda, const ValueOptions& options, at::Generator& gen,
                             bool with_gradient = false);

// (1/lambda) log mean exp(lambda r) over the last dimension of r, in float64; the mean at lambda = 0.
torch::Tensor soft_value(const torch::Tensor& rewards, double lambda);

}  // namespace glass
