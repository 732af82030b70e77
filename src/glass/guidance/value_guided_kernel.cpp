#include "glass/guidance/value_guided_kernel.h"

#include <cmath>
#include <stdexcept>

#include "glass/util/particle_scalars.h"

namespace glass {

void ValueGuidanceOptions::validate() const {
  if (!reward) throw std::invalid_argument("value guidance: no reward");
  if (!reward->differentiable())
    throw std::invalid_argument("reward '" + reward->name() + "' has no gradient: it cannot guide");
  if (!std::isfinite(lambda) || lambda < 0.0) throw std::invalid_argument("value guidance: lambda must be >= 0");
  value.validate();
  scale.validate("value guidance");
}

ValueGuidedKernel::ValueGuidedKernel(TransitionKernel& inner, FlowModel& model, ValueGuidanceOptions options)
    : inner_(inner), model_(model), options_(std::move(options)) {
  options_.validate();
}

std::string ValueGuidedKernel::name() const {
  return inner_.name() + " + value guidance(scale=" + c10::str(options_.scale.scale) + ")";
}

StepResult ValueGuidedKernel::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                   at::Generator& gen) {
  StepResult result = inner_.step(x, t, t_next, gen);
  const std::vector<double> tn = particle_values(t_next, x.size(0), "time");
  const Schedule& s = model_.schedule();
  std::vector<double> factor(tn.size(), 0.0);
  bool any = false;
  for (size_t i = 0; i < tn.size(); ++i) {
    if (tn[i] >= 1.0) continue;  // at t' = 1 the sample is final: nothing left to estimate
    const double sg = s.sigma(tn[i]);
    factor[i] = options_.scale.at(tn[i]) * sg * sg;
    any = any || factor[i] != 0.0;
  }
  if (!any) return result;
  // Network calls per particle: the estimate's calls carry k rows per particle (k posterior samples).
  const int64_t rows_before = model_.cost().rows;
  const ValueEstimate v = estimate_value(model_, *options_.reward, result.x, times_tensor(tn), options_.lambda,
                                         options_.value, gen, /*with_gradient=*/true);
  result.x = torch::addcmul(result.x, broadcastable(factor, result.x), v.gradient.to(result.x.scalar_type()));
  result.nfe += (model_.cost().rows - rows_before) / x.size(0);
  result.log_prob.reset();  // the drift changes the kernel; its density is no longer known
  return result;
}

}  // namespace glass
