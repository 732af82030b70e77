// Diamond Maps against exact answers on the gmm2d mixture, where the teacher (the mixture's exact
// denoiser inside the GLASS inner velocity) is exact: one-call posterior samples, early-stop
// transitions against DDPM's exact transition, value estimates, and SMC with Diamond moves and
// Diamond values. The map is the one shipped in models/diamond-gmm2d (its command and log there).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>

#include "glass/alignment/smc.h"
#include "glass/diamond/diamond_map.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/diamond/inner_posterior.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/energy_distance.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "glass/values/value_estimate.h"
#include "test_helpers.h"

using namespace glass;

namespace {

// The shipped map; GLASS_DIAMOND_MAP names another one to measure (e.g. a training variant).
const std::string kMapDir = std::getenv("GLASS_DIAMOND_MAP") ? std::getenv("GLASS_DIAMOND_MAP")
                                                             : std::string(GLASS_SOURCE_DIR) + "/models/diamond-gmm2d";

struct Scene {
  GaussianMixture mixture = GaussianMixture::preset("gmm2d");
  SchedulePtr schedule = make_schedule("condot");
  std::unique_ptr<NetworkFlowModel> model = test::mixture_model(mixture, schedule);
  std::shared_ptr<DiamondMap> map = std::make_shared<DiamondMap>(load_diamond_map(kMapDir, *model));
};

// n copies of one noisy point x_t ~ p_t.
torch::Tensor one_point(const Scene& s, double t, int64_t n, at::Generator& gen) {
  const torch::Tensor x =
      s.mixture.sample_noisy(1, s.schedule->alpha(t), s.schedule->sigma(t), gen).to(torch::kFloat32);
  return x.expand({n, 2}).contiguous();
}

torch::Tensor exact_posterior(const Scene& s, const torch::Tensor& x, double t, at::Generator& gen) {
  const int64_t n = x.size(0);
  return s.mixture.sample_posterior(x.to(torch::kFloat64), torch::full({n}, s.schedule->alpha(t), torch::kFloat64),
                                    torch::full({n}, s.schedule->sigma(t), torch::kFloat64), gen);
}

class DiamondPosterior : public ::testing::TestWithParam<double> {};

// One call from fresh inner noise to s' = 1 draws from p(z | x_t), for several points x_t: within
// 3x the energy distance that separates two exact sample sets of the same size, or at most 1.25x
// GLASS's with 8 inner steps (the posterior narrows with t; GLASS's own error then dominates).
TEST_P(DiamondPosterior, OneCallSamplesMatchTheExactPosterior) {
  Scene s;
  const double t = GetParam();
  const int64_t n = 2000;
  at::Generator gen = make_generator(11);
  for (int point = 0; point < 3; ++point) {
    const torch::Tensor x = one_point(s, t, n, gen);
    s.model->reset_cost();
    const torch::Tensor z = s.map->posterior_sample(x, full_times(n, t), gen);
    EXPECT_EQ(s.model->cost().calls, 1);
    const double floor = test::noise_floor([&] { return exact_posterior(s, x, t, gen); });
    const double d = energy_distance(z.to(torch::kFloat64), exact_posterior(s, x, t, gen));
    const torch::Tensor glass8 = sample_posterior(*s.model, x, full_times(n, t), 8, gen).x;
    const double d_glass = energy_distance(glass8.to(torch::kFloat64), exact_posterior(s, x, t, gen));
    std::printf("[diamond posterior] t %.1f point %d: diamond-1 %.5f glass-8 %.5f floor %.5f\n", t, point, d, d_glass,
                floor);
    // As good as GLASS with 8 inner calls (the goal of one-call maps), or within sampling noise.
    EXPECT_LT(d, std::max(3 * floor, 1.25 * d_glass)) << "t = " << t << ", x_t = " << x[0] << ", floor " << floor;
  }
}

INSTANTIATE_TEST_SUITE_P(Times, DiamondPosterior, ::testing::Values(0.2, 0.5, 0.8));

// The early stop at s* is DDPM's transition t -> t' (rho = rho_ddpm) when the map is exact.
TEST(DiamondTransitions, EarlyStopIsTheExactDdpmTransition) {
  Scene s;
  DiamondTransition kernel(s.map);
  ExactMixtureTransition exact(s.mixture, s.schedule, RhoSchedule::ddpm());
  const int64_t n = 2000;
  at::Generator gen = make_generator(12);
  for (const auto& [t, t_next] : std::vector<std::pair<double, double>>{{0.0, 0.4}, {0.3, 0.6}, {0.6, 0.9}}) {
    const torch::Tensor x = t == 0.0 ? torch::randn({n, 2}, gen) : one_point(s, t, n, gen);
    const torch::Tensor ta = full_times(n, t), tb = full_times(n, t_next);
    const StepResult r = kernel.step(x, ta, tb, gen);
    EXPECT_EQ(r.nfe, 1);
    const auto draw_exact = [&] { return exact.step(x.to(torch::kFloat64), ta, tb, gen).x; };
    const double floor = test::noise_floor(draw_exact);
    EXPECT_LT(energy_distance(r.x.to(torch::kFloat64), draw_exact()), 3 * floor)
        << t << " -> " << t_next << ", floor " << floor;
  }
}

// s* makes the pooled statistic's variance g(t'): 1/g(t) + 1/g_in(s*) = 1/g(t').
TEST(DiamondTransitions, EarlyStopTimeClosedForm) {
  const SchedulePtr s = make_schedule("condot");
  for (const auto& [t, tn] : std::vector<std::pair<double, double>>{{0.1, 0.2}, {0.3, 0.9}, {0.5, 0.55}}) {
    const double ss = early_stop_time(*s, t, tn);
    const double g_in = std::pow((1.0 - ss) / ss, 2);
    EXPECT_NEAR(1.0 / s->g(t) + 1.0 / g_in, 1.0 / s->g(tn), 1e-9 / s->g(tn));
    EXPECT_NEAR(pooled_input(*s, t, ss).t_star, tn, 1e-9);
  }
  EXPECT_NEAR(early_stop_time(*s, 0.0, 0.5), 0.5, 1e-12);  // from pure noise the map alone observes z
}

// Value estimates from one-call samples converge to the exact V_t(x) = (1/lambda) log E[exp(lambda r) | x]
// like GLASS's with many inner steps do, at one call per sample.
TEST(DiamondValues, MatchTheExactTiltedValue) {
  Scene s;
  const torch::Tensor center = torch::tensor({2.0, 1.0}, torch::kFloat64);
  const double kappa = 0.5, lambda = 2.0, t = 0.5;
  QuadraticReward reward(kappa, center);
  at::Generator gen = make_generator(21);
  const double a = s.schedule->alpha(t), sg = s.schedule->sigma(t);
  const torch::Tensor x = s.mixture.sample_noisy(200, a, sg, gen).to(torch::kFloat32);
  // Exact: the posterior is a mixture; its tilt's log Z is the value.
  const torch::Tensor resp = s.mixture.responsibilities(x.to(torch::kFloat64), torch::full({200}, a, torch::kFloat64),
                                                        torch::full({200}, sg, torch::kFloat64));
  std::vector<double> exact;
  for (int64_t i = 0; i < 200; ++i) {
    const torch::Tensor v = a * a * s.mixture.stds().pow(2) + sg * sg;
    const torch::Tensor xi = x[i].to(torch::kFloat64).unsqueeze(0);
    const torch::Tensor means =
        s.mixture.means() + (a * s.mixture.stds().pow(2) / v).unsqueeze(1) * (xi - a * s.mixture.means());
    const torch::Tensor stds = (s.mixture.stds().pow(2) * sg * sg / v).sqrt();
    exact.push_back(GaussianMixture(means, stds, resp[i].clamp_min(1e-300)).tilted(kappa, center, lambda).log_z /
                    lambda);
  }
  ValueOptions o;
  o.samples = 256;
  o.sampler = std::make_shared<DiamondPosteriorSampler>(s.map);
  EXPECT_EQ(o.nfe(), 256);
  const ValueEstimate v = estimate_value(*s.model, reward, x, full_times(200, t), lambda, o, gen);
  // The same estimator on exact posterior draws: its own finite-sample bias (log of a mean).
  const torch::Tensor xr = x.repeat_interleave(256, 0);
  const torch::Tensor on_exact = soft_value(reward(exact_posterior(s, xr, t, gen)).reshape({200, 256}), lambda);
  const torch::Tensor ex = torch::tensor(exact, torch::kFloat64);
  const double bias = (v.value - ex).mean().item<double>(), bias_exact = (on_exact - ex).mean().item<double>();
  const double spread = ex.std().item<double>();
  SCOPED_TRACE(::testing::Message() << "bias " << bias << " (exact draws " << bias_exact << "), spread of V "
                                    << spread);
  EXPECT_LT(std::abs(bias - bias_exact), spread / 20);
  const torch::Tensor xc = v.value - v.value.mean(), yc = ex - ex.mean();
  EXPECT_GT((xc * yc).sum().item<double>() / std::sqrt((xc * xc).sum().item<double>() * (yc * yc).sum().item<double>()),
            0.98);
}

// The gradient through the map (and through x_t inside it) is the derivative of the same estimate.
TEST(DiamondValues, GradientMatchesFiniteDifferences) {
  Scene s;
  s.map->module().to(torch::kFloat64);  // differences of float64 values resolve the derivative
  QuadraticReward reward(0.5, torch::tensor({2.0, 1.0}, torch::kFloat64));
  const torch::Tensor x = torch::tensor({{0.3, -0.2}, {1.0, 0.5}, {-0.7, 1.2}}, torch::kFloat64);
  ValueOptions o;
  o.samples = 8;
  o.sampler = std::make_shared<DiamondPosteriorSampler>(s.map);
  at::Generator gen = make_generator(77);
  const ValueEstimate v = estimate_value(*s.model, reward, x, full_times(3, 0.4), 1.5, o, gen, true);
  const double h = 1e-5;
  for (int64_t j = 0; j < 2; ++j) {
    torch::Tensor e = torch::zeros_like(x);
    e.select(1, j).fill_(h);
    at::Generator g1 = make_generator(77), g2 = make_generator(77);  // the same inner noise
    const torch::Tensor up = estimate_value(*s.model, reward, x + e, full_times(3, 0.4), 1.5, o, g1).value;
    const torch::Tensor down = estimate_value(*s.model, reward, x - e, full_times(3, 0.4), 1.5, o, g2).value;
    const torch::Tensor fd = (up - down) * 1.5 / (2 * h);
    EXPECT_LT((fd - v.gradient.select(1, j)).abs().max().item<double>(), 1e-5) << "coordinate " << j;
  }
}

// SMC with Diamond moves (1 call a step) and Diamond value potentials reaches the exact tilted target.
TEST(DiamondSmc, MovesAndValuesReachTheTiltedMixture) {
  Scene s;
  const torch::Tensor center = torch::tensor({2.0, 1.0}, torch::kFloat64);
  QuadraticReward reward(0.5, center);
  const auto tilted = s.mixture.tilted(0.5, center, 1.0);
  DiamondTransition kernel(s.map);
  SmcOptions o;
  o.particles = 16;
  o.lambda = 1.0;
  o.intermediate = IntermediateReward::Value;
  o.value.samples = 4;
  o.value.sampler = std::make_shared<DiamondPosteriorSampler>(s.map);
  at::Generator gen = make_generator(5);
  const std::vector<double> grid = uniform_grid(5);
  const SmcResult r = run_smc(*s.model, kernel, reward, grid, 1500, {2}, o, gen);
  // 5 one-call moves and 4 value estimates of 4 one-call samples per particle.
  EXPECT_EQ(smc_nfe_per_particle(kernel, *s.model, grid, o), 5 + 4 * 4);
  EXPECT_DOUBLE_EQ(r.cost.nfe_per_output(), 16.0 * (5 + 4 * 4));
  const double floor = test::noise_floor([&] { return tilted.mixture.sample(1500, gen); });
  EXPECT_LT(energy_distance(r.samples.to(torch::kFloat64), tilted.mixture.sample(1500, gen)), 3 * floor)
      << "floor " << floor;
}

}  // namespace
