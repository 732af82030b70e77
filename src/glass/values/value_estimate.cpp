#include "glass/values/value_estimate.h"

#include <cmath>
#include <stdexcept>

#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"

namespace glass {

void ValueOptions::validate() const {
  if (samples < 1) throw std::invalid_argument("value estimate: need at least 1 posterior sample");
  if (inner_steps < 1) throw std::invalid_argument("value estimate: need at least 1 GLASS step");
}

torch::Tensor soft_value(const torch::Tensor& rewards, double lambda) {
  const torch::Tensor r = rewards.to(torch::kFloat64);
  if (lambda == 0.0) return r.mean(-1);
  const double log_n = std::log(static_cast<double>(r.size(-1)));
  return (torch::logsumexp(r * lambda, -1) - log_n) / lambda;
}

ValueEstimate estimate_value(FlowModel& model, Reward& reward, const torch::Tensor& x, const torch::Tensor& t,
                             double lambda, const ValueOptions& options, at::Generator& gen, bool with_gradient) {
  options.validate();
  if (!std::isfinite(lambda)) throw std::invalid_argument("value estimate: lambda must be finite");
  const int64_t n = x.size(0), k = options.samples;
  const std::vector<double> times = particle_values(t, n, "time");
  std::vector<double> repeated;
  repeated.reserve(static_cast<size_t>(n * k));
  for (double v : times) repeated.insert(repeated.end(), static_cast<size_t>(k), v);

  torch::AutoGradMode grad_mode(with_gradient);
  const torch::Tensor x_in = with_gradient ? x.detach().requires_grad_(true) : x.detach();
  const torch::Tensor rows = x_in.repeat_interleave(k, 0);
  const torch::Tensor z =
      options.sampler
          ? options.sampler->sample(rows, times_tensor(repeated), gen)
          : sample_posterior(model, rows, times_tensor(repeated), options.inner_steps, gen, options.solver).x;
  const torch::Tensor r = reward(z).reshape({n, k});
  ValueEstimate out;
  if (with_gradient) {
    // d/dx log mean_j exp(lambda r_j) = lambda * (softmax-weighted) d r_j / dx: zero at lambda = 0.
    out.gradient = lambda == 0.0 ? torch::zeros_like(x)
                                 : checked_reward_gradient(
                                       torch::autograd::grad({torch::logsumexp(r * lambda, 1).sum()}, {x_in})[0],
                                       r.detach(), "value gradient");
  }
  out.value = soft_value(r.detach(), lambda);
  return out;
}

}  // namespace glass
