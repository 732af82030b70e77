#pragma once
// Multilevel Monte Carlo value estimates (Giles 2008's telescoping sum) for
//   E[exp(lambda r(z))], z ~ p(z | x_t = x), and V_t(x) = (1/lambda) log of it.
// Level 0 is cheap: n_0 GLASS posterior samples with b inner steps. Level l >= 1 corrects it with
// n_l pairs that share their inner noise, GLASS with b 2^l and b 2^(l-1) inner steps, and adds the
// mean of exp(lambda r(z_fine)) - exp(lambda r(z_coarse)). b = 2 by default: one Euler step from
// x_t lands on D_t(x_t) whatever the noise, so a 1-step level is a plug-in estimate that the
// 2-step level barely couples to (their pairs were as far apart as independent draws on gmm2d;
// 2 vs 4 steps: 10x closer, 4 vs 8: 45x). The sum has the finest level's
// expectation; the pairs being close, their differences vary little, so most samples can be cheap.
// The log is taken at the end; a particle whose sum comes out <= 0 (few samples, large lambda) is
// floored at its level-0 mean and counted.
// A cheaper level 0: a one-call sampler (a Diamond Map) as `base`. Level 1 then pairs GLASS with b
// inner steps with it from the same start noise, level l >= 2 GLASS with b 2^(l-1) and b 2^(l-2):
// the sum still has the finest GLASS level's expectation, the map's own error cancels.
#include <vector>

#include "glass/models/flow_model.h"
#include "glass/rewards/reward.h"
#include "glass/transitions/inner_solver.h"
#include "glass/values/posterior_sampler.h"

namespace glass {

struct MultilevelValueOptions {
  std::vector<int> samples{32, 8, 4, 2};  // n_l for levels 0..L-1
  int base_inner_steps = 2;               // b: level l has b 2^l inner steps (b 2^(l-1) with a base sampler)
  InnerSolver solver = InnerSolver::Euler;
  // Set: level 0 draws from it. It must draw its start noise as GLASS does (randn_like(x) first,
  // from the generator it is given), so that level 1's pairs share it: DiamondPosteriorSampler does.
  PosteriorSamplerPtr base;

  void validate() const;
  // GLASS inner steps of level l's samples (its pairs' fine half; the coarse half has level l-1's):
  // 0 stands for the base sampler.
  int inner_steps(size_t level) const {
    if (!base) return base_inner_steps << level;
    return level == 0 ? 0 : base_inner_steps << (level - 1);
  }
  int finest_inner_steps() const { return inner_steps(samples.size() - 1); }
  // Network calls per particle: n_0 calls(0) + sum_l n_l (calls(l) + calls(l-1)), where calls(l) is
  // inner_steps(l) times the solver's calls per step, or the base sampler's calls.
  int64_t nfe() const;
};

struct MultilevelValueEstimate {
  torch::Tensor value;        // float64 [N]: (1/lambda) log of the telescoped sum (its mean at lambda = 0)
  torch::Tensor level_terms;  // float64 [N, L]: level 0's mean and each correction, scaled by exp(-shift)
  torch::Tensor floored;      // bool [N]: the sum was <= 0 and the level-0 mean stood in
};

// x: [N, ...] at per-particle times t (< 1). Each level's samples of all particles travel in one
// batch; the pairs of a level draw their noise once (a clone of `gen` replays it for the coarse
// half). Not differentiable (no gradient is taken).
MultilevelValueEstimate estimate_value_multilevel(FlowModel& model, Reward& reward, const torch::Tensor& x,
                                                  const torch::Tensor& t, double lambda,
                                                  const MultilevelValueOptions& options, at::Generator& gen);

}  // namespace glass
