#pragma once
// Sub-steps of the marginal-preserving SDE
//   dx = [u_t(x) + g_t^2 / 2 * score_t(x)] dt + g_t dW,
// which keeps the model's marginals p_t for any diffusion g_t. Choices of g_t (eta scales each):
//   sigma:    g = eta sigma_t (bounded drift everywhere; the default)
//   constant: g = eta
//   ddpm:     g^2 = eta^2 2 sigma^2 (alpha'/alpha - sigma'/sigma), the DDPM reverse SDE at eta = 1
//
// Each sub-step [t0, t1] holds the denoiser at D = D_t0(x_t0) and integrates the rest exactly (an
// exponential integrator). With u = x / sigma and q = alpha / sigma the SDE is, for fixed D,
//   d(u - q D) = -k (u - q D) dt + sqrt(2 k) dW,   k = g^2 / (2 sigma^2),
// an Ornstein-Uhlenbeck process, so with kappa = int_t0^t1 k:
//   x_t1 = e^-kappa (sigma1/sigma0) x_t0 + (alpha1 - e^-kappa sigma1 alpha0/sigma0) D
//          + sigma1 sqrt(1 - e^-2kappa) xi.
// Every coefficient lies between those of DDIM (kappa = 0) and of a fresh draw alpha1 D + sigma1 xi
// (kappa = inf), however coarse the step: Euler-Maruyama put -2.5 on x in the last step of a 5-step
// CondOT grid. At eta = 0 this is DDIM; with the ddpm diffusion at eta = 1 it is DDPM's ancestral
// step. kappa is closed-form for sigma (eta^2 h / 2) and ddpm (eta^2 log(q1/q0)) and a 128-point
// Gauss-Legendre sum in float64 for constant (eta^2/2 int sigma^-2).
#include "glass/models/flow_model.h"
#include "glass/transitions/transition.h"
#include "glass/util/enum_names.h"

namespace glass {

enum class Diffusion { Sigma, Constant, Ddpm };
// Its names, for parsing, printing and the command line's choices.
const NameTable<Diffusion>& diffusion_names();
Diffusion parse_diffusion(const std::string& s);  // sigma | constant | ddpm
std::string to_string(Diffusion d);

struct SdeOptions {
  Diffusion diffusion = Diffusion::Sigma;
  double eta = 1.0;
  int substeps = 1;  // sub-steps (network calls) per transition

  void validate() const;
};

// One sub-step's coefficients: x_t1 = x_coef x_t0 + d_coef D + noise_std xi.
struct SdeStepCoefficients {
  double x_coef, d_coef, noise_std;
};

class SdeTransition final : public TransitionKernel {
 public:
  SdeTransition(FlowModel& model, SdeOptions options);
  std::string name() const override;
  bool stochastic() const override { return options_.eta > 0.0; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override { return options_.substeps; }

  // The exact sub-step from t0 to t1 > t0 with the denoiser held at its t0 value.
  SdeStepCoefficients coefficients(double t0, double t1) const;

 private:
  // e^-kappa, kappa = int_t0^t1 g^2 / (2 sigma^2).
  double decay(double t0, double t1) const;
  FlowModel& model_;
  SdeOptions options_;
};

}  // namespace glass
