#pragma once
// One interface for every Markov transition x_t -> x_t' (t < t', per particle): ODE, DDPM, SDE,
// GLASS and the exact oracle. Each step reports the network calls it spent.
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace glass {

class FlowModel;

struct StepResult {
  torch::Tensor x;                        // x_t', shaped like the input
  int64_t nfe = 0;                        // batched network calls spent by this step
  std::optional<torch::Tensor> log_prob;  // log p(x_t' | x_t) [N] where the kernel has a density
};

class TransitionKernel {
 public:
  virtual ~TransitionKernel() = default;
  virtual std::string name() const = 0;
  virtual bool stochastic() const = 0;
  // x: [N, ...]; t, t_next: float64 [N] or scalars; needs 0 <= t < t_next <= 1 for every particle.
  virtual StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                          at::Generator& gen) = 0;
  // Network calls one step costs (for budgets and for the NFE of a grid).
  virtual int64_t nfe_per_step() const = 0;

  // Kernels whose first network call is `model`'s denoiser D_t(x_t) at the start point (GLASS and
  // DDPM/DDIM moving with that very model) can be handed it when the caller already paid for it
  // (SMC's denoised potentials): the step then spends one call less. Others ignore `denoised`.
  virtual bool takes_start_denoiser_of(const FlowModel& model) const {
    (void)model;
    return false;
  }
  virtual StepResult step_from_denoised(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                        const torch::Tensor& denoised, at::Generator& gen) {
    (void)denoised;
    return step(x, t, t_next, gen);
  }
};

// Validated per-particle times of one step.
struct StepTimes {
  std::vector<double> t, t_next;
};

// Checks x (at least [N, d]), the times (finite, in [0, 1], t < t_next) and returns them.
StepTimes check_step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next);

}  // namespace glass
