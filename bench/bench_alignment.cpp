// Reward alignment at equal compute on the Gaussian-mixture oracle, where the tilted target
// p(z) exp(lambda r(z)) / Z and log Z are exact. For each budget of network calls per output
// sample, compares best-of-N over ODE and GLASS chains with SMC over SDE and GLASS moves (the
// GLASS paper's comparison), reporting the outputs' mean reward, their energy distance to exact
// target samples, and SMC's log Z error. Prints markdown tables (for docs/benchmarks.md).
#include <cstdio>
#include <functional>

#include "glass/alignment/best_of_n.h"
#include "glass/alignment/smc.h"
#include "glass/models/mixture_network.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/energy_distance.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

constexpr int64_t kOutputs = 500;  // independent output samples (one SMC group or BoN pick each)
constexpr int kRepeats = 3;        // seeds averaged per entry

struct Method {
  std::string name;
  std::function<std::pair<torch::Tensor, double>(int64_t particles, at::Generator&)> run;  // samples, log Z error
  int64_t nfe_per_particle;
};

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(2);
  const double kappa = argc > 1 ? std::atof(argv[1]) : 1.0, lambda = argc > 2 ? std::atof(argv[2]) : 2.0;
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  FlowModel model(std::make_shared<MixtureNetwork>(g, s), s, ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  const torch::Tensor center = torch::tensor({0.5, 3.0}, torch::kFloat64);
  QuadraticReward reward(kappa, center);
  const auto exact = g.tilted(kappa, center, lambda);

  // Every chain costs about 50 calls: ODE Heun 25 steps (49), GLASS K = 5 x M = 10, SDE with
  // 5 outer steps of 10 Euler-Maruyama sub-steps. SMC adds one denoiser call per intermediate step.
  OdeTransition ode(model, OdeMethod::Heun);
  GlassTransition glass(model, GlassOptions{RhoSchedule::constant(0.4), 10, 1.0});
  SdeTransition sde(model, SdeOptions{Diffusion::Sigma, 1.0, 10});
  const std::vector<double> grid5 = uniform_grid(5), grid25 = uniform_grid(25);
  SmcOptions smc;
  smc.lambda = lambda;

  const auto bon = [&](TransitionKernel& k, const std::vector<double>& grid) {
    return [&, grid](int64_t n, at::Generator& gen) {
      return std::make_pair(best_of_n(model, k, reward, grid, kOutputs, n, {2}, gen).samples, 0.0);
    };
  };
  const auto fk = [&](TransitionKernel& k, IntermediateReward inter) {
    return [&, inter](int64_t n, at::Generator& gen) {
      SmcOptions o = smc;
      o.particles = n;
      o.intermediate = inter;
      o.value = ValueOptions{2, 4};
      const SmcResult r = run_smc(model, k, reward, grid5, kOutputs, {2}, o, gen);
      double mean = 0.0;
      for (double v : r.log_z) mean += v / static_cast<double>(r.log_z.size());
      return std::make_pair(r.samples, std::abs(mean - exact.log_z));
    };
  };
  SmcOptions value_opts = smc;
  value_opts.intermediate = IntermediateReward::Value;
  value_opts.value = ValueOptions{2, 4};
  const std::vector<Method> methods{
      {"best-of-N, ODE (Heun 25)", bon(ode, grid25), 49},
      {"best-of-N, GLASS", bon(glass, grid5), 50},
      {"SMC, SDE (sigma, 5x10)", fk(sde, IntermediateReward::Denoised), smc_nfe_per_particle(sde, grid5, smc)},
      {"SMC, GLASS (rho 0.4)", fk(glass, IntermediateReward::Denoised), smc_nfe_per_particle(glass, grid5, smc)},
      {"SMC, GLASS, value potentials (2x4)", fk(glass, IntermediateReward::Value),
       smc_nfe_per_particle(glass, grid5, value_opts)},
  };

  at::Generator ref_gen = make_generator(99);
  std::printf("gmm2d, reward -%.2g |z - (0.5, 3)|^2 / 2, lambda %.3g: exact log Z %.4f; %lld outputs per entry, "
              "mean of %d seeds\n",
              kappa, lambda, exact.log_z, static_cast<long long>(kOutputs), kRepeats);
  double floor = 0.0;
  for (int r = 0; r < kRepeats; ++r)
    floor += energy_distance(exact.mixture.sample(kOutputs, ref_gen), exact.mixture.sample(kOutputs, ref_gen)) / kRepeats;
  std::printf("energy-distance floor (exact vs exact): %.4f\n\n", floor);
  std::printf("| method | particles | NFE / output | mean reward | energy distance to target | log Z error |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| exact target | - | - | %.3f | %.4f | - |\n",
              reward(exact.mixture.sample(20000, ref_gen)).mean().item<double>(), floor);
  for (int64_t n : {1, 4, 16, 64}) {
    for (const Method& m : methods) {
      double r_mean = 0.0, dist = 0.0, logz = 0.0;
      int64_t nfe = 0;
      for (int rep = 0; rep < kRepeats; ++rep) {
        at::Generator gen = make_generator(static_cast<uint64_t>(1000 + rep));
        model.reset_cost();
        const auto [x, logz_err] = m.run(n, gen);
        nfe = model.cost().rows / kOutputs;
        r_mean += reward(x).mean().item<double>() / kRepeats;
        dist += energy_distance(x.to(torch::kFloat64), exact.mixture.sample(kOutputs, ref_gen)) / kRepeats;
        logz += logz_err / kRepeats;
      }
      const bool is_smc = m.name.rfind("SMC", 0) == 0;
      std::printf("| %s | %lld | %lld | %.3f | %.4f | %s |\n", m.name.c_str(), static_cast<long long>(n),
                  static_cast<long long>(nfe), r_mean, dist, is_smc ? c10::str(logz).c_str() : "-");
      std::fflush(stdout);
    }
  }
  return 0;
}
