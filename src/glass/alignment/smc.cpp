#include "glass/alignment/smc.h"

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/util/enum_names.h"
#include "glass/util/parse.h"
#include "glass/util/particle_keyed_generator.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

const NameTable<IntermediateReward>& intermediate_reward_names() {
  static const NameTable<IntermediateReward> table{
      {"denoised", IntermediateReward::Denoised},
      {"value", IntermediateReward::Value},
  };
  return table;
}

IntermediateReward parse_intermediate_reward(const std::string& name) {
  return parse_named(intermediate_reward_names(), name, "intermediate reward");
}

std::string to_string(IntermediateReward kind) { return name_of(intermediate_reward_names(), kind); }

void SmcOptions::validate() const {
  if (particles < 1) throw std::invalid_argument("SMC: need at least 1 particle per group");
  if (!std::isfinite(lambda) || lambda < 0.0)
    throw std::invalid_argument("SMC: lambda must be a finite number >= 0 (negate the reward to minimise it)");
  if (!std::isfinite(ess_threshold) || ess_threshold < 0.0)
    throw std::invalid_argument("SMC: the ESS threshold must be >= 0 (1 = resample every step)");
  if (intermediate == IntermediateReward::Value) value.validate();
}

namespace {

// SMC starts from the prior and ends with the true reward: the grid must span noise to data. A
// model on DDPM steps starts, as its ecosystem does, from N(0, I) at a table step of its noisy
// end (alpha <= 0.1: Stable Diffusion's table ends at 0.068, DDPM's at 0.006).
void check_noise_to_data_grid(const std::vector<double>& grid, const FlowModel& model) {
  check_grid(grid);
  const bool table_start = model.spec().time == TimeConvention::DdpmStep && model.schedule().alpha(grid.front()) <= 0.1;
  if ((grid.front() != 0.0 && !table_start) || grid.back() != 1.0)
    throw std::invalid_argument(
        "SMC: the time grid must run from 0 (noise; a DDPM-step model: a table step with "
        "alpha <= 0.1) to 1 (data)");
}

// Per-step reward of the particles at time t < 1 (the plain model's), and the
// denoised estimate it was computed from (undefined for value estimates).
struct Intermediate {
  torch::Tensor rewards, denoised;
};

Intermediate intermediate_rewards(FlowModel& model, Reward& reward, const torch::Tensor& x, double t,
                                  const SmcOptions& o, at::Generator& gen) {
  const torch::Tensor times = full_times(x.size(0), t);
  if (o.intermediate == IntermediateReward::Value)
    return {estimate_value(model, reward, x, times, o.lambda, o.value, gen).value, torch::Tensor()};
  torch::NoGradGuard no_grad;
  torch::Tensor d = model.denoise(x, times);
  return {reward(d).to(torch::kCPU, torch::kFloat64), d};
}

// A hard constraint (reward -inf) is final only at t = 1: a particle whose D_t(x_t) or value
// breaks it now may still end inside. An intermediate -inf becomes the lowest finite reward of its
// group at that step (0 when none is finite), so such a particle is down-weighted, not killed; the
// potentials stay positive wherever the target is, and the target stays exactly p(z) exp(lambda r).
// Returns how many rewards of each group were floored.
std::vector<int64_t> floor_constraint_violations(torch::Tensor& r, int64_t groups) {
  const torch::Tensor by_group = r.view({groups, -1});
  const torch::Tensor violated = torch::isneginf(by_group);
  std::vector<int64_t> counts(static_cast<size_t>(groups), 0);
  if (!violated.any().item<bool>()) return counts;
  const double inf = std::numeric_limits<double>::infinity();
  torch::Tensor lowest = std::get<0>(torch::where(violated, torch::full_like(by_group, inf), by_group).min(1, true));
  lowest = torch::where(torch::isposinf(lowest), torch::zeros_like(lowest), lowest);
  r = torch::where(violated, lowest.expand_as(by_group), by_group).reshape({-1});
  const torch::Tensor per_group = violated.sum(1);
  for (int64_t g = 0; g < groups; ++g) counts[static_cast<size_t>(g)] = per_group[g].item<int64_t>();
  return counts;
}

// The next move can start from the potential's own D_t(x_t) when it is the plain denoiser the
// kernel would ask for first (no guidance changes the kernel's view of the model).

// Log-weights of G groups of N particles: carried across steps that do not resample, reset to
// uniform by a resampling; each step's increment of log-sum-exp adds to the group's log Z.
class GroupWeights {
 public:
  GroupWeights(int64_t groups, int64_t n)
      : log_w_(torch::zeros({groups, n}, torch::kFloat64)), log_z_(static_cast<size_t>(groups), 0.0) {}

