#include "glass/alignment/best_of_n.h"

#include <stdexcept>

#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/util/particle_keyed_generator.h"

namespace glass {

namespace {

BestOfNResult best_of_population(FlowModel& model, TransitionKernel& kernel, Reward& reward,
                                 const std::vector<double>& grid, int64_t groups, int64_t candidates,
                                 at::IntArrayRef sample_shape, at::Generator& gen, const AlignmentCallback& on_step,
                                 const BestOfNSelection& choose, const ShardedPopulation& pop) {
  check_starts_from_noise(grid, model, "best-of-N");
  const CostMeter meter(model, reward);
  const StepCallback progress = [&](int k, int K, const torch::Tensor&) {
    if (on_step) on_step(k, K);
  };
  // A rank with no share (fewer blocks than ranks) only joins the collectives.
  const torch::Tensor noise = prior_noise(pop.count(), sample_shape, gen, model.device());
  const torch::Tensor x = pop.count() > 0 ? run_chain(kernel, noise, grid, gen, progress).x : noise;
  torch::Tensor r;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor mine =
        pop.count() > 0 ? reward(x).to(torch::kCPU, torch::kFloat64) : torch::empty({0}, torch::kFloat64);
    r = pop.gather_everywhere(mine).view({groups, candidates});
  }
  // Importance weights exp(lambda r) of the tilted target; a group without a finite reward
  // weighs its candidates alike.
  const torch::Tensor tilt = r * choose.lambda;
  const torch::Tensor none_finite = torch::isneginf(r).all(1, true).expand_as(r);
  const torch::Tensor log_w = torch::where(none_finite.logical_or(torch::isnan(tilt)), torch::zeros_like(r), tilt);
  const std::vector<int64_t> picked = select_rows(choose.select, log_w, r.reshape({-1}), gen);
  const torch::Tensor pick = torch::tensor(picked, torch::kInt64);
  BestOfNResult out;
  out.samples = pop.layout().world_size() == 1 ? x.index_select(0, pick.to(x.device())) : pop.to_root(x, picked);
  out.sample_rewards = r.reshape({-1}).index_select(0, pick);
  out.sample_weights = selected_weights(choose.select, log_w);
  out.rewards = r;
  out.cost = sum_over_ranks(pop.comm(), meter.cost(groups));
  return out;
}

void check_sizes(int64_t groups, int64_t candidates) {
  if (groups < 1 || candidates < 1) throw std::invalid_argument("best-of-N: need at least 1 output and 1 candidate");
}

}  // namespace

BestOfNResult best_of_n(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                        int64_t groups, int64_t candidates, at::IntArrayRef sample_shape, at::Generator& gen,
                        const AlignmentCallback& on_step, const BestOfNSelection& choose) {
  check_sizes(groups, candidates);
  return best_of_population(model, kernel, reward, grid, groups, candidates, sample_shape, gen, on_step, choose,
                            ShardedPopulation::whole(groups * candidates));
}

BestOfNResult best_of_n_sharded(FlowModel& model, TransitionKernel& kernel, Reward& reward,
                                const std::vector<double>& grid, int64_t groups, int64_t candidates,
                                at::IntArrayRef sample_shape, const Sharding& sharding,
                                const AlignmentCallback& on_step, const BestOfNSelection& choose) {
  check_sizes(groups, candidates);
  const ShardedPopulation pop = sharding.population(groups * candidates);
  at::Generator gen = make_particle_keyed_generator(sharding.seed, pop.begin(), pop.count());
  return best_of_population(model, kernel, reward, grid, groups, candidates, sample_shape, gen, on_step, choose, pop);
}

}  // namespace glass
