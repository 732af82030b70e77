#pragma once
// Diamond Maps behind the library's interfaces: a transition kernel (one call per step, DDPM's
// transition when the map is exact) and a one-call posterior sampler for value estimates.
#include <memory>

#include "glass/diamond/diamond_map.h"
#include "glass/transitions/transition.h"
#include "glass/values/posterior_sampler.h"

namespace glass {

class DiamondTransition final : public TransitionKernel {
 public:
  explicit DiamondTransition(std::shared_ptr<DiamondMap> map);
  std::string name() const override { return "diamond (" + map_->describe() + ")"; }
  bool stochastic() const override { return true; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override { return 1; }

 private:
  std::shared_ptr<DiamondMap> map_;
};

class DiamondPosteriorSampler final : public PosteriorSampler {
 public:
  explicit DiamondPosteriorSampler(std::shared_ptr<DiamondMap> map);
  std::string name() const override { return map_->describe(); }
  torch::Tensor sample(const torch::Tensor& x, const torch::Tensor& t, at::Generator& gen) override {
    return map_->posterior_sample(x, t, gen);
  }
  int64_t nfe() const override { return 1; }

 private:
  std::shared_ptr<DiamondMap> map_;
};

}  // namespace glass
