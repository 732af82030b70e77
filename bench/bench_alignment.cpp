// Reward alignment at equal compute on the Gaussian-mixture oracle, where the tilted target
// p(z) exp(lambda r(z)) / Z and log Z are exact. For each budget of network calls per output
// sample, compares best-of-N over ODE and GLASS chains with SMC over SDE and GLASS moves (the
// GLASS paper's comparison) and with SMC over one-call Diamond moves (and Diamond value
// estimates), reporting the outputs' mean reward, their energy distance to exact
// target samples, and SMC's log Z error. Prints markdown tables (for docs/benchmarks.md).
#include <cmath>
#include <cstdio>

#include "glass/alignment/alignment_methods.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/models/mixture_network.h"
#include "glass/models/network_flow_model.h"
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

// One row of the table: a method of the library's Aligner on one kernel and grid.
struct Method {
  std::string name;
  KernelChoice kernel;
  std::vector<double> grid;
  AlignmentMethod method;
  IntermediateReward intermediate = IntermediateReward::Denoised;
  bool diamond_values = false;  // value estimates from one-call Diamond posterior samples
};

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(2);
  const double kappa = argc > 1 ? std::atof(argv[1]) : 1.0, lambda = argc > 2 ? std::atof(argv[2]) : 2.0;
  const std::string map_dir = argc > 3 ? argv[3] : "models/diamond-gmm2d";  // run from the repository root
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  NetworkFlowModel model(std::make_shared<MixtureNetwork>(g, s), s,
                         ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  const torch::Tensor center = torch::tensor({0.5, 3.0}, torch::kFloat64);
  QuadraticReward reward(kappa, center);
  const auto exact = g.tilted(kappa, center, lambda);

  // Every chain costs about 50 calls: ODE Heun 25 steps (49), GLASS K = 5 x M = 10, SDE with
  // 5 outer steps of 10 sub-steps. SMC adds one denoiser call per intermediate step.
  KernelChoice ode, glass, sde;
  ode.kind = KernelKind::Ode;
  ode.ode_method = OdeMethod::Heun;
  glass.glass.inner_steps = 10;
  sde.kind = KernelKind::Sde;
  sde.sde = SdeOptions{Diffusion::Sigma, 1.0, 10};
  KernelChoice diamond;  // the shipped gmm2d map: one call a move
  diamond.kind = KernelKind::Diamond;
  diamond.diamond = std::make_shared<DiamondMap>(load_diamond_map(map_dir, model));
  const std::vector<double> grid5 = uniform_grid(5), grid25 = uniform_grid(25);
  const auto reward_ptr = std::shared_ptr<Reward>(&reward, [](Reward*) {});  // the Aligner shares it
  const std::vector<Method> methods{
      {"best-of-N, ODE (Heun 25)", ode, grid25, AlignmentMethod::BestOfN},
      {"best-of-N, GLASS", glass, grid5, AlignmentMethod::BestOfN},
      {"SMC, SDE (sigma, 5x10)", sde, grid5, AlignmentMethod::Smc},
      {"SMC, GLASS (rho 0.4)", glass, grid5, AlignmentMethod::Smc},
      {"SMC, GLASS, value potentials (2x4)", glass, grid5, AlignmentMethod::Smc, IntermediateReward::Value},
      {"SMC, Diamond (1 call a move)", diamond, grid5, AlignmentMethod::Smc},
      {"SMC, Diamond, Diamond values (4x1)", diamond, grid5, AlignmentMethod::Smc, IntermediateReward::Value, true},
  };
  const auto aligner_for = [&](const Method& m, int64_t particles) {
    AlignmentSettings a;
    a.smc.lambda = lambda;
    a.smc.intermediate = m.intermediate;
    a.smc.value.samples = 2;
    a.smc.value.inner_steps = 4;
    if (m.diamond_values) {
      a.smc.value.samples = 4;
      a.smc.value.sampler = std::make_shared<DiamondPosteriorSampler>(m.kernel.diamond);
    }
    a.particles = particles;
    return Aligner(model, m.kernel, reward_ptr, m.grid, {2}, a);
  };

  at::Generator ref_gen = make_generator(99);
  std::printf(
      "gmm2d, reward -%.2g |z - (0.5, 3)|^2 / 2, lambda %.3g: exact log Z %.4f; %lld outputs per entry, "
      "mean of %d seeds\n",
      kappa, lambda, exact.log_z, static_cast<long long>(kOutputs), kRepeats);
  double floor = 0.0;
  for (int r = 0; r < kRepeats; ++r)
    floor +=
        energy_distance(exact.mixture.sample(kOutputs, ref_gen), exact.mixture.sample(kOutputs, ref_gen)) / kRepeats;
  std::printf("energy-distance floor (exact vs exact): %.4f\n\n", floor);
  std::printf("| method | particles | NFE / output | mean reward | energy distance to target | log Z error |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| exact target | - | - | %.3f | %.4f | - |\n",
              reward(exact.mixture.sample(20000, ref_gen)).mean().item<double>(), floor);
  for (int64_t n : {1, 4, 16, 64}) {
    for (const Method& m : methods) {
      double r_mean = 0.0, dist = 0.0, logz = 0.0;
      int64_t nfe = 0;
      Aligner aligner = aligner_for(m, n);
      const MethodPlan plan = aligner.plan(m.method);
      for (int rep = 0; rep < kRepeats; ++rep) {
        at::Generator gen = make_generator(static_cast<uint64_t>(1000 + rep));
        model.reset_cost();
        const AlignmentRun run = aligner.run(plan, kOutputs, gen);
        nfe = model.cost().rows / kOutputs;
        const torch::Tensor& x = run.samples;
        double logz_err = 0.0;
        if (run.smc) {
          double mean = 0.0;
          for (double v : run.smc->log_z) mean += v / static_cast<double>(run.smc->log_z.size());
          logz_err = std::abs(mean - exact.log_z);
        }
        r_mean += reward(x).mean().item<double>() / kRepeats;
        dist += energy_distance(x.to(torch::kFloat64), exact.mixture.sample(kOutputs, ref_gen)) / kRepeats;
        logz += logz_err / kRepeats;
      }
      std::printf("| %s | %lld | %lld | %.3f | %.4f | %s |\n", m.name.c_str(), static_cast<long long>(n),
                  static_cast<long long>(nfe), r_mean, dist, is_smc(m.method) ? c10::str(logz).c_str() : "-");
      std::fflush(stdout);
    }
  }
  return 0;
}