  // Multiplies the step's potentials in (log space; a particle of weight zero stays at zero).
  void reweight(const torch::Tensor& log_g, int step) {
    const double neg_inf = -std::numeric_limits<double>::infinity();
    const torch::Tensor g = log_g.view_as(log_w_);
    const torch::Tensor dead = torch::isneginf(log_w_).logical_or(torch::isneginf(g));
    proposed_ = torch::where(dead, torch::full_like(log_w_, neg_inf), log_w_ + g);
    const torch::Tensor lse_new = torch::logsumexp(proposed_, 1), lse_old = torch::logsumexp(log_w_, 1);
    for (int64_t k = 0; k < log_w_.size(0); ++k) {
      const double lse = lse_new[k].item<double>();
      if (lse == neg_inf)
        throw std::runtime_error("SMC: every particle of group " + std::to_string(k) + " has weight zero after step " +
                                 std::to_string(step) + " (reward -inf for all of them); no sample can be drawn");
      log_z_[static_cast<size_t>(k)] += lse - lse_old[k].item<double>();
    }
    normalized_ = torch::softmax(proposed_, 1).contiguous();
  }

  const torch::Tensor& proposed() const { return proposed_; }  // after the potentials, before resampling
  std::vector<double> normalized(int64_t g) const {
    const double* w = normalized_[g].data_ptr<double>();
    return std::vector<double>(w, w + normalized_.size(1));
  }
  double ess(int64_t g) const {
    double sum_sq = 0.0;
    for (double w : normalized(g)) sum_sq += w * w;
    return 1.0 / sum_sq;
  }
  void carry_on(int64_t g) { log_w_[g].copy_(proposed_[g]); }
  void reset(int64_t g) { log_w_[g].fill_(0.0); }
  const torch::Tensor& log_weights() const { return log_w_; }
  const std::vector<double>& log_z() const { return log_z_; }

 private:
  torch::Tensor log_w_, proposed_, normalized_;
  std::vector<double> log_z_;
};

// Resample when ESS < threshold * N (threshold >= 1: every step), never after the last step (its
// weights are returned) and never at lambda = 0 (uniform weights: it would only add noise).
bool resamples(double ess, int64_t n, bool final, const SmcOptions& o) {
  return !final && o.lambda != 0.0 && (o.ess_threshold >= 1.0 || ess < o.ess_threshold * static_cast<double>(n));
}

// What follows each particle through a resampling: its sample (and reused denoiser) on the rank
// that holds it, and the scalars every rank keeps for the whole population.
struct Particles {
  torch::Tensor x;         // this rank's samples at the current time
  torch::Tensor denoised;  // D_t(x_t) for the next move, when it is reused (else undefined)
  PotentialState state;    // whole population: what each lineage's potentials have seen
  torch::Tensor roots;     // whole population: the time-0 particle each descends from (int64)
  torch::Tensor rewards;   // whole population: this step's rewards (float64)

  // Returns the bytes of samples that crossed between ranks.
  int64_t select(const std::vector<int64_t>& ancestors, const ShardedPopulation& pop) {
    const torch::Tensor idx = torch::tensor(ancestors, torch::kInt64);
    state = state.select(idx);
    roots = roots.index_select(0, idx);
    rewards = rewards.index_select(0, idx);
    const RowRoute route = pop.reindex_route(ancestors);
    const auto bytes_per_row = [](const torch::Tensor& t) {
      int64_t n = t.element_size();
      for (int64_t d = 1; d < t.dim(); ++d) n *= t.size(d);
      return n;
    };
    int64_t row_bytes = bytes_per_row(x);
    x = route.fetch(pop.comm(), x);
    if (denoised.defined()) {
      row_bytes += bytes_per_row(denoised);
      denoised = route.fetch(pop.comm(), denoised);
    }
    return route.rows_moved() * row_bytes;
  }
};

// The whole population's per-particle rewards from this rank's share.
torch::Tensor everywhere(const ShardedPopulation& pop, const torch::Tensor& local_rewards) {
  return pop.gather_everywhere(local_rewards.to(torch::kCPU, torch::kFloat64));
}

}  // namespace

