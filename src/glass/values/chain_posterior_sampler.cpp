#include "glass/values/chain_posterior_sampler.h"

#include <stdexcept>

#include "glass/util/particle_scalars.h"

namespace glass {

ChainPosteriorSampler::ChainPosteriorSampler(std::unique_ptr<TransitionKernel> kernel, int steps)
    : kernel_(std::move(kernel)), steps_(steps) {
  if (!kernel_) throw std::invalid_argument("chain posterior sampler: no kernel");
  if (steps_ < 1)
    throw std::invalid_argument("chain posterior sampler: steps must be >= 1, got " + std::to_string(steps_));
}

std::string ChainPosteriorSampler::name() const {
  return kernel_->name() + " chain of " + std::to_string(steps_) + " steps to t = 1";
}

torch::Tensor ChainPosteriorSampler::sample(const torch::Tensor& x, const torch::Tensor& t, at::Generator& gen) {
  const int64_t n = x.size(0);
  const std::vector<double> t0 = particle_values(t, n, "chain posterior sampler: t");
  std::vector<double> a(t0.size()), b(t0.size());
  torch::Tensor z = x;
  for (int k = 0; k < steps_; ++k) {
    for (size_t i = 0; i < t0.size(); ++i) {
      a[i] = t0[i] + (1.0 - t0[i]) * k / steps_;
      // The last step lands on 1 exactly, whatever the rounding of the fraction.
      b[i] = k + 1 == steps_ ? 1.0 : t0[i] + (1.0 - t0[i]) * (k + 1) / steps_;
    }
    z = kernel_->step(z, times_tensor(a), times_tensor(b), gen).x;
  }
  return z;
}

}  // namespace glass
