#include "glass/guidance/guided_flow_model.h"

#include "glass/models/parameterisation.h"
#include "glass/util/particle_scalars.h"

namespace glass {

namespace {
bool all_zero(const std::vector<double>& c) {
  for (double v : c)
    if (v != 0.0) return false;
  return true;
}
}  // namespace

GuidedFlowModel::GuidedFlowModel(FlowModel& base, DenoiserGuidance guidance)
    : base_(base), guidance_(std::move(guidance)) {
  guidance_.validate();
}

std::string GuidedFlowModel::describe() const {
  return base_.describe() + " + denoiser guidance(scale=" + c10::str(guidance_.scale.scale) +
         (guidance_.detached ? ", detached" : "") + ")";
}

std::vector<double> GuidedFlowModel::effective_times(const torch::Tensor& t, int64_t n) const {
  std::vector<double> te = particle_values(t, n, "time");
  for (double& v : te) v = base_.effective_time(v);
  return te;
}

GuidedFlowModel::Guided GuidedFlowModel::guided(const torch::Tensor& x, const torch::Tensor& t,
                                                const std::vector<double>& te, const std::vector<double>& coef,
                                                bool want_velocity) {
  const bool full = !guidance_.detached;
  torch::AutoGradMode grad_on(true);
  // Full: d r(D(x)) / dx through the network. Detached: d r(D) / dD, no backward through it.
  const torch::Tensor x_in = full ? x.detach().requires_grad_(true) : x.detach();
  // A velocity model is asked for u (one call) and D follows from it exactly; otherwise D directly.
  const bool from_velocity = want_velocity && base_.spec().prediction == Prediction::Velocity;
  const torch::Tensor prediction = from_velocity ? base_.velocity(x_in, t) : base_.denoise(x_in, t);
  const torch::Tensor denoised =
      from_velocity ? denoiser_from_prediction(schedule(), Prediction::Velocity, x_in, prediction, te) : prediction;
  const torch::Tensor wrt = full ? x_in : denoised.detach().requires_grad_(true);
  const torch::Tensor reward = (*guidance_.reward)(full ? denoised : wrt);
  torch::Tensor grad = torch::autograd::grad({reward.sum()}, {wrt})[0];
  if (full) base_.count_backward_pass();
  // A particle with reward -inf (a hard constraint) has no useful direction: it is not pushed.
  grad = checked_reward_gradient(grad, reward.detach(), "guidance");
  return {from_velocity ? prediction.detach() : torch::Tensor(), denoised.detach(), broadcastable(coef, x) * grad};
}

torch::Tensor GuidedFlowModel::denoise(const torch::Tensor& x, const torch::Tensor& t) {
  const std::vector<double> te = effective_times(t, x.size(0));
  const std::vector<double> coef = guidance_.coefficients(schedule(), te);
  if (all_zero(coef)) return base_.denoise(x, t);
  const Guided g = guided(x, t, te, coef, false);
  return g.denoised + g.shift;
}

torch::Tensor GuidedFlowModel::velocity(const torch::Tensor& x, const torch::Tensor& t) {
  const std::vector<double> te = effective_times(t, x.size(0));
  const std::vector<double> coef = guidance_.coefficients(schedule(), te);
  if (all_zero(coef)) return base_.velocity(x, t);
  const Guided g = guided(x, t, te, coef, true);
  if (!g.prediction.defined()) return velocity_from_denoiser(schedule(), x, g.denoised + g.shift, te);
  // u moves by (alpha' - alpha sigma'/sigma) per unit of D; unguided particles (possibly at sigma = 0) not at all.
  std::vector<double> gain(te.size(), 0.0);
  for (size_t i = 0; i < te.size(); ++i)
    if (coef[i] != 0.0) gain[i] = velocity_per_denoiser(schedule(), te[i]);
  return torch::addcmul(g.prediction, broadcastable(gain, x), g.shift);
}

}  // namespace glass
