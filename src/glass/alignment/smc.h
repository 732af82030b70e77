#pragma once
// Sequential Monte Carlo / Feynman-Kac steering towards p(z) exp(lambda r(z)) / Z.
// G independent groups of N particles each move together through every network call; particles
// move by any stochastic transition kernel; weights live in log space, are carried across steps
// that do not resample, and resampling (within each group) happens when ESS < threshold * N.
// Each group delivers one sample, drawn from its final weights, and an estimate of log Z.
// A -inf reward is a hard constraint on the final sample; at intermediate steps it is raised to the
// group's lowest finite reward (a D_t(x_t) outside may still end inside), which keeps the target.
#include <functional>
#include <vector>

#include "glass/alignment/alignment_cost.h"
#include "glass/alignment/potentials.h"
#include "glass/alignment/resampling.h"
#include "glass/alignment/selection.h"
#include "glass/alignment/sharding.h"
#include "glass/transitions/transition.h"
#include "glass/util/enum_names.h"
#include "glass/values/multilevel_value.h"
#include "glass/values/value_estimate.h"

namespace glass {

enum class IntermediateReward {
  Denoised,         // r(D_t(x_t)): one network call and one reward call per step
  Value,            // V_t(x_t) from GLASS posterior samples (ValueOptions)
  MultilevelValue,  // V_t(x_t) from a multilevel estimate (MultilevelValueOptions): most samples cheap
};

// Its names, for parsing, printing and the command line's choices.
const NameTable<IntermediateReward>& intermediate_reward_names();
IntermediateReward parse_intermediate_reward(const std::string& name);
std::string to_string(IntermediateReward kind);

// How a resampling shares out the offspring, m_i (normalised):
//   weights          m_i = w_i, the textbook choice
//   vasr             m_i ~ w_i exp(lambda r_k,i) (VASR, Shekhar et al. 2026: the variance-optimal
//                    allocation), each offspring then carrying the weight w_i / m_i: more
//                    offspring for high rewards, the target and log Z still exact
//   vasr-max-biased  the same allocation without the correction (our reading of VASR-Max): each
//                    resampling tilts by exp(lambda r_k) once more, so the samples lean past the
//                    target towards high rewards and log Z is no estimate of its normaliser
enum class Allocation { Weights, Vasr, VasrMaxBiased };
const NameTable<Allocation>& allocation_names();
std::string to_string(Allocation allocation);

// A stage of a particle funnel: the moves that start at time >= `from` use `share` of each group's
// N particles (rounded, at least 1). The population shrinks by a resampling to the new count at
// the first step that reaches `from`, so the calls saved late pay for more particles early, where
// the paths still branch (the budget sizes N for the whole funnel).
struct FunnelStage {
  double from = 0.0;
  double share = 1.0;
};
// "0.5:0.5,0.75:0.25" (from:share, ...), or "" for none.
std::vector<FunnelStage> parse_funnel(const std::string& text);
std::string funnel_text(const std::vector<FunnelStage>& funnel);

struct SmcOptions {
  int64_t particles = 8;  // N per group
  double lambda = 1.0;    // target p(z) exp(lambda r(z)) / Z; lambda >= 0
  PotentialKind potential = PotentialKind::Difference;
  bool final_correction = true;
  ResamplingScheme resampling = ResamplingScheme::Systematic;
  // Sort the particles by their step reward before resampling (systematic, stratified, ssp).
  ResamplingOrder resampling_order = ResamplingOrder::Index;
  Allocation allocation = Allocation::Weights;
  double ess_threshold = 0.5;  // resample when ESS < threshold * N; >= 1: every step; 0: never
  // Adaptive tempering, > 0: each group's intermediate tilt lambda_k in [lambda_{k-1}, lambda] is the
  // largest that keeps its ESS after the step >= tempering_ess * N (bisection), and the last step
  // reaches lambda (difference potential only). 0: lambda at every step.
  double tempering_ess = 0.0;
  IntermediateReward intermediate = IntermediateReward::Denoised;
  ValueOptions value;
  MultilevelValueOptions multilevel;     // for IntermediateReward::MultilevelValue
  Selection select = Selection::Sample;  // what each group returns
  // Stages at increasing times in (0, 1) with shares in (0, 1], non-increasing; empty: N throughout.
  std::vector<FunnelStage> funnel;
  // Pruning decided at run time. At a resampling that every group makes, each group draws its
  // offspring as usual, and the population moves on with as many particles as the most diverse
  // group has distinct parents: the particles left without offspring are dropped, not replaced,
  // and the copies of one parent become one particle weighted by their number (split into equal
  // shares where a group has fewer parents than the count), so the weighted population is the
  // draw's own and the target and log Z stay exact. The count only shrinks; the calls it saves
  // pay for more particles at the start (the Aligner's sizing). No funnel with it.
  bool prune = false;
  // With pruning, > 0: network calls per group the run may spend; a resampling never leaves more
  // particles than the calls left pay for through the remaining steps (0: no cap).
  int64_t prune_budget = 0;

