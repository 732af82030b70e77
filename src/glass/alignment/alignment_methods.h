#pragma once
// The alignment methods as one composable library part: plain sampling, denoiser guidance, value
// guidance, best-of-N and SMC (alone, with denoiser guidance, with value guidance), each planned
// with its exact network-call cost before it runs, so front ends (the command line, benchmarks,
// Python, distributed runs) compare methods at equal compute through one implementation.
#include <functional>
#include <optional>
#include <vector>

#include "glass/alignment/best_of_n.h"
#include "glass/alignment/smc.h"
#include "glass/guidance/guidance_scale.h"
#include "glass/sampling/kernel_choice.h"
#include "glass/util/enum_names.h"

namespace glass {

enum class AlignmentMethod { Plain, Guidance, ValueGuidance, BestOfN, Smc, SmcGuidance, SmcValueGuidance };

const NameTable<AlignmentMethod>& alignment_method_names();
bool is_smc(AlignmentMethod m);
bool uses_denoiser_guidance(AlignmentMethod m);
bool uses_value_guidance(AlignmentMethod m);
bool uses_particles(AlignmentMethod m);  // best-of-N and SMC: several chains per output

struct AlignmentSettings {
  SmcOptions smc;  // lambda, potential, resampling, ESS threshold, intermediate rewards, values
  // Denoiser and value guidance share the meaning of the scale (1: the tilt exp(lambda r) itself)
  // and, by default, the paper's window [0.2, 0.7].
  GuidanceScale guidance{1.0};
  GuidanceScale value_guidance{1.0};
  bool guidance_detached = false;
  int64_t particles = 0;  // per output for best-of-N and SMC; 0: 8, or as many as the budget allows
  // Network rows per output (calls x rows per particle: 2 per call under classifier-free guidance),
  // the unit of AlignmentCost::nfe_per_output; 0: best-of-8's unless `particles` is given.
  double max_nfe = 0.0;
  // What each group of best-of-N or SMC returns; unset: SMC's smc.select (a draw), best-of-N's best.
  std::optional<Selection> select;

  void validate() const;
};

// What a method will spend, known before it runs.
struct MethodPlan {
  AlignmentMethod method;
  int64_t particles = 1;         // chains per output (at the start, when a funnel shrinks them)
  int64_t nfe_per_particle = 0;  // network calls of a chain that runs to the end
  int64_t rows_per_call = 1;     // rows per particle in one call: 2 under classifier-free guidance
  // Network calls per output: particles x nfe_per_particle, less a funnel's savings; with pruning
  // under a budget, the most the run may spend (it stops there, and spends less where it prunes).
  int64_t calls_per_output = 0;
  bool prunes = false;  // SMC pruning: the count is set at run time, calls_per_output is a cap
  // The most rows one network call carries per output, before any chunking (set_max_batch): the
  // particles that move together, or their value estimates' posterior samples. Memory grows with it.
  int64_t peak_rows_per_output = 0;
  // Network rows per output, the unit of budgets and of AlignmentCost::nfe_per_output.
  int64_t nfe_per_output() const { return calls_per_output * rows_per_call; }
};

struct AlignmentRun {
  MethodPlan plan;
  torch::Tensor samples, rewards;        // [G, ...] (select all: [G*N, ...]; sharded runs: on rank 0 only), float64
  torch::Tensor weights;                 // float64, each sample's weight in its group (1 unless select all)
  Selection select = Selection::Sample;  // what each group returned
  AlignmentCost cost;                    // what was spent
  double seconds = 0.0;
  std::optional<BestOfNResult> best_of_n;
  std::optional<SmcResult> smc;
  // The SMC target is exactly p(z) exp(lambda r) / Z unless guidance changed the proposal without
  // a weight correction, FK steering's max/sum potentials run without the final correction, the
  // allocation is biased or each group returns its argmax.
  bool exact_target = false;
};

// With SMC pruning under a call budget, the run starts with this many times the particles a
// constant count would hold: the calls its merges save pay for them, and where they save too
// little, the budget's cap shrinks the count as a funnel would.
inline constexpr double kPruneStart = 1.5;

class Aligner {
 public:
  // Methods share the model, the kernel and the grid (0 = noise to 1 = data). The kernel is built
  // on the model, and for denoiser guidance on a guided wrapper of it (the model itself is never
  // changed); potentials and value estimates always score the plain model.
  Aligner(FlowModel& model, KernelFactory kernel, RewardPtr reward, std::vector<double> grid,
          std::vector<int64_t> sample_shape, AlignmentSettings settings);
  Aligner(FlowModel& model, const KernelChoice& kernel, RewardPtr reward, std::vector<double> grid,
          std::vector<int64_t> sample_shape, AlignmentSettings settings)
      : Aligner(model, kernel_factory(kernel), std::move(reward), std::move(grid), std::move(sample_shape),
                std::move(settings)) {}

  // Network rows allowed per output: max_nfe, or best-of-8's when neither it nor `particles` is
  // given (the methods then run at equal compute); 0: no limit.
  double budget() const;
  // The method's particles and calls; throws, before any work, when it cannot run (a
  // deterministic kernel for SMC) or does not fit the budget.
  MethodPlan plan(AlignmentMethod method) const;
  // `outputs` samples from one seeded generator (every method may start from the same seed).
  AlignmentRun run(const MethodPlan& plan, int64_t outputs, at::Generator& gen, const AlignmentCallback& on_step = {});
  // The same across the ranks of `sharding` (every rank calls it alike): samples on rank 0, the
  // rest on every rank; bit-identical for any number of ranks (sharding.h says what that needs).
  AlignmentRun run_sharded(const MethodPlan& plan, int64_t outputs, const Sharding& sharding,
                           const AlignmentCallback& on_step = {});

  // The kernel on the plain model.
  const TransitionKernel& kernel() const { return *kernel_; }
  const AlignmentSettings& settings() const { return settings_; }

 private:
  int64_t nfe_per_particle(AlignmentMethod method) const;
  // Calls per output of `particles` chains (an SMC funnel spends fewer than particles x a chain).
  int64_t calls_per_output(AlignmentMethod method, int64_t particles) const;
  int64_t peak_rows_per_output(AlignmentMethod method, int64_t particles) const;
  // Whether the method prunes (SMC with settings.smc.prune; throws where pruning cannot run).
  bool prunes(AlignmentMethod method) const;
  // Pruning's start count for `constant` particles that a budget of max_nfe rows holds.
  int64_t pruned_start(AlignmentMethod method, int64_t constant, double max_nfe, int64_t rows_per_call) const;
  AlignmentRun run_with(const MethodPlan& plan, int64_t outputs, at::Generator* gen, const Sharding* sharding,
                        const AlignmentCallback& on_step);
  FlowModel& model_;
  KernelFactory make_kernel_;
  std::unique_ptr<TransitionKernel> kernel_;
  RewardPtr reward_;
  std::vector<double> grid_;
  std::vector<int64_t> sample_shape_;
  AlignmentSettings settings_;
};

}  // namespace glass
