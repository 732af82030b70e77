#include "glass/alignment/smc.h"

#include <c10/util/StringUtil.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "glass/alignment/group_weights.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/util/check.h"
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
      {"value-multilevel", IntermediateReward::MultilevelValue},
  };
  return table;
}

IntermediateReward parse_intermediate_reward(const std::string& name) {
  return parse_named(intermediate_reward_names(), name, "intermediate reward");
}

std::string to_string(IntermediateReward kind) { return name_of(intermediate_reward_names(), kind); }

const NameTable<Allocation>& allocation_names() {
  static const NameTable<Allocation> table{
      {"weights", Allocation::Weights},
      {"vasr", Allocation::Vasr},
      {"vasr-max-biased", Allocation::VasrMaxBiased},
  };
  return table;
}

std::string to_string(Allocation allocation) { return name_of(allocation_names(), allocation); }

std::vector<FunnelStage> parse_funnel(const std::string& text) {
  std::vector<FunnelStage> funnel;
  if (text.empty()) return funnel;
  for (const std::string& stage : split(text, ',')) {
    const std::vector<std::string> parts = split(stage, ':');
    if (parts.size() != 2)
      throw std::invalid_argument("funnel: each stage is from:share (0.5:0.5,0.75:0.25), got " + quote(stage));
    funnel.push_back({parse_double(parts[0], "funnel time"), parse_double(parts[1], "funnel share")});
  }
  return funnel;
}

std::string funnel_text(const std::vector<FunnelStage>& funnel) {
  std::string out;
  for (const FunnelStage& s : funnel) out += (out.empty() ? "" : ",") + c10::str(s.from) + ":" + c10::str(s.share);
  return out;
}

int64_t SmcOptions::particles_at(double t) const {
  double share = 1.0;
  for (const FunnelStage& s : funnel)
    if (t >= s.from) share = s.share;
  return std::max<int64_t>(1, std::llround(share * static_cast<double>(particles)));
}

bool smc_targets_exactly(const SmcOptions& o) {
  return (o.potential == PotentialKind::Difference || o.final_correction) &&
         o.allocation != Allocation::VasrMaxBiased && o.select != Selection::Argmax;
}

