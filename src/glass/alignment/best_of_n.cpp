#include "glass/alignment/best_of_n.h"

#include <stdexcept>

#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"

namespace glass {

BestOfNResult best_of_n(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                        int64_t groups, int64_t candidates, at::IntArrayRef sample_shape, at::Generator& gen,
                        const AlignmentCallback& on_step) {
  if (groups < 1 || candidates < 1) throw std::invalid_argument("best-of-N: need at least 1 output and 1 candidate");
  check_starts_from_noise(grid, model, "best-of-N");
  const CostMeter meter(model, reward);
  const StepCallback progress = [&](int k, int K, const torch::Tensor&) {
    if (on_step) on_step(k, K);
  };
  const torch::Tensor x = run_chain(kernel, prior_noise(groups * candidates, sample_shape, gen), grid, gen, progress).x;
  torch::Tensor r;
  {
    torch::NoGradGuard no_grad;
    r = reward(x).to(torch::kCPU, torch::kFloat64).view({groups, candidates});
  }
  const torch::Tensor best = r.argmax(1);
  const torch::Tensor pick = best + torch::arange(groups, torch::kInt64) * candidates;
  BestOfNResult out;
  out.samples = x.index_select(0, pick.to(x.device()));
  out.sample_rewards = r.gather(1, best.unsqueeze(1)).squeeze(1);
  out.rewards = r;
  out.cost = meter.cost(groups);
  return out;
}

}  // namespace glass
