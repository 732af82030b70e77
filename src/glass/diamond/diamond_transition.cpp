#include "glass/diamond/diamond_transition.h"

#include <stdexcept>

#include "glass/util/particle_scalars.h"

namespace glass {

DiamondTransition::DiamondTransition(std::shared_ptr<DiamondMap> map) : map_(std::move(map)) {
  if (!map_) throw std::invalid_argument("diamond kernel: no map");
}

StepResult DiamondTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                   at::Generator& gen) {
  const StepTimes times = check_step(x, t, t_next);
  torch::NoGradGuard no_grad;
  return {map_->transition(x, times_tensor(times.t), times_tensor(times.t_next), gen), 1, std::nullopt};
}

DiamondPosteriorSampler::DiamondPosteriorSampler(std::shared_ptr<DiamondMap> map) : map_(std::move(map)) {
  if (!map_) throw std::invalid_argument("diamond sampler: no map");
}

}  // namespace glass