void SmcOptions::validate() const {
  GLASS_CHECK(particles >= 1, "SMC: need at least 1 particle per group, got ", particles);
  GLASS_CHECK(std::isfinite(lambda) && lambda >= 0.0,
              "SMC: lambda must be a finite number >= 0 (negate the reward to minimise it), got ", lambda);
  GLASS_CHECK(std::isfinite(ess_threshold) && ess_threshold >= 0.0,
              "SMC: the ESS threshold must be >= 0 (1 = resample every step), got ", ess_threshold);
  GLASS_CHECK(tempering_ess >= 0.0 && tempering_ess < 1.0,
              "SMC: the tempering ESS must be in [0, 1) (0: no tempering), got ", tempering_ess);
  GLASS_CHECK(tempering_ess == 0.0 || potential == PotentialKind::Difference,
              "SMC: tempering needs the difference potential (its tilt lambda_k r_k telescopes)");
  double last_from = 0.0, last_share = 1.0;
  for (const FunnelStage& s : funnel) {
    GLASS_CHECK(s.from > last_from && s.from < 1.0, "SMC: the funnel's times must increase within (0, 1), got ",
                s.from);
    GLASS_CHECK(s.share > 0.0 && s.share <= last_share,
                "SMC: the funnel's shares must be in (0, 1] and never grow, got ", s.share);
    last_from = s.from;
    last_share = s.share;
  }
  GLASS_CHECK(funnel.empty() || resampling != ResamplingScheme::Killing,
              "SMC: killing resampling keeps the count; a funnel needs another scheme");
  GLASS_CHECK(!prune || funnel.empty(), "SMC: pruning sets the count at run time; give it or a funnel, not both");
  GLASS_CHECK(!prune || resampling != ResamplingScheme::Killing,
              "SMC: killing resampling keeps the count; pruning needs another scheme");
  GLASS_CHECK(prune_budget >= 0 && (prune || prune_budget == 0),
              "SMC: a pruning budget needs pruning on and is >= 0, got ", prune_budget);
  if (intermediate == IntermediateReward::Value) value.validate();
  if (intermediate == IntermediateReward::MultilevelValue) multilevel.validate();
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
  if (o.intermediate == IntermediateReward::MultilevelValue)
    return {estimate_value_multilevel(model, reward, x, times, o.lambda, o.multilevel, gen).value, torch::Tensor()};
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

// Resample when ESS < threshold * N (threshold >= 1: every step), never after the last step (its
// weights are returned) and never at lambda = 0 (uniform weights: it would only add noise).
bool resamples(double ess, int64_t n, bool final, const SmcOptions& o) {
  return !final && o.lambda != 0.0 && (o.ess_threshold >= 1.0 || ess < o.ess_threshold * static_cast<double>(n));
}

// The largest lambda_k in [lo, hi] whose step keeps the group's ESS >= target_ess * N: the ESS of
// log_w + lambda_k r - lambda_{k-1} r_prev, found by bisection (hi when it already passes).
double tempered_lambda(const torch::Tensor& log_w, const torch::Tensor& r, const torch::Tensor& prev_tilt, double lo,
                       double hi, double target_ess) {
  const double n = static_cast<double>(log_w.size(0));
  const auto ess_at = [&](double lambda) {
    const torch::Tensor w = torch::softmax(log_w + r * lambda - prev_tilt, 0);
    return 1.0 / (w * w).sum().item<double>();
  };
  if (ess_at(hi) >= target_ess * n) return hi;
  for (int i = 0; i < 50 && hi - lo > 1e-9 * std::max(1.0, hi); ++i) {
    const double mid = 0.5 * (lo + hi);
    (ess_at(mid) >= target_ess * n ? lo : hi) = mid;
  }
  return lo;
}

// One group's resampling: the ancestors (within the group) and the offspring's log-weights.
struct GroupResampling {
  std::vector<int64_t> ancestors;
  torch::Tensor log_weights;  // float64 [N]
};

// `count` offspring (N, or a funnel's next count).
GroupResampling resample_group(const std::vector<double>& w, const torch::Tensor& rewards, double lambda, int64_t count,
                               const SmcOptions& o, at::Generator& gen) {
  const int64_t n = static_cast<int64_t>(w.size());
  const torch::Tensor weights = torch::tensor(w, torch::kFloat64);
  // The allocation m: the weights, or the weights tilted once more by the step's reward.
  torch::Tensor m = weights;
  if (o.allocation != Allocation::Weights) m = torch::softmax(torch::log(weights) + rewards * lambda, 0).contiguous();
  const std::vector<double> mass(m.data_ptr<double>(), m.data_ptr<double>() + n);
  GroupResampling out;
  if (o.resampling_order == ResamplingOrder::Reward) {
    const torch::Tensor keys = rewards.contiguous();
    out.ancestors = resample_in_order(
        o.resampling, mass, std::vector<double>(keys.data_ptr<double>(), keys.data_ptr<double>() + n), count, gen);
  } else {
    out.ancestors = resample(o.resampling, mass, count, gen);
  }
  const torch::Tensor idx = torch::tensor(out.ancestors, torch::kInt64);
  out.log_weights = o.allocation == Allocation::Vasr ? (torch::log(weights) - torch::log(m)).index_select(0, idx)
                                                     : torch::zeros({count}, torch::kFloat64);
  return out;
}

// Pruning: a group's draw as its distinct parents, each once with the summed weight of its
// offspring, then the heaviest split into equal shares until there are `count` (>= the distinct
// parents). The weights are scaled to sum to `count` times the draw's mean, so the population is
// the draw's (GroupWeights::restart adds the same to log Z).
GroupResampling merge_copies(const GroupResampling& draw, int64_t count) {
  std::map<int64_t, double> mass;  // parent -> summed offspring weight
  const auto lw = draw.log_weights.accessor<double, 1>();
  for (size_t i = 0; i < draw.ancestors.size(); ++i) mass[draw.ancestors[i]] += std::exp(lw[static_cast<int64_t>(i)]);
  struct Share {
    int64_t parent;
    double mass;
    int64_t pieces;
  };
  std::vector<Share> shares;
  for (const auto& [parent, m] : mass) shares.push_back({parent, m, 1});
  for (int64_t have = static_cast<int64_t>(shares.size()); have < count; ++have) {
    auto heaviest = std::max_element(shares.begin(), shares.end(), [](const Share& a, const Share& b) {
      return a.mass / static_cast<double>(a.pieces) < b.mass / static_cast<double>(b.pieces);
    });
    ++heaviest->pieces;
  }
  const double scale = static_cast<double>(count) / static_cast<double>(draw.ancestors.size());
  GroupResampling out;
  std::vector<double> log_w;
  for (const Share& s : shares)
    for (int64_t j = 0; j < s.pieces; ++j) {
      out.ancestors.push_back(s.parent);
      log_w.push_back(std::log(s.mass / static_cast<double>(s.pieces) * scale));
    }
  out.log_weights = torch::tensor(log_w, torch::kFloat64);
  return out;
}

int64_t distinct(const std::vector<int64_t>& ancestors) {
  return static_cast<int64_t>(std::set<int64_t>(ancestors.begin(), ancestors.end()).size());
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
    if (pop.layout().world_size() == 1) {  // any count of ancestors (a funnel shrinks them)
      x = x.index_select(0, idx.to(x.device()));
      if (denoised.defined()) denoised = denoised.index_select(0, idx.to(denoised.device()));
      return 0;
    }
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

int64_t intermediate_nfe(const SmcOptions& o) {
  switch (o.intermediate) {
    case IntermediateReward::Value: return o.value.nfe();
    case IntermediateReward::MultilevelValue: return o.multilevel.nfe();
    default: return 1;
  }
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
  const int64_t per_estimate = intermediate_nfe(options);
  const int64_t reused = reuses_start_denoiser ? steps - 1 : 0;
  return steps * kernel.nfe_per_step() + (steps - 1) * per_estimate - reused;
}

int64_t smc_step_calls(const TransitionKernel& kernel, int k, int steps, const SmcOptions& options,
                       bool reuses_start_denoiser) {
  int64_t calls = kernel.nfe_per_step();
  if (k < steps) calls += intermediate_nfe(options);
  if (k > 1 && reuses_start_denoiser) calls -= 1;  // the previous potential's D_t(x_t)
  return calls;
}

int64_t smc_nfe_per_group(const TransitionKernel& kernel, const std::vector<double>& grid, const SmcOptions& options,
                          bool reuses_start_denoiser) {
  const int steps = static_cast<int>(grid.size()) - 1;
  int64_t calls = 0;
  for (int k = 1; k <= steps; ++k)
    calls += options.particles_at(grid[k - 1]) * smc_step_calls(kernel, k, steps, options, reuses_start_denoiser);
  return calls;
}

namespace {

// Each group's tilt for this step: lambda, or with tempering the largest lambda_k >= the lineage's
// last one that keeps the ESS up; the last step always reaches lambda (the target). All particles
// of a group share their lambda_{k-1} (set at the previous step for the whole group).
std::vector<double> step_lambdas(const GroupWeights& weights, const Particles& p, bool final, const SmcOptions& o) {
  const int64_t groups = weights.log_weights().size(0), n = weights.log_weights().size(1);
  std::vector<double> out(static_cast<size_t>(groups), o.lambda);
  if (o.tempering_ess <= 0.0 || final || o.lambda == 0.0) return out;
  const torch::Tensor prev_tilt = (p.state.previous * p.state.previous_lambda).view({groups, n});
  const torch::Tensor r = p.rewards.view({groups, n});
  for (int64_t g = 0; g < groups; ++g) {
    const double lo = p.state.previous_lambda[g * n].item<double>();
    out[static_cast<size_t>(g)] =
        tempered_lambda(weights.log_weights()[g], r[g], prev_tilt[g], lo, o.lambda, o.tempering_ess);
  }
  return out;
}

// One SMC step, in four named parts: move, score, reweight, resample.

// Move: every particle one transition on (from the potential's D_t(x_t) where it is reused). A rank
// with no share (fewer blocks than ranks) only joins the collectives.
void move_particles(TransitionKernel& kernel, Particles& p, double from, double to, bool reuse, at::Generator& gen) {
  const int64_t local = p.x.size(0);
  if (local == 0) return;
  const torch::Tensor t0 = full_times(local, from), t1 = full_times(local, to);
  p.x = (reuse && p.denoised.defined() ? kernel.step_from_denoised(p.x, t0, t1, p.denoised, gen)
                                       : kernel.step(p.x, t0, t1, gen))
            .x.detach();
}

// Score: the true reward at t = 1, the intermediate reward before (its -inf floored, counted in
// `step`), gathered for the whole population on every rank.
void score_particles(FlowModel& model, Reward& reward, Particles& p, double t, bool final, bool reuse, int64_t groups,
                     const SmcOptions& o, const ShardedPopulation& pop, at::Generator& gen, SmcStep& step) {
  torch::NoGradGuard no_grad;
  const bool has_share = p.x.size(0) > 0;
  if (final) {
    p.rewards = everywhere(pop, has_share ? reward(p.x) : torch::empty({0}, torch::kFloat64));
    return;
  }
  Intermediate in = has_share ? intermediate_rewards(model, reward, p.x, t, o, gen)
                              : Intermediate{torch::empty({0}, torch::kFloat64), torch::empty_like(p.x)};
  p.rewards = everywhere(pop, in.rewards);
  step.floored_constraints = floor_constraint_violations(p.rewards, groups);
  p.denoised = reuse ? in.denoised : torch::Tensor();
}

// Reweight by the step's potentials, at each group's tilt lambda_k (lambda unless tempering); the
// potentials update what each lineage has seen (p.state).
void reweight_particles(GroupWeights& weights, Particles& p, int64_t n, int k, bool final, const SmcOptions& o,
                        SmcStep& step) {
  step.lambda = step_lambdas(weights, p, final, o);
  const torch::Tensor lambdas = torch::tensor(step.lambda, torch::kFloat64).repeat_interleave(n);
  weights.reweight(log_potential(o.potential, lambdas, p.rewards, final, o.final_correction, p.state), k);
  step.rewards = p.rewards.clone();
  step.log_weights = weights.proposed().clone();
}

// Resample: decide group by group (every rank alike: same weights, same stream) and draw each
// resampling group's ancestors; the lineages are tracked in `step`. The count moving on is
// `next_n` (a funnel's stage resamples every group to its smaller count), with pruning set here:
// at most `cap` (what the budget pays for), and when every group resamples, the most distinct
// parents of the groups' draws (merge_copies). Returns the whole population's ancestors (nothing
// when no group resampled) and the count.
struct Resampled {
  std::vector<int64_t> ancestors;
  int64_t count = 0;
};

Resampled resample_particles(GroupWeights& weights, const Particles& p, int64_t groups, int64_t n, int64_t next_n,
                             int64_t cap, bool final, const SmcOptions& o, at::Generator& gen, SmcStep& step) {
  std::vector<bool> by_ess;
  for (int64_t g = 0; g < groups; ++g) {
    step.ess.push_back(weights.ess(g));
    by_ess.push_back(resamples(step.ess.back(), n, final, o));
  }
  const auto draw = [&](int64_t g, int64_t count) {
    return resample_group(weights.normalized(g), p.rewards.narrow(0, g * n, n), step.lambda[static_cast<size_t>(g)],
                          count, o, gen);
  };
  std::vector<GroupResampling> drawn;  // pruning: each group's draw of n offspring
  if (o.prune && !final) {
    next_n = std::clamp<int64_t>(cap, 1, n);
    if (std::all_of(by_ess.begin(), by_ess.end(), [](bool b) { return b; })) {
      int64_t most_parents = 1;
      for (int64_t g = 0; g < groups; ++g) {
        drawn.push_back(draw(g, n));
        most_parents = std::max(most_parents, distinct(drawn.back().ancestors));
      }
      next_n = std::min(next_n, most_parents);
    }
  }
  Resampled out{std::vector<int64_t>(static_cast<size_t>(groups * next_n)), next_n};
  bool any_resampled = false;
  const auto root_of = p.roots.accessor<int64_t, 1>();
  for (int64_t g = 0; g < groups; ++g) {
    const bool resample_now = next_n != n || by_ess[static_cast<size_t>(g)];
    step.resampled.push_back(resample_now);
    std::vector<int64_t> chosen(static_cast<size_t>(next_n));
    if (resample_now) {
      const bool merge = !drawn.empty() && distinct(drawn[static_cast<size_t>(g)].ancestors) <= next_n;
      GroupResampling rs = merge ? merge_copies(drawn[static_cast<size_t>(g)], next_n) : draw(g, next_n);
      chosen = std::move(rs.ancestors);
      weights.restart(g, rs.log_weights);
      any_resampled = true;
    } else {
      for (int64_t i = 0; i < n; ++i) chosen[static_cast<size_t>(i)] = i;
      weights.carry_on(g);
    }
    std::set<int64_t> lineages;
    for (int64_t i = 0; i < next_n; ++i) {
      out.ancestors[static_cast<size_t>(g * next_n + i)] = g * n + chosen[static_cast<size_t>(i)];
      lineages.insert(root_of[g * n + chosen[static_cast<size_t>(i)]]);
    }
    step.distinct_parents.push_back(distinct(chosen));
    step.surviving_lineages.push_back(static_cast<int64_t>(lineages.size()));
  }
  weights.advance();
  if (!any_resampled) out.ancestors.clear();
  return out;
}

// What each group returns (o.select), its samples and all particles on rank 0, and the weights.
void summarise(const GroupWeights& weights, const Particles& p, const ShardedPopulation& pop, const SmcOptions& o,
               at::Generator& gen, SmcResult& result) {
  const int64_t total = p.rewards.size(0);
  const std::vector<int64_t> picked = select_rows(o.select, weights.log_weights(), p.rewards, gen);
  const torch::Tensor pick = torch::tensor(picked, torch::kInt64);
  std::vector<int64_t> all(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) all[static_cast<size_t>(i)] = i;
  const bool one_process = pop.layout().world_size() == 1;
  result.samples = one_process ? p.x.index_select(0, pick.to(p.x.device())) : pop.to_root(p.x, picked);
  result.particles = one_process ? p.x : pop.to_root(p.x, all);
  result.sample_rewards = p.rewards.index_select(0, pick);
  result.sample_weights = selected_weights(o.select, weights.log_weights());
  result.log_weights = weights.log_weights();
  result.rewards = p.rewards;
  result.log_z = weights.log_z();
}

SmcResult run_population(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                         int64_t groups, at::IntArrayRef sample_shape, const SmcOptions& o, at::Generator& gen,
                         const AlignmentCallback& on_step, ShardedPopulation pop) {
  o.validate();
  check_noise_to_data_grid(grid, model);
  if (groups < 1) throw std::invalid_argument("SMC: need at least 1 group");
  require_stochastic_kernel(kernel);
  const CostMeter meter(model, reward);
  int64_t n = o.particles;  // a funnel or pruning shrinks it
  int64_t spent = 0;        // network calls per group so far (pruning's budget)
  const int K = static_cast<int>(grid.size()) - 1;
  const bool reuse = smc_reuses_start_denoiser(kernel, model, o);

  Particles p{prior_noise(pop.count(), sample_shape, gen, model.device()), torch::Tensor(),
              PotentialState::start(groups * n), torch::arange(groups * n, torch::kInt64), torch::Tensor()};
  GroupWeights weights(groups, n);
  SmcResult result;
  for (int k = 1; k <= K; ++k) {
    const bool final = k == K;
    SmcStep step;
    step.t = grid[k];
    step.floored_constraints.assign(static_cast<size_t>(groups), 0);
    move_particles(kernel, p, grid[k - 1], grid[k], reuse, gen);
    score_particles(model, reward, p, grid[k], final, reuse, groups, o, pop, gen, step);
    reweight_particles(weights, p, n, k, final, o, step);
    spent += n * smc_step_calls(kernel, k, K, o, reuse);
    int64_t cap = n;  // pruning: the particles the calls left pay for through steps k+1..K
    if (o.prune_budget > 0 && !final) {
      int64_t rest = 0;
      for (int j = k + 1; j <= K; ++j) rest += smc_step_calls(kernel, j, K, o, reuse);
      cap = (o.prune_budget - spent) / rest;
    }
    const Resampled r =
        resample_particles(weights, p, groups, n, final ? n : o.particles_at(grid[k]), cap, final, o, gen, step);
    if (!r.ancestors.empty()) step.bytes_moved = p.select(r.ancestors, pop);
    if (r.count != n) {  // single process only (run_smc_sharded refuses a funnel and pruning)
      n = r.count;
      pop = ShardedPopulation::whole(groups * n);
    }
    result.steps.push_back(std::move(step));
    if (on_step) on_step(k, K);
  }
  summarise(weights, p, pop, o, gen, result);
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
  if (!o.funnel.empty() || o.prune)
    throw std::invalid_argument("SMC: a particle funnel or pruning runs in one process only (not across ranks yet)");
  const ShardedPopulation pop = sharding.population(groups * o.particles);
  at::Generator gen = make_particle_keyed_generator(sharding.seed, pop.begin(), pop.count());
  return run_population(model, kernel, reward, grid, groups, sample_shape, o, gen, on_step, pop);
}

}  // namespace glass
