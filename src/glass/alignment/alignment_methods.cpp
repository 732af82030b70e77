#include "glass/alignment/alignment_methods.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "glass/guidance/guided_flow_model.h"
#include "glass/guidance/value_guided_kernel.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"

namespace glass {

const NameTable<AlignmentMethod>& alignment_method_names() {
  static const NameTable<AlignmentMethod> table{
      {"plain", AlignmentMethod::Plain},
      {"guidance", AlignmentMethod::Guidance},
      {"value-guidance", AlignmentMethod::ValueGuidance},
      {"best-of-n", AlignmentMethod::BestOfN},
      {"smc", AlignmentMethod::Smc},
      {"smc+guidance", AlignmentMethod::SmcGuidance},
      {"smc+value-guidance", AlignmentMethod::SmcValueGuidance},
  };
  return table;
}

bool is_smc(AlignmentMethod m) {
  return m == AlignmentMethod::Smc || m == AlignmentMethod::SmcGuidance || m == AlignmentMethod::SmcValueGuidance;
}
bool uses_denoiser_guidance(AlignmentMethod m) {
  return m == AlignmentMethod::Guidance || m == AlignmentMethod::SmcGuidance;
}
bool uses_value_guidance(AlignmentMethod m) {
  return m == AlignmentMethod::ValueGuidance || m == AlignmentMethod::SmcValueGuidance;
}
bool uses_particles(AlignmentMethod m) { return m == AlignmentMethod::BestOfN || is_smc(m); }

void AlignmentSettings::validate() const {
  smc.validate();
  guidance.validate("denoiser guidance");
  value_guidance.validate("value guidance");
  if (particles < 0) throw std::invalid_argument("alignment: particles must be >= 0 (0: as the budget allows)");
  if (!(max_nfe >= 0.0)) throw std::invalid_argument("alignment: the call budget must be >= 0 (0: no limit)");
}

Aligner::Aligner(FlowModel& model, KernelFactory kernel, RewardPtr reward, std::vector<double> grid,
                 std::vector<int64_t> sample_shape, AlignmentSettings settings)
    : model_(model), make_kernel_(std::move(kernel)), reward_(std::move(reward)), grid_(std::move(grid)),
      sample_shape_(std::move(sample_shape)), settings_(std::move(settings)) {
  if (!make_kernel_) throw std::invalid_argument("alignment: no kernel");
  kernel_ = make_kernel_(model_);
  if (!kernel_) throw std::invalid_argument("alignment: the kernel factory built no kernel");
  if (!reward_) throw std::invalid_argument("alignment: no reward");
  settings_.validate();
  check_starts_from_noise(grid_, model_, "align");
}

int64_t Aligner::nfe_per_particle(AlignmentMethod method) const {
  const int64_t steps = static_cast<int64_t>(grid_.size()) - 1, chain = steps * kernel_->nfe_per_step();
  // Value guidance estimates after each transition that ends inside its window, before t = 1.
  int64_t guided_steps = 0;
  for (size_t k = 1; k + 1 < grid_.size(); ++k) guided_steps += settings_.value_guidance.at(grid_[k]) != 0.0;
  const int64_t value_guidance = guided_steps * settings_.smc.value.nfe();
  switch (method) {
    case AlignmentMethod::ValueGuidance: return chain + value_guidance;
    // Guided kernels see another denoiser than the potentials' (and the value-guided wrapper moves
    // with its own calls): no potential's denoiser is reused. Guidance costs no extra NFE.
    case AlignmentMethod::SmcValueGuidance:
      return smc_nfe_per_particle(*kernel_, grid_, settings_.smc, false) + value_guidance;
    case AlignmentMethod::Smc: return smc_nfe_per_particle(*kernel_, model_, grid_, settings_.smc);
    case AlignmentMethod::SmcGuidance: return smc_nfe_per_particle(*kernel_, grid_, settings_.smc, false);
    default: return chain;
  }
}

int64_t Aligner::calls_per_output(AlignmentMethod method, int64_t particles) const {
  if (!is_smc(method) || settings_.smc.funnel.empty()) return particles * nfe_per_particle(method);
  SmcOptions o = settings_.smc;
  o.particles = particles;
  const bool reuse = method == AlignmentMethod::Smc && smc_reuses_start_denoiser(*kernel_, model_, o);
  int64_t calls = smc_nfe_per_group(*kernel_, grid_, o, reuse);
  if (uses_value_guidance(method))  // a value estimate for each particle that moved into the window
    for (size_t k = 1; k + 1 < grid_.size(); ++k)
      if (settings_.value_guidance.at(grid_[k]) != 0.0) calls += o.particles_at(grid_[k - 1]) * o.value.nfe();
  return calls;
}

int64_t Aligner::peak_rows_per_output(AlignmentMethod method, int64_t particles) const {
  int64_t samples_per_particle = 1;  // value estimates batch their posterior samples with the particles
  const SmcOptions& o = settings_.smc;
  if (uses_value_guidance(method) || (is_smc(method) && o.intermediate == IntermediateReward::Value))
    samples_per_particle = o.value.samples;
  if (is_smc(method) && o.intermediate == IntermediateReward::MultilevelValue)
    samples_per_particle = *std::max_element(o.multilevel.samples.begin(), o.multilevel.samples.end());
  return particles * samples_per_particle * model_.rows_per_particle();
}

double Aligner::budget() const {
  if (settings_.max_nfe > 0) return settings_.max_nfe;
  if (settings_.particles > 0) return 0.0;
  return 8.0 * static_cast<double>(nfe_per_particle(AlignmentMethod::Plain) * model_.rows_per_particle());
}

bool Aligner::prunes(AlignmentMethod method) const {
  if (!settings_.smc.prune || !is_smc(method)) return false;
  if (uses_value_guidance(method))
    throw std::invalid_argument(
        "pruning: SMC with value guidance spends calls its budget does not see; run it without");
  return true;
}

int64_t Aligner::pruned_start(AlignmentMethod method, int64_t constant, double max_nfe, int64_t rows_per_call) const {
  // kPruneStart times the constant count, fewer while the first move and one particle through the
  // rest would not fit: the run's cap then shrinks the count where the merges save too little.
  const int steps = static_cast<int>(grid_.size()) - 1;
  const bool reuse = method == AlignmentMethod::Smc && smc_reuses_start_denoiser(*kernel_, model_, settings_.smc);
  const auto calls = [&](int k) { return smc_step_calls(*kernel_, k, steps, settings_.smc, reuse); };
  int64_t rest = 0;
  for (int k = 2; k <= steps; ++k) rest += calls(k);
  const int64_t budget = static_cast<int64_t>(max_nfe) / rows_per_call;
  int64_t start = static_cast<int64_t>(kPruneStart * static_cast<double>(constant));
  while (start > constant && start * calls(1) + rest > budget) --start;
  return start;
}

MethodPlan Aligner::plan(AlignmentMethod method) const {
  const std::string name = name_of(alignment_method_names(), method);
  if (is_smc(method)) require_stochastic_kernel(*kernel_);
  // A Diamond kernel's one-call moves are counted as the model's rows too: under guidance the plan
  // is then conservative (the map evaluates one row per particle).
  MethodPlan p{method, 1, nfe_per_particle(method), model_.rows_per_particle()};
  const double max_nfe = budget();
  const int64_t rows_per_chain = p.nfe_per_particle * p.rows_per_call;
  const auto rows_of = [&](int64_t particles) {
    return static_cast<double>(calls_per_output(method, particles) * p.rows_per_call);
  };
  if (uses_particles(method)) {
    p.particles = settings_.particles > 0 ? settings_.particles : 8;
    if (settings_.particles == 0 && max_nfe > 0) {
      if (p.nfe_per_particle == 0)
        throw std::invalid_argument("method '" + name + "': the " + kernel_->name() +
                                    " kernel makes no network calls, so a call budget cannot size it; give the "
                                    "particles");
      // As many full chains as fit, then more while a funnel's savings pay for them.
      p.particles = static_cast<int64_t>(max_nfe / static_cast<double>(rows_per_chain));
      while (p.particles > 0 && rows_of(p.particles + 1) <= max_nfe) ++p.particles;
      if (prunes(method) && p.particles > 0) p.particles = pruned_start(method, p.particles, max_nfe, p.rows_per_call);
    }
  }
  p.calls_per_output = calls_per_output(method, std::max<int64_t>(p.particles, 1));
  p.prunes = prunes(method);
  if (p.prunes && settings_.particles == 0 && max_nfe > 0 && p.particles > 0)
    p.calls_per_output = static_cast<int64_t>(max_nfe) / p.rows_per_call;  // at most: the run's cap
  p.peak_rows_per_output = peak_rows_per_output(method, std::max<int64_t>(p.particles, 1));
  if (max_nfe > 0 && (p.particles < 1 || static_cast<double>(p.nfe_per_output()) > max_nfe))
    throw std::invalid_argument("method '" + name + "' needs " + std::to_string(p.nfe_per_output()) +
                                " network rows per sample, over the budget of " + c10::str(max_nfe) +
                                " (--max-nfe; one chain costs " + std::to_string(rows_per_chain) +
                                (p.rows_per_call > 1 ? ": " + std::to_string(p.nfe_per_particle) + " calls of " +
                                                           std::to_string(p.rows_per_call) + " rows per particle"
                                                     : std::string()) +
                                ")");
  return p;
}

AlignmentRun Aligner::run(const MethodPlan& plan, int64_t outputs, at::Generator& gen,
                          const AlignmentCallback& on_step) {
  return run_with(plan, outputs, &gen, nullptr, on_step);
}

AlignmentRun Aligner::run_sharded(const MethodPlan& plan, int64_t outputs, const Sharding& sharding,
                                  const AlignmentCallback& on_step) {
  sharding.validate();
  return run_with(plan, outputs, nullptr, &sharding, on_step);
}

AlignmentRun Aligner::run_with(const MethodPlan& plan, int64_t outputs, at::Generator* gen, const Sharding* sharding,
                               const AlignmentCallback& on_step) {
  if (outputs < 1) throw std::invalid_argument("alignment: need at least 1 output");
  const auto start = std::chrono::steady_clock::now();
  const AlignmentMethod m = plan.method;
  const AlignmentSettings& s = settings_;
  AlignmentRun out;
  out.plan = plan;
  // Denoiser guidance wraps the model the kernel moves with; the plain model stays as it is.
  std::unique_ptr<GuidedFlowModel> guided_model;
  std::unique_ptr<TransitionKernel> guided_kernel;
  TransitionKernel* kernel = kernel_.get();
  if (uses_denoiser_guidance(m)) {
    guided_model = std::make_unique<GuidedFlowModel>(
        model_, DenoiserGuidance{reward_, s.guidance, s.guidance_detached, s.smc.lambda});
    guided_kernel = make_kernel_(*guided_model);
    kernel = guided_kernel.get();
  }
  // Value guidance wraps the kernel: a drift up the value after every transition.
  std::unique_ptr<TransitionKernel> value_kernel;
  if (uses_value_guidance(m)) {
    value_kernel = std::make_unique<ValueGuidedKernel>(
        *kernel, model_, ValueGuidanceOptions{reward_, s.smc.lambda, s.smc.value, s.value_guidance});
    kernel = value_kernel.get();
  }
  Reward& reward = *reward_;
  if (m == AlignmentMethod::BestOfN) {
    const BestOfNSelection choose{s.select.value_or(Selection::Argmax), s.smc.lambda};
    BestOfNResult r = sharding ? best_of_n_sharded(model_, *kernel, reward, grid_, outputs, plan.particles,
                                                   sample_shape_, *sharding, on_step, choose)
                               : best_of_n(model_, *kernel, reward, grid_, outputs, plan.particles, sample_shape_, *gen,
                                           on_step, choose);
    out.samples = r.samples;
    out.rewards = r.sample_rewards;
    out.weights = r.sample_weights;
    out.select = choose.select;
    out.cost = r.cost;
    out.best_of_n = std::move(r);
  } else if (is_smc(m)) {
    SmcOptions so = s.smc;
    so.particles = plan.particles;
    // Pruning sized by a budget stops where it is spent (particles given: no cap, the count only shrinks).
    if (so.prune && s.particles == 0 && budget() > 0) so.prune_budget = plan.calls_per_output;
    so.select = s.select.value_or(so.select);
    SmcResult r = sharding
                      ? run_smc_sharded(model_, *kernel, reward, grid_, outputs, sample_shape_, so, *sharding, on_step)
                      : run_smc(model_, *kernel, reward, grid_, outputs, sample_shape_, so, *gen, on_step);
    out.samples = r.samples;
    out.rewards = r.sample_rewards;
    out.weights = r.sample_weights;
    out.select = so.select;
    out.cost = r.cost;
    out.exact_target = m == AlignmentMethod::Smc && smc_targets_exactly(so);
    out.smc = std::move(r);
  } else {
    // One chain per output (best-of-1: the same code, sharded or not).
    BestOfNResult r =
        sharding ? best_of_n_sharded(model_, *kernel, reward, grid_, outputs, 1, sample_shape_, *sharding, on_step)
                 : best_of_n(model_, *kernel, reward, grid_, outputs, 1, sample_shape_, *gen, on_step);
    out.samples = r.samples;
    out.rewards = r.sample_rewards;
    out.weights = r.sample_weights;
    out.cost = r.cost;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace glass
