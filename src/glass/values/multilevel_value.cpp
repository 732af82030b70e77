#include "glass/values/multilevel_value.h"

#include <cmath>
#include <stdexcept>

#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"

namespace glass {

void MultilevelValueOptions::validate() const {
  if (samples.empty() || samples.size() > 12)
    throw std::invalid_argument("multilevel value: need 1 to 12 levels (the finest has 2^(L-1) inner steps)");
  for (int n : samples)
    if (n < 1) throw std::invalid_argument("multilevel value: every level needs at least 1 sample");
  if (base_inner_steps < 1) throw std::invalid_argument("multilevel value: the base level needs at least 1 inner step");
}

int64_t MultilevelValueOptions::nfe() const {
  const auto calls_of = [&](size_t level) -> int64_t {
    const int steps = inner_steps(level);
    return steps == 0 ? base->nfe() : static_cast<int64_t>(steps) * calls_per_inner_step(solver);
  };
  int64_t calls = static_cast<int64_t>(samples[0]) * calls_of(0);
  for (size_t l = 1; l < samples.size(); ++l)
    calls += static_cast<int64_t>(samples[l]) * (calls_of(l) + calls_of(l - 1));
  return calls;
}

namespace {

// lambda r(z) of `n` posterior samples per particle with `steps` inner steps (0: from the options'
// base sampler): [N, n].
torch::Tensor tilted_rewards(FlowModel& model, Reward& reward, const torch::Tensor& rows, const torch::Tensor& times,
                             int steps, int64_t n, double lambda, at::Generator& gen,
                             const MultilevelValueOptions& options) {
  const torch::Tensor z = steps == 0 ? options.base->sample(rows, times, gen)
                                     : sample_posterior(model, rows, times, steps, gen, options.solver).x;
  const torch::Tensor r = reward(z).to(torch::kCPU, torch::kFloat64).reshape({-1, n});
  return lambda == 0.0 ? r : r * lambda;
}

}  // namespace

MultilevelValueEstimate estimate_value_multilevel(FlowModel& model, Reward& reward, const torch::Tensor& x,
                                                  const torch::Tensor& t, double lambda,
                                                  const MultilevelValueOptions& options, at::Generator& gen) {
  options.validate();
  if (!std::isfinite(lambda)) throw std::invalid_argument("multilevel value: lambda must be finite");
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  const std::vector<double> times = particle_values(t, n, "time");
  // Level by level: level 0's tilted rewards, then each level's (fine, coarse) pairs.
  std::vector<torch::Tensor> fine, coarse;
  for (size_t l = 0; l < options.samples.size(); ++l) {
    const int64_t k = options.samples[l];
    const torch::Tensor rows = x.detach().repeat_interleave(k, 0), rt = times_tensor(times).repeat_interleave(k);
    if (l == 0) {
      fine.push_back(tilted_rewards(model, reward, rows, rt, options.inner_steps(0), k, lambda, gen, options));
      coarse.emplace_back();
      continue;
    }
    at::Generator replay = gen.clone();  // the coarse half draws the fine half's noise again
    fine.push_back(tilted_rewards(model, reward, rows, rt, options.inner_steps(l), k, lambda, gen, options));
    coarse.push_back(tilted_rewards(model, reward, rows, rt, options.inner_steps(l - 1), k, lambda, replay, options));
  }
  MultilevelValueEstimate out;
  if (lambda == 0.0) {
    // E[r]: the same telescoping sum of means, no exponential.
    std::vector<torch::Tensor> means{fine[0].mean(1)};
    for (size_t l = 1; l < fine.size(); ++l) means.push_back((fine[l] - coarse[l]).mean(1));
    out.level_terms = torch::stack(means, 1);
    out.value = out.level_terms.sum(1);
    out.floored = torch::zeros({n}, torch::kBool);
    return out;
  }
  // exp(lambda r) in a shared scale per particle (its largest tilted reward), so nothing overflows.
  torch::Tensor shift = std::get<0>(fine[0].max(1));
  for (size_t l = 1; l < fine.size(); ++l)
    shift = torch::maximum(shift, torch::maximum(std::get<0>(fine[l].max(1)), std::get<0>(coarse[l].max(1))));
  std::vector<torch::Tensor> terms{torch::exp(fine[0] - shift.unsqueeze(1)).mean(1)};
  for (size_t l = 1; l < fine.size(); ++l)
    terms.push_back((torch::exp(fine[l] - shift.unsqueeze(1)) - torch::exp(coarse[l] - shift.unsqueeze(1))).mean(1));
  out.level_terms = torch::stack(terms, 1);
  const torch::Tensor sum = out.level_terms.sum(1);
  out.floored = sum <= 0.0;
  const torch::Tensor usable = torch::where(out.floored, terms[0], sum);
  out.value = (torch::log(usable) + shift) / lambda;
  return out;
}

}  // namespace glass
