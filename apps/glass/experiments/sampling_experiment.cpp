// Experiment 4: sampling from noise at equal network calls: the probability-flow ODE (Heun), DDPM
// ancestral steps, the marginal-preserving SDE and GLASS (rho 0.4, M = 5 pc3 steps a transition).
// Images: classifier-FID vs the test set (bootstrap interval) and diversity (mean feature distance);
// mixtures: energy distance to exact samples over the seeds.
#include "experiments/experiment_scene.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/energy_distance.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass::cli {

ExperimentReport sampling_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "sampling", true);
  const std::vector<int> budgets = o.quick ? std::vector<int>{10, 20} : std::vector<int>{10, 20, 50, 100};
  const std::vector<std::string> samplers{"ODE (Heun)", "DDPM", "SDE", "GLASS"};
  const int64_t n = scene.images() ? (o.quick ? 64 : 300) : (o.quick ? 1000 : 3000);
  ExperimentReport report{
      ResultTable({"sampler", "nfe", "steps", "metric", "value", "low", "high", "diversity"}), {}, scene.describe()};
  const std::string metric = scene.images() ? "classifier-FID vs the test set" : "energy distance to exact samples";
  report.setup.update(
      {{"samples", n},
       {"seeds", scene.images() ? nlohmann::json{o.seed_list().front()} : nlohmann::json(o.seed_list())},
       {"ode", "Heun, 2 calls a step"},
       {"sde", "g = sigma, one Euler-Maruyama step a call"},
       {"glass", "rho 0.4, 5 pc3 inner steps a transition"},
       {"interval", scene.images() ? "1.96 bootstrap standard deviations over the samples"
                                   : "1.96 standard errors over the seeds"}});
  ProgressBar bar("sampling", static_cast<int64_t>(budgets.size() * samplers.size()), o.show_progress);
  int64_t done = 0;
  torch::NoGradGuard no_grad;
  for (const std::string& name : samplers)
    for (int nfe : budgets) {
      bar.update(done++, name + ", " + std::to_string(nfe) + " calls");
      KernelChoice k;
      int steps = nfe;
      if (name == "ODE (Heun)") {
        k.kind = KernelKind::Ode;
        steps = nfe / 2;
      } else if (name == "DDPM") {
        k.kind = KernelKind::Ddpm;
      } else if (name == "SDE") {
        k.kind = KernelKind::Sde;
      } else {
        k.kind = KernelKind::Glass;
        k.glass = GlassOptions{RhoSchedule::constant(0.4), 5, 1.0};
        k.glass.solver = InnerSolver::Pc3;
        steps = nfe / 5;
      }
      auto kernel = make_kernel(k, scene.model(), scene.mixture());
      std::vector<double> values;
      double diversity = NAN;
      int64_t spent = 0;
      Estimate e{};
      for (uint64_t seed : o.seed_list()) {
        at::Generator gen = make_generator(seed);
        const SampleResult r =
            run_chain(*kernel, prior_noise(n, scene.loaded.sample_shape, gen), uniform_grid(steps), gen);
        spent = r.nfe;
        if (scene.images()) {
          const ImageSetScore s = scene.scorer->assess(r.x, -1, gen);
          e = s.fid_test;
          diversity = s.diversity;
          break;  // one seed: the interval comes from the bootstrap
        }
        values.push_back(energy_distance(r.x, scene.mixture()->sample(n, gen)));
      }
      if (!scene.images()) e = mean_interval(torch::tensor(values, torch::kFloat64));
      report.table.add({name, spent, steps, metric, e.value, e.low, e.high, diversity});
    }
  bar.finish();
  PlotSpec q{"sampling_quality.png",
             "Sampling at equal network calls: " + metric,
             "nfe",
             "value",
             "sampler",
             "",
             "low",
             "high",
             "network calls per sample",
             metric,
             true,
             true};
  report.plots.push_back(q);
  if (scene.images())
    report.plots.push_back({"sampling_diversity.png", "Sampling at equal network calls: diversity", "nfe", "diversity",
                            "sampler", "", "", "", "network calls per sample", "mean classifier-feature distance",
                            true});
  return report;
}

}  // namespace glass::cli
