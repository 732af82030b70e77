// Experiment 9: the resamplers, allocations and tempering of SMC against exact answers. On a
// Gaussian-mixture preset (gmm2d by default) tilted by a quadratic reward, whose tilted target and
// log Z are known, G independent populations of N particles each (GLASS moves, resampling at every
// step so the scheme acts each time) give: the spread of log Z over the populations (its standard
// deviation, and the error of the log of their mean Z), the energy distance of the G returned
// samples to exact draws beside the distance between two exact sets of the same size, and the
// lineages still alive at the end. Every variant spends the same calls; the funnel (more particles
// than N at the start, fewer at the end, as many moves) a few more: the D_t(x_t) of the particles
// its shrink drops is computed and never reused.
#include <cmath>

#include "experiments/experiment_scene.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/energy_distance.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass::cli {

namespace {

struct Variant {
  std::string name;
  ResamplingScheme scheme = ResamplingScheme::Systematic;
  ResamplingOrder order = ResamplingOrder::Index;
  Allocation allocation = Allocation::Weights;
  double tempering_ess = 0.0;
  std::vector<FunnelStage> funnel = {};
  double start_factor = 1.0;  // particles at the start, per N: a funnel's calls saved buy more
};

std::vector<Variant> variants() {
  std::vector<Variant> all;
  for (const auto& n : resampling_scheme_names()) all.push_back({n.name, n.value});
  all.push_back({"systematic, by reward", ResamplingScheme::Systematic, ResamplingOrder::Reward});
  all.push_back({"ssp, by reward", ResamplingScheme::Ssp, ResamplingOrder::Reward});
  all.push_back({"vasr (systematic)", ResamplingScheme::Systematic, ResamplingOrder::Index, Allocation::Vasr});
  all.push_back({"vasr, ssp by reward", ResamplingScheme::Ssp, ResamplingOrder::Reward, Allocation::Vasr});
  all.push_back({"vasr-max-biased", ResamplingScheme::Systematic, ResamplingOrder::Index, Allocation::VasrMaxBiased});
  all.push_back({"systematic, tempered (ESS 0.5)", ResamplingScheme::Systematic, ResamplingOrder::Index,
                 Allocation::Weights, 0.5});
  // 1.25 N particles for the moves from 0, 0.2 and 0.4, half of them from 0.6: 5 N moves, as N
  // particles throughout.
  all.push_back({"systematic, funnel 1.25N to 0.625N from 0.6",
                 ResamplingScheme::Systematic,
                 ResamplingOrder::Index,
                 Allocation::Weights,
                 0.0,
                 {{0.6, 0.5}},
                 1.25});
  return all;
}

}  // namespace

