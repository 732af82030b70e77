#pragma once
// Posterior samples z ~ p(z | x_t) by running a transition kernel from t to 1 in `steps` equal
// steps per particle (each particle at its own t): DDPM's ancestral chain, an SDE, or GLASS with
// one transition (which is what ValueOptions's own GLASS path does). It lets value estimates and
// posterior-sampling comparisons use any kernel at a known number of network calls.
#include <memory>

#include "glass/transitions/transition.h"
#include "glass/values/posterior_sampler.h"

namespace glass {

class ChainPosteriorSampler final : public PosteriorSampler {
 public:
  ChainPosteriorSampler(std::unique_ptr<TransitionKernel> kernel, int steps);
  std::string name() const override;
  torch::Tensor sample(const torch::Tensor& x, const torch::Tensor& t, at::Generator& gen) override;
  int64_t nfe() const override { return static_cast<int64_t>(steps_) * kernel_->nfe_per_step(); }

 private:
  std::unique_ptr<TransitionKernel> kernel_;
  int steps_;
};

}  // namespace glass
