// Experiment 2: value estimates V_t(x) = (1/lambda) log mean exp(lambda r(z_j)) from n posterior
// samples of M calls each (GLASS, a DDPM chain, the Diamond Map), against a ground truth: on
// images, many GLASS samples of many calls (reward log p(dress | z)); on mixtures, the exact value
// of a quadratic reward in closed form. Pearson's r with Fisher's interval, and the RMSE.
#include <cmath>

#include "experiments/experiment_scene.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/reward_spec.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"
#include "glass/values/chain_posterior_sampler.h"
#include "glass/values/value_estimate.h"

namespace glass::cli {

namespace {

constexpr double kLambda = 1.0, kKappa = 0.5;

// Exact V_t(x) for r(z) = -kappa |z - c|^2 / 2 on an isotropic mixture, written out here from the
// Gaussian integrals (independent of the library's posterior and tilting code): given x_t = x,
// component k has weight w_k, mean m_k + a s_k^2 (x - a m_k) / (a^2 s_k^2 + s^2) and variance
// v_k = s_k^2 s^2 / (a^2 s_k^2 + s^2), and E[exp(lambda r)] over N(mu, v I) in d dimensions is
// (1 + lambda kappa v)^(-d/2) exp(-lambda kappa |mu - c|^2 / (2 (1 + lambda kappa v))).
torch::Tensor exact_values(const GaussianMixture& g, const torch::Tensor& x, double a, double s,
                           const torch::Tensor& c) {
  const torch::Tensor xd = x.to(torch::kFloat64);  // [N, d]
  const torch::Tensor m = g.means(), s2 = g.stds().pow(2), d = torch::tensor(static_cast<double>(g.dim()));
  const torch::Tensor var_x = a * a * s2 + s * s;                   // [K]: variance of x_t in component k
  const torch::Tensor diff = xd.unsqueeze(1) - a * m.unsqueeze(0);  // [N, K, d]
  const torch::Tensor log_w = g.weights().log() - 0.5 * d * var_x.log() - diff.pow(2).sum(2) / (2 * var_x);
  const torch::Tensor w = torch::softmax(log_w, 1);                                    // [N, K]
  const torch::Tensor mu = m.unsqueeze(0) + (a * s2 / var_x).view({1, -1, 1}) * diff;  // [N, K, d]
  const torch::Tensor v = s2 * s * s / var_x, q = 1 + kLambda * kKappa * v;            // [K]
  const torch::Tensor log_e = -0.5 * d * q.log() - kLambda * kKappa * (mu - c.view({1, 1, -1})).pow(2).sum(2) / (2 * q);
  return torch::logsumexp(w.log() + log_e, 1) / kLambda;
}

struct Estimator {
  std::string sampler;
  int calls, samples;
};

}  // namespace

ExperimentReport value_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "values", true);
  const bool images = scene.images();
  const std::vector<double> times = o.quick ? std::vector<double>{0.2, 0.8} : std::vector<double>{0.2, 0.4, 0.6, 0.8};
  const std::vector<int> calls = o.quick ? std::vector<int>{1, 4} : std::vector<int>{1, 2, 4, 10};
  const std::vector<int> samples{1, 4};
  std::vector<Estimator> estimators;
  for (const char* name : {"GLASS", "DDPM"})
    for (int m : calls)
      for (int n : samples) estimators.push_back({name, m, n});
  if (scene.diamond)
    for (int n : samples) estimators.push_back({"Diamond", 1, n});
  const uint64_t seed = o.seed_list().front();
  const torch::Tensor center = torch::tensor({2.0, 1.0}, torch::kFloat64);
  const RewardPtr reward =
      images ? make_reward("class:3", RewardContext{o.classifier}) : std::make_shared<QuadraticReward>(kKappa, center);
  const int64_t n_points = images ? (o.quick ? 16 : 64) : (o.quick ? 300 : 1000);
  const int truth_samples = o.quick ? 16 : 64, truth_calls = o.quick ? 8 : 16;
  ExperimentReport report{
      ResultTable({"t", "sampler", "calls_per_sample", "samples", "calls", "pearson_r", "low", "high", "rmse"}),
      {},
      scene.describe()};
  report.setup.update(
      {{"reward", reward->name()},
       {"lambda", kLambda},
       {"points", n_points},
       {"seed", seed},
       {"truth", images ? "mean over " + std::to_string(truth_samples) + " GLASS posterior samples of " +
                              std::to_string(truth_calls) + " pc3 calls each (log-mean-exp)"
                        : std::string("exact value in closed form")},
       {"interval", "Fisher z, 95%, over the points"}});
  ProgressBar bar("values", static_cast<int64_t>(times.size() * (estimators.size() + 1)), o.show_progress);
  int64_t done = 0;
  torch::NoGradGuard no_grad;
  for (double t : times) {
    const Schedule& s = scene.model().schedule();
    torch::Tensor x;
    if (images) {
      x = scene.noised(scene.scorer->test().images.slice(0, 0, n_points), t, seed);
    } else {
      at::Generator gen = make_generator(seed);
      x = scene.mixture()->sample_noisy(n_points, s.alpha(t), s.sigma(t), gen).to(torch::kFloat32);
    }
    const torch::Tensor ts = full_times(n_points, t);
    auto estimate = [&](int n, PosteriorSamplerPtr sampler, int m, uint64_t sd) {
      ValueOptions vo;
      vo.samples = n;
      vo.inner_steps = m;
      vo.solver = InnerSolver::Pc3;
      vo.sampler = std::move(sampler);
      at::Generator gen = make_generator(sd);
      return estimate_value(scene.model(), *reward, x, ts, kLambda, vo, gen).value;
    };
    bar.update(done++, "truth at t " + std::to_string(t).substr(0, 3));
    const torch::Tensor truth = images ? estimate(truth_samples, nullptr, truth_calls, seed + 1000)
                                       : exact_values(*scene.mixture(), x, s.alpha(t), s.sigma(t), center);
    for (const Estimator& e : estimators) {
      bar.update(done++, e.sampler);
      PosteriorSamplerPtr sampler;
      if (e.sampler == "DDPM")
        sampler = std::make_shared<ChainPosteriorSampler>(std::make_unique<DdpmTransition>(scene.model()), e.calls);
      if (e.sampler == "Diamond") sampler = std::make_shared<DiamondPosteriorSampler>(scene.diamond);
      const torch::Tensor v = estimate(e.samples, sampler, e.calls, seed + 7 * e.calls + 131 * e.samples);
      const Estimate r = pearson_interval(v, truth);
      const double rmse = (v - truth).pow(2).mean().sqrt().item<double>();
      report.table.add({t, e.sampler, e.calls, e.samples, e.calls * e.samples, r.value, r.low, r.high, rmse});
    }
  }
  bar.finish();
  for (int n : samples) {
    PlotSpec p;
    p.file = "values_n" + std::to_string(n) + ".png";
    p.title = "Value estimates from " + std::to_string(n) + " posterior sample" + (n > 1 ? "s" : "") +
              ": correlation with " + (images ? "a many-sample GLASS truth" : "the exact value");
    p.x = "calls_per_sample";
    p.y = "pearson_r";
    p.y_low = "low";
    p.y_high = "high";
    p.series = "sampler";
    p.facet = "t";
    p.log_x = true;
    p.xlabel = "network calls per posterior sample";
    p.ylabel = "Pearson r";
    p.where = {{"samples", n}};
    report.plots.push_back(p);
  }
  return report;
}

}  // namespace glass::cli