void require_stochastic_kernel(const TransitionKernel& kernel) {
  if (!kernel.stochastic())
    throw std::invalid_argument("SMC: needs a stochastic transition kernel; '" + kernel.name() +
                                "' is deterministic, so resampling would only copy identical futures "
                                "(use glass, ddpm or sde; or best-of-N for the ODE)");
}

bool smc_reuses_start_denoiser(const TransitionKernel& kernel, const FlowModel& model, const SmcOptions& options) {
  return options.intermediate == IntermediateReward::Denoised && kernel.takes_start_denoiser_of(model);
}

int64_t smc_nfe_per_particle(const TransitionKernel& kernel, const FlowModel& model, const std::vector<double>& grid,
                             const SmcOptions& options) {
  return smc_nfe_per_particle(kernel, grid, options, smc_reuses_start_denoiser(kernel, model, options));
}

int64_t smc_nfe_per_particle(const TransitionKernel& kernel, const std::vector<double>& grid, const SmcOptions& options,
                             bool reuses_start_denoiser) {
  const int64_t steps = static_cast<int64_t>(grid.size()) - 1;
  const int64_t per_estimate = options.intermediate == IntermediateReward::Value ? options.value.nfe() : 1;
  const int64_t reused = reuses_start_denoiser ? steps - 1 : 0;
  return steps * kernel.nfe_per_step() + (steps - 1) * per_estimate - reused;
}