  void validate() const;
  // Particles per group that move from time t on (N without a funnel).
  int64_t particles_at(double t) const;
};

struct SmcStep {
  double t = 0.0;                            // time reached by this step
  std::vector<double> lambda;                // per group: the tilt lambda_k this step's potentials used
  std::vector<double> ess;                   // per group, after this step's potentials
  std::vector<bool> resampled;               // per group
  std::vector<int64_t> distinct_parents;     // per group: distinct ancestors chosen by this resampling
  std::vector<int64_t> surviving_lineages;   // per group: distinct time-0 particles still alive
  std::vector<int64_t> floored_constraints;  // per group: intermediate rewards -inf, raised to the group's lowest
  torch::Tensor rewards;                     // float64 [G*N]: the step's reward of every particle (after flooring)
  torch::Tensor log_weights;                 // float64 [G, N] after the potentials, before resampling
  int64_t bytes_moved = 0;                   // sharded runs: bytes of particles sent between ranks by this resampling
};

struct SmcResult {
  // Sharded runs: samples and particles on rank 0 only (undefined elsewhere); the scalars, log Z,
  // steps and the cost (summed over ranks) on every rank.
  torch::Tensor samples;         // [G, ...] (select all: [G*N, ...]): what each group returns
  torch::Tensor sample_rewards;  // float64, one per sample
  torch::Tensor sample_weights;  // float64, one per sample: its weight in its group (1 unless select all)
  torch::Tensor particles;       // [G*N, ...] final particles
  torch::Tensor log_weights;     // float64 [G, N] final (unnormalised) log-weights
  torch::Tensor rewards;         // float64 [G*N] final rewards r(z)
  // Per group: the log of the product of the steps' mean incremental weights. An estimate of
  // log E_p[exp(lambda r(z))] when the potentials telescope to lambda r(z) (the difference
  // potential, or max/sum with the final correction) and the allocation is not biased; without
  // the correction, of the normaliser of the potential's own final tilt.
  std::vector<double> log_z;
  std::vector<SmcStep> steps;
  AlignmentCost cost;
};

// Network calls per particle for one intermediate reward: 1 (denoised) or the value estimate's.
int64_t intermediate_nfe(const SmcOptions& options);

// Whether SMC's denoised potentials hand their D_t(x_t) to the kernel's next move: only when the
// kernel's first call is exactly that plain denoiser (GLASS or DDPM moving with `model` itself; not
// a guided wrapper of it, nor a value-guided kernel).
bool smc_reuses_start_denoiser(const TransitionKernel& kernel, const FlowModel& model, const SmcOptions& options);

// Network calls per particle that run_smc(model, kernel, ...) will spend (K outer steps on `grid`).
// When the start denoiser is reused, each move after the first spends one call less:
// K * calls per move + (K - 1) potentials - (K - 1) reused.
int64_t smc_nfe_per_particle(const TransitionKernel& kernel, const FlowModel& model, const std::vector<double>& grid,
                             const SmcOptions& options);
// The same count with the reuse decided by the caller (a kernel it will wrap before running).
int64_t smc_nfe_per_particle(const TransitionKernel& kernel, const std::vector<double>& grid, const SmcOptions& options,
                             bool reuses_start_denoiser);
// Network calls of one particle in step k of `steps` (1-based): its move, its intermediate reward
// unless k is the last, less the reused denoiser after the first move.
int64_t smc_step_calls(const TransitionKernel& kernel, int k, int steps, const SmcOptions& options,
                       bool reuses_start_denoiser);
// Network calls per group: the sum over steps of the particles that move then times the calls of a
// move and of an intermediate reward; N times smc_nfe_per_particle without a funnel.
int64_t smc_nfe_per_group(const TransitionKernel& kernel, const std::vector<double>& grid, const SmcOptions& options,
                          bool reuses_start_denoiser);

// Whether the returned samples are draws from p(z) exp(lambda r) / Z (as the number of particles
// grows): the potentials telescope, the allocation is unbiased and each group returns a draw.
bool smc_targets_exactly(const SmcOptions& options);

// Throws unless the kernel is stochastic (resampling deterministic moves only copies futures).
void require_stochastic_kernel(const TransitionKernel& kernel);

using AlignmentCallback = std::function<void(int k, int K)>;

// grid: 0 = t_0 < ... < t_K = 1. `model` is the plain model that denoised rewards and values score;
// the kernel may move with it or with a guided wrapper of it.
SmcResult run_smc(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                  int64_t groups, at::IntArrayRef sample_shape, const SmcOptions& options, at::Generator& gen,
                  const AlignmentCallback& on_step = {});

// The same SMC with its G * N particles split across the ranks of `sharding` (every rank calls it
// with the same arguments): log-weights gathered to every rank, the same resampling decisions from
// the shared seed, particles sent between ranks as their ancestors require. Noise is keyed by
// global particle index (ParticleKeyedGenerator), so samples, log Z and diagnostics are
// bit-identical for any number of ranks, given batch-invariant network and reward calls
// (sharding.h).
SmcResult run_smc_sharded(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                          int64_t groups, at::IntArrayRef sample_shape, const SmcOptions& options,
                          const Sharding& sharding, const AlignmentCallback& on_step = {});

}  // namespace glass