ExperimentReport resampling_experiment(const ExperimentOptions& options) {
  ExperimentOptions o = options;
  if (o.model.empty()) o.model = "gmm2d";
  ExperimentScene scene = load_scene(o, "resampling", true);
  if (!scene.mixture()) throw std::invalid_argument("experiment resampling: needs a mixture preset (exact answers)");
  const GaussianMixture& mixture = *scene.mixture();
  const int64_t dim = mixture.dim();
  const torch::Tensor center = torch::full({dim}, 1.0, torch::kFloat64);
  const double kappa = 0.5;
  QuadraticReward reward(kappa, center);
  const std::vector<double> lambdas = o.quick ? std::vector<double>{2} : std::vector<double>{1, 4};
  const std::vector<int64_t> sizes = o.quick ? std::vector<int64_t>{8} : std::vector<int64_t>{8, 32};
  const int64_t groups = o.quick ? 100 : 1000;
  const int steps = 5;
  KernelChoice glass;
  glass.kind = KernelKind::Glass;
  glass.glass = GlassOptions{RhoSchedule::constant(0.4), 4, 1.0};
  glass.glass.solver = InnerSolver::Pc3;
  const std::vector<Variant> all = variants();

  ExperimentReport report{
      ResultTable({"lambda", "particles", "variant", "populations", "log_z_sd", "log_z_sd_low", "log_z_sd_high",
                   "log_mean_z_error", "energy_distance", "exact_floor", "lineages", "nfe_per_sample", "exact_target"}),
      {},
      scene.describe()};
  report.setup.update({{"reward", reward.name()},
                       {"populations_per_seed", groups},
                       {"kernel", "GLASS, rho 0.4, 4 pc3 inner steps, " + std::to_string(steps) + " outer steps"},
                       {"resampling", "at every step (ESS threshold 1), so each scheme acts at every step"},
                       {"seeds", o.seed_list()},
                       {"log_z_sd interval", "1.96 sd of a sample standard deviation (normal approximation)"},
                       {"exact_floor", "energy distance between two independent exact sets of the populations' size"}});
  ProgressBar bar("resampling", static_cast<int64_t>(lambdas.size() * sizes.size() * all.size() * o.seed_list().size()),
                  o.show_progress);
  int64_t done = 0;
  for (double lambda : lambdas) {
    const auto exact = mixture.tilted(kappa, center, lambda);
    for (int64_t n : sizes)
      for (const Variant& v : all) {
        SmcOptions so;
        so.particles = std::llround(v.start_factor * static_cast<double>(n));
        so.funnel = v.funnel;
        so.lambda = lambda;
        so.ess_threshold = 1.0;
        so.resampling = v.scheme;
        so.resampling_order = v.order;
        so.allocation = v.allocation;
        so.tempering_ess = v.tempering_ess;
        std::vector<torch::Tensor> log_zs, samples;
        double lineages = 0.0;
        int64_t nfe = 0;
        for (uint64_t seed : o.seed_list()) {
          bar.update(done++, v.name + ", lambda " + c10::str(lambda) + ", N " + std::to_string(n));
          auto kernel = make_kernel(glass, scene.model());
          at::Generator gen = make_generator(seed);
          const SmcResult r =
              run_smc(scene.model(), *kernel, reward, uniform_grid(steps), groups, scene.loaded.sample_shape, so, gen);
          log_zs.push_back(torch::tensor(r.log_z, torch::kFloat64));
          samples.push_back(r.samples.to(torch::kFloat64));
          // Lineages alive after the last resampling (the final step returns its weights instead).
          for (int64_t l : r.steps[r.steps.size() - 2].surviving_lineages) lineages += static_cast<double>(l);
          nfe = r.cost.nfe_per_output();
        }
        const torch::Tensor log_z = torch::cat(log_zs), pooled = torch::cat(samples);
        const int64_t count = log_z.numel();
        const double sd = log_z.std().item<double>();
        const double sd_half = 1.96 * sd / std::sqrt(2.0 * static_cast<double>(count - 1));
        const double log_mean_z = (torch::logsumexp(log_z, 0) - std::log(static_cast<double>(count))).item<double>();
        at::Generator eval = make_generator(1000);
        const torch::Tensor x = exact.mixture.sample(count, eval), y = exact.mixture.sample(count, eval);
        report.table.add({lambda, n, v.name, count, sd, sd - sd_half, sd + sd_half, log_mean_z - exact.log_z,
                          energy_distance(pooled, x), energy_distance(x, y), lineages / static_cast<double>(count), nfe,
                          smc_targets_exactly(so)});
      }
  }
  bar.finish();
  for (double lambda : lambdas) {
    PlotSpec sd{"resampling_log_z_sd_l" + c10::str(lambda) + ".png",
                "Spread of log Z over populations, lambda " + c10::str(lambda),
                "particles",
                "log_z_sd",
                "variant",
                "",
                "log_z_sd_low",
                "log_z_sd_high",
                "particles per population",
                "sd of log Z",
                true,
                true};
    sd.where = {{"lambda", lambda}};
    report.plots.push_back(sd);
  }
  return report;
}

}  // namespace glass::cli
