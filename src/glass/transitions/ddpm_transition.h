#pragma once
// The one-call DDPM ancestral step for any (alpha, sigma) schedule:
// x_t' ~ N(abar D_t(x_t) + gam x_t, sbar^2 I) with rho = rho_DDPM (spec 3). Reports its log-density.
// With eta in [0, 1] it is DDIM's family: the step noise std is eta times DDPM's, which is the same
// one-call step with rho = sqrt(1 - eta^2 (1 - rho_DDPM^2)); eta = 0 is deterministic DDIM (rho = 1).
#include "glass/models/flow_model.h"
#include "glass/transitions/transition.h"

namespace glass {

class DdpmTransition final : public TransitionKernel {
 public:
  explicit DdpmTransition(FlowModel& model, double eta = 1.0);
  std::string name() const override;
  bool stochastic() const override { return eta_ > 0.0; }
  double eta() const { return eta_; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override { return 1; }
  bool takes_start_denoiser_of(const FlowModel& model) const override { return &model == &model_; }
  StepResult step_from_denoised(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                const torch::Tensor& denoised, at::Generator& gen) override;

  // log N(x_next; abar D_t(x) + gam x, sbar^2 I) for a given x_next: one network call.
  torch::Tensor log_density(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& x_next,
                            const torch::Tensor& t_next);

 private:
  struct Gaussian {
    torch::Tensor mean;
    std::vector<double> std;
  };
  Gaussian step_gaussian(const torch::Tensor& x, const StepTimes& st, const torch::Tensor* denoised = nullptr);
  StepResult draw(const torch::Tensor& x, const StepTimes& st, const torch::Tensor* denoised, at::Generator& gen);
  FlowModel& model_;
  double eta_;
};

// log N(x; mean, diag(std_i^2)) per row, std_i per particle.
torch::Tensor isotropic_gaussian_log_density(const torch::Tensor& x, const torch::Tensor& mean,
                                             const std::vector<double>& std);

}  // namespace glass
