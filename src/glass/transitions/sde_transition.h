#pragma once
// Euler-Maruyama sub-steps of the marginal-preserving SDE
//   dx = [u_t(x) + g_t^2 / 2 * score_t(x)] dt + g_t dW,
// which keeps the model's marginals p_t for any diffusion g_t. Choices of g_t (eta scales each):
//   sigma:    g = eta sigma_t (bounded drift everywhere; the default)
//   constant: g = eta
//   ddpm:     g^2 = eta^2 2 sigma^2 (alpha'/alpha - sigma'/sigma), the DDPM reverse SDE at eta = 1;
//             infinite at alpha_t = 0, so it cannot start at t = 0 (use the ddpm kernel there).
#include "glass/models/flow_model.h"
#include "glass/transitions/transition.h"

namespace glass {

enum class Diffusion { Sigma, Constant, Ddpm };
Diffusion parse_diffusion(const std::string& s);  // sigma | constant | ddpm

struct SdeOptions {
  Diffusion diffusion = Diffusion::Sigma;
  double eta = 1.0;
  int substeps = 1;  // Euler-Maruyama sub-steps (network calls) per transition
};

class SdeTransition final : public TransitionKernel {
 public:
  SdeTransition(FlowModel& model, SdeOptions options);
  std::string name() const override;
  bool stochastic() const override { return options_.eta > 0.0; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override { return options_.substeps; }

 private:
  // g_t^2 / (2 sigma_t^2), the weight of the score term relative to 1/sigma^2.
  double half_g2_over_sigma2(double t) const;
  FlowModel& model_;
  SdeOptions options_;
};

}  // namespace glass