namespace {

SmcResult run_population(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                         int64_t groups, at::IntArrayRef sample_shape, const SmcOptions& o, at::Generator& gen,
                         const AlignmentCallback& on_step, const ShardedPopulation& pop) {
  o.validate();
  check_noise_to_data_grid(grid, model);
  if (groups < 1) throw std::invalid_argument("SMC: need at least 1 group");
  require_stochastic_kernel(kernel);
  const CostMeter meter(model, reward);
  const int64_t n = o.particles, total = groups * n, local = pop.count();
  const int K = static_cast<int>(grid.size()) - 1;
  const bool reuse = smc_reuses_start_denoiser(kernel, model, o);

  Particles p{prior_noise(local, sample_shape, gen, model.device()), torch::Tensor(), PotentialState::start(total),
              torch::arange(total, torch::kInt64), torch::Tensor()};
  GroupWeights weights(groups, n);
  SmcResult result;
  for (int k = 1; k <= K; ++k) {
    const bool final = k == K;
    SmcStep step;
    step.t = grid[k];
    step.floored_constraints.assign(static_cast<size_t>(groups), 0);

    // Move: every particle one transition on (from the potential's D_t(x_t) where it is reused).
    // A rank with no share (fewer blocks than ranks) only joins the collectives.
    const torch::Tensor t0 = full_times(local, grid[k - 1]), t1 = full_times(local, grid[k]);
    if (local > 0)
      p.x = (reuse && p.denoised.defined() ? kernel.step_from_denoised(p.x, t0, t1, p.denoised, gen)
                                           : kernel.step(p.x, t0, t1, gen))
                .x.detach();

    // Score: the true reward at t = 1, the intermediate reward before.
    {
      torch::NoGradGuard no_grad;
      if (final) {
        p.rewards = everywhere(pop, local > 0 ? reward(p.x) : torch::empty({0}, torch::kFloat64));
      } else {
        Intermediate in = local > 0 ? intermediate_rewards(model, reward, p.x, grid[k], o, gen)
                                    : Intermediate{torch::empty({0}, torch::kFloat64), torch::empty_like(p.x)};
        p.rewards = everywhere(pop, in.rewards);
        step.floored_constraints = floor_constraint_violations(p.rewards, groups);
        p.denoised = reuse ? in.denoised : torch::Tensor();
      }
    }

    // Reweight by the step's potentials.
    weights.reweight(log_potential(o.potential, o.lambda, p.rewards, final, o.final_correction, p.state), k);
    step.rewards = p.rewards.clone();
    step.log_weights = weights.proposed().clone();

    // Decide and resample, group by group (every rank alike: same weights, same stream); track the
    // lineages.
    std::vector<int64_t> ancestors(static_cast<size_t>(total));
    bool any_resampled = false;
    const auto root_of = p.roots.accessor<int64_t, 1>();
    for (int64_t g = 0; g < groups; ++g) {
      const double ess = weights.ess(g);
      const bool resample_now = resamples(ess, n, final, o);
      step.ess.push_back(ess);
      step.resampled.push_back(resample_now);
      std::vector<int64_t> chosen(static_cast<size_t>(n));
      if (resample_now) {
        chosen = resample(o.resampling, weights.normalized(g), n, gen);
        weights.reset(g);
        any_resampled = true;
      } else {
        for (int64_t i = 0; i < n; ++i) chosen[static_cast<size_t>(i)] = i;
        weights.carry_on(g);
      }
      std::set<int64_t> parents(chosen.begin(), chosen.end()), lineages;
      for (int64_t i = 0; i < n; ++i) {
        ancestors[static_cast<size_t>(g * n + i)] = g * n + chosen[static_cast<size_t>(i)];
        lineages.insert(root_of[g * n + chosen[static_cast<size_t>(i)]]);
      }
      step.distinct_parents.push_back(static_cast<int64_t>(parents.size()));
      step.surviving_lineages.push_back(static_cast<int64_t>(lineages.size()));
    }
    if (any_resampled) step.bytes_moved = p.select(ancestors, pop);
    result.steps.push_back(std::move(step));
    if (on_step) on_step(k, K);
  }

  // Summarise: one draw per group from the final weights; samples and particles on rank 0.
  const torch::Tensor final_w = torch::softmax(weights.log_weights(), 1);
  const torch::Tensor pick = sample_categorical(final_w, gen) + torch::arange(groups, torch::kInt64) * n;
  const std::vector<int64_t> picked(pick.data_ptr<int64_t>(), pick.data_ptr<int64_t>() + groups);
  std::vector<int64_t> all(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) all[static_cast<size_t>(i)] = i;
  result.samples =
      pop.layout().world_size() == 1 ? p.x.index_select(0, pick.to(p.x.device())) : pop.to_root(p.x, picked);
  result.particles = pop.layout().world_size() == 1 ? p.x : pop.to_root(p.x, all);
  result.sample_rewards = p.rewards.index_select(0, pick);
  result.log_weights = weights.log_weights();
  result.rewards = p.rewards;
  result.log_z = weights.log_z();
  result.cost = sum_over_ranks(pop.comm(), meter.cost(groups));
  result.cost.outputs = groups;
  return result;
}

}  // namespace

SmcResult run_smc(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                  int64_t groups, at::IntArrayRef sample_shape, const SmcOptions& o, at::Generator& gen,
                  const AlignmentCallback& on_step) {
  o.validate();
  if (groups < 1) throw std::invalid_argument("SMC: need at least 1 group");
  return run_population(model, kernel, reward, grid, groups, sample_shape, o, gen, on_step,
                        ShardedPopulation::whole(groups * o.particles));
}

SmcResult run_smc_sharded(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                          int64_t groups, at::IntArrayRef sample_shape, const SmcOptions& o, const Sharding& sharding,
                          const AlignmentCallback& on_step) {
  o.validate();
  if (groups < 1) throw std::invalid_argument("SMC: need at least 1 group");
  const ShardedPopulation pop = sharding.population(groups * o.particles);
  at::Generator gen = make_particle_keyed_generator(sharding.seed, pop.begin(), pop.count());
  return run_population(model, kernel, reward, grid, groups, sample_shape, o, gen, on_step, pop);
}

}  // namespace glass
