// Experiment 1: posterior samples z ~ p(z | x_t) against network calls. Images: test images noised
// to t, resampled by GLASS (one transition to t = 1, pc3), a chain of DDPM ancestral steps and the
// Diamond Map; classifier-FID against the test set, with a bootstrap interval over the samples.
// Mixtures: the energy distance of the pairs (x_t, z) to exact pairs, over the seeds.
#include "experiments/experiment_scene.h"
#include "glass/stats/energy_distance.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"
#include "glass/values/chain_posterior_sampler.h"

namespace glass::cli {

namespace {

// GLASS's posterior in `calls` calls: one transition to t = 1 with that many pc3 inner steps.
std::unique_ptr<PosteriorSampler> glass_posterior(FlowModel& model, int calls) {
  GlassOptions g{RhoSchedule::constant(0.0), calls, 1.0};
  g.solver = InnerSolver::Pc3;
  return std::make_unique<ChainPosteriorSampler>(std::make_unique<GlassTransition>(model, g), 1);
}

std::unique_ptr<PosteriorSampler> ddpm_posterior(FlowModel& model, int calls) {
  return std::make_unique<ChainPosteriorSampler>(std::make_unique<DdpmTransition>(model), calls);
}

struct Sweep {
  std::vector<double> times;
  std::vector<int> calls;
  int diamond_max_calls = 4;
};

// Draws from every sampler at every (t, calls); `measure` turns one draw into a table row.
template <typename Measure>
void sweep(ExperimentScene& scene, const Sweep& sw, bool progress, const Measure& measure) {
  std::vector<std::string> samplers{"GLASS", "DDPM"};
  if (scene.diamond) samplers.push_back("Diamond");
  ProgressBar bar("posterior", static_cast<int64_t>(sw.times.size() * sw.calls.size() * samplers.size()), progress);
  int64_t done = 0;
  for (double t : sw.times)
    for (int calls : sw.calls)
      for (const std::string& name : samplers) {
        bar.update(done++, "t " + std::to_string(t).substr(0, 3) + ", " + std::to_string(calls) + " calls");
        if (name == "Diamond" && calls > sw.diamond_max_calls) continue;
        std::function<torch::Tensor(const torch::Tensor&, at::Generator&)> draw;
        std::unique_ptr<PosteriorSampler> sampler;
        if (name == "GLASS") sampler = glass_posterior(scene.model(), calls);
        if (name == "DDPM") sampler = ddpm_posterior(scene.model(), calls);
        if (sampler && sampler->nfe() != calls) throw std::logic_error("posterior experiment: call count mismatch");
        draw = [&](const torch::Tensor& x, at::Generator& gen) {
          const torch::Tensor ts = full_times(x.size(0), t);
          return sampler ? sampler->sample(x, ts, gen) : scene.diamond->posterior_sample(x, ts, gen, calls);
        };
        measure(t, calls, name, draw);
      }
  bar.finish();
}

}  // namespace

ExperimentReport posterior_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "posterior", true);
  torch::NoGradGuard no_grad;
  Sweep sw;
  sw.times = o.quick ? std::vector<double>{0.2, 0.8} : std::vector<double>{0.2, 0.4, 0.6, 0.8};
  sw.calls = o.quick ? std::vector<int>{1, 2, 4} : std::vector<int>{1, 2, 4, 6, 10, 20, 50};
  ExperimentReport report{
      ResultTable({"t", "sampler", "calls", "metric", "value", "low", "high"}), {}, scene.describe()};
  const uint64_t seed = o.seed_list().front();
  std::string metric;
  if (scene.images()) {
    const int64_t n = o.quick ? 64 : 300;
    const torch::Tensor clean = scene.scorer->test().images.slice(0, 0, n);
    at::Generator boot = make_generator(seed + 99);
    const Estimate floor = scene.scorer->fid(scene.scorer->features(clean), scene.scorer->test_moments(), boot);
    metric = "classifier-FID vs the test set";
    report.setup.update({{"images", n},
                         {"reference", "classifier features of the 10,000 test images"},
                         {"clean_images_fid", floor.value},
                         {"interval", "1.96 bootstrap standard deviations over the samples (50 redraws)"},
                         {"glass", "one transition t -> 1, rho 0, pc3 with M = calls inner steps"},
                         {"ddpm", "ancestral steps on a uniform grid from t to 1"},
                         {"diamond", "map calls chained t -> 1, at most 4"},
                         {"seed", seed}});
    sweep(scene, sw, o.show_progress, [&](double t, int calls, const std::string& name, auto& draw) {
      const torch::Tensor x = scene.noised(clean, t, seed);
      at::Generator gen = make_generator(seed + 1);
      const Estimate e = scene.scorer->fid(scene.scorer->features(draw(x, gen)), scene.scorer->test_moments(), boot);
      report.table.add({t, name, calls, metric, e.value, e.low, e.high});
    });
  } else {
    const GaussianMixture& g = *scene.mixture();
    const int64_t n = o.quick ? 500 : 2000;
    metric = "energy distance of (x_t, z) to exact pairs";
    report.setup.update({{"points", n}, {"seeds", o.seed_list()}, {"interval", "1.96 standard errors over the seeds"}});
    sweep(scene, sw, o.show_progress, [&](double t, int calls, const std::string& name, auto& draw) {
      std::vector<double> d;
      const Schedule& s = scene.model().schedule();
      for (uint64_t sd : o.seed_list()) {
        at::Generator gen = make_generator(sd);
        const torch::Tensor x = g.sample_noisy(n, s.alpha(t), s.sigma(t), gen).to(torch::kFloat32);
        const torch::Tensor a = torch::full({n}, s.alpha(t), torch::kFloat64),
                            sg = torch::full({n}, s.sigma(t), torch::kFloat64);
        const torch::Tensor exact = g.sample_posterior(x, a, sg, gen).to(torch::kFloat32);
        d.push_back(energy_distance(torch::cat({x, draw(x, gen)}, 1), torch::cat({x, exact}, 1)));
      }
      const Estimate e = mean_interval(torch::tensor(d, torch::kFloat64));
      report.table.add({t, name, calls, metric, e.value, e.low, e.high});
    });
  }
  report.plots.push_back({"posterior.png", "Posterior samples z ~ p(z | x_t): " + metric, "calls", "value", "sampler",
                          "t", "low", "high", "network calls per sample", metric, true, true});
  // The paper's claim: GLASS ahead of DDPM at few calls.
  nlohmann::json wins = nlohmann::json::array();
  const auto& rows = report.table.rows();
  for (size_t i = 0; i + 1 < rows.size(); ++i)
    if (rows[i][1] == "GLASS" && rows[i + 1][1] == "DDPM")
      wins.push_back({{"t", rows[i][0]},
                      {"calls", rows[i][2]},
                      {"glass", rows[i][4]},
                      {"ddpm", rows[i + 1][4]},
                      {"glass_better", rows[i][4].get<double>() < rows[i + 1][4].get<double>()}});
  report.findings["glass_vs_ddpm"] = wins;
  return report;
}

}  // namespace glass::cli
