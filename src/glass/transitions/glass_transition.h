#pragma once
// GLASS transition (spec 3-4): sample p(x_t' | x_t) of a pretrained model by integrating a short
// "inner" flow whose velocity uses one call of the model's denoiser per inner step. The only
// randomness is the inner start xbar_0 = gam x_t + sbar_init epsbar.
#include "glass/models/flow_model.h"
#include "glass/transitions/glass_coefficients.h"
#include "glass/transitions/inner_solver.h"
#include "glass/transitions/rho.h"
#include "glass/transitions/transition.h"

namespace glass {

struct GlassOptions {
  RhoSchedule rho = RhoSchedule::constant(0.4);
  int inner_steps = 10;    // M inner steps; network calls per transition = M * calls_per_inner_step(solver)
  double sbar_init = 1.0;  // scale of the inner start noise (CondOT inner schedule)
  // Models on integer DDPM steps: place the inner nodes so that every call lands exactly on a
  // table step (spec 6). false snaps t* to the nearest step instead (the input then belongs to a
  // slightly different time); kept to measure the difference.
  bool table_inner_grid = true;
  InnerSolver solver = kDefaultInnerSolver;

  void validate() const;
};

class GlassTransition final : public TransitionKernel {
 public:
  GlassTransition(FlowModel& model, GlassOptions options);
  std::string name() const override;
  bool stochastic() const override { return true; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override {
    return static_cast<int64_t>(options_.inner_steps) * calls_per_inner_step(options_.solver);
  }
  // The first inner step (s = 0) asks for D_t at exactly x_t.
  bool takes_start_denoiser_of(const FlowModel& model) const override { return &model == &model_; }
  StepResult step_from_denoised(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                const torch::Tensor& denoised, at::Generator& gen) override;
  const GlassOptions& options() const { return options_; }

 private:
  StepResult run(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                 const torch::Tensor* denoised, at::Generator& gen);
  static std::vector<double> uniform_inner_grid(int M);                                     // s_j = j / M
  std::vector<double> table_inner_grid(double t, const GlassCoefficients& c, int M) const;  // spec 6
  FlowModel& model_;
  GlassOptions options_;
};

// Posterior samples z ~ p(z | x_t) (the GLASS transition to t' = 1) with M inner steps.
StepResult sample_posterior(FlowModel& model, const torch::Tensor& x, const torch::Tensor& t, int inner_steps,
                            at::Generator& gen, InnerSolver solver = InnerSolver::Euler);

}  // namespace glass
