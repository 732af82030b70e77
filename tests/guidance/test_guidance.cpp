// Reward guidance (denoiser and value guidance) and Monte Carlo value estimates on the mixture
// oracle, where exact values are known in closed form.
#include <gtest/gtest.h>

#include <cmath>

#include "glass/guidance/guided_flow_model.h"
#include "glass/guidance/value_guided_kernel.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "glass/values/value_estimate.h"
#include "test_helpers.h"

using namespace glass;

namespace {

const torch::Tensor kCenter = torch::tensor({2.0, 1.0}, torch::kFloat64);
constexpr double kKappa = 0.5;

// Exact lambda V_t(x) = log E[exp(lambda r(z)) | x_t = x]: the posterior is a Gaussian mixture,
// and the quadratic reward tilts it in closed form.
torch::Tensor exact_log_values(const GaussianMixture& g, const torch::Tensor& x, double alpha, double sigma,
                               double lambda) {
  const int64_t n = x.size(0);
  const torch::Tensor a = torch::full({n}, alpha, torch::kFloat64), s = torch::full({n}, sigma, torch::kFloat64);
  const torch::Tensor resp = g.responsibilities(x, a, s);
  std::vector<double> out;
  for (int64_t i = 0; i < n; ++i) {
    const torch::Tensor v = alpha * alpha * g.stds().pow(2) + sigma * sigma;  // [K]
    const torch::Tensor xi = x[i].to(torch::kFloat64).unsqueeze(0);
    const torch::Tensor means = g.means() + (alpha * g.stds().pow(2) / v).unsqueeze(1) * (xi - alpha * g.means());
    const torch::Tensor stds = (g.stds().pow(2) * sigma * sigma / v).sqrt();
    const torch::Tensor w = resp[i].clamp_min(1e-300);
    out.push_back(GaussianMixture(means, stds, w).tilted(kKappa, kCenter, lambda).log_z);
  }
  return torch::tensor(out, torch::kFloat64);
}

double correlation(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a - a.mean(), y = b - b.mean();
  return ((x * y).sum() / (x.pow(2).sum() * y.pow(2).sum()).sqrt()).item<double>();
}

struct Scene {
  GaussianMixture mixture = GaussianMixture::preset("gmm2d");
  SchedulePtr schedule = make_schedule("condot");
  std::unique_ptr<FlowModel> model = test::mixture_model(mixture, schedule);
  std::shared_ptr<QuadraticReward> reward = std::make_shared<QuadraticReward>(kKappa, kCenter);
};

double mean_reward(Reward& r, const torch::Tensor& x) { return r(x).mean().item<double>(); }

}  // namespace

TEST(ValueEstimates, CorrelateWithExactValues) {
  Scene s;
  at::Generator gen = make_generator(12);
  const double t = 0.5, lambda = 1.0;
  const double a = s.schedule->alpha(t), sg = s.schedule->sigma(t);
  const torch::Tensor x = s.mixture.sample_noisy(300, a, sg, gen).to(torch::kFloat32);
  const torch::Tensor exact = exact_log_values(s.mixture, x, a, sg, lambda);
  double previous = -1.0;
  for (int m : {2, 16}) {
    const ValueEstimate v =
        estimate_value(*s.model, *s.reward, x, full_times(300, t), lambda, ValueOptions{16, m}, gen);
    const double corr = correlation(v.value * lambda, exact);
    if (m == 16) EXPECT_GT(corr, 0.97);
    EXPECT_GT(corr, previous - 0.01) << "M = " << m;
    previous = corr;
  }
  // The mean of rewards (lambda = 0) is a different, lower quantity than the soft value (Jensen):
  // on the same posterior draws the soft value is above the mean for every particle.
  at::Generator g1 = make_generator(5), g2 = make_generator(5);
  const ValueEstimate soft = estimate_value(*s.model, *s.reward, x, full_times(300, t), 2.0, ValueOptions{16, 16}, g1);
  const ValueEstimate mean = estimate_value(*s.model, *s.reward, x, full_times(300, t), 0.0, ValueOptions{16, 16}, g2);
  EXPECT_TRUE((soft.value >= mean.value - 1e-12).all().item<bool>());
  EXPECT_GT((soft.value - mean.value).mean().item<double>(), 0.05);
}

TEST(ValueEstimates, SoftValueOnFixedNumbers) {
  const torch::Tensor r = torch::tensor({{0.0, std::log(3.0)}, {0.0, 1000.0}}, torch::kFloat64);
  const torch::Tensor v1 = soft_value(r, 1.0), v2 = soft_value(r, 2.0), v0 = soft_value(r, 0.0);
  EXPECT_NEAR(v1[0].item<double>(), std::log(2.0), 1e-12);          // log((1 + 3) / 2)
  EXPECT_NEAR(v2[0].item<double>(), std::log(5.0) / 2, 1e-12);      // log((1 + 9) / 2) / 2
  EXPECT_NEAR(v0[0].item<double>(), std::log(3.0) / 2, 1e-12);      // the mean
  EXPECT_NEAR(v1[1].item<double>(), 1000.0 - std::log(2.0), 1e-9);  // no overflow
  EXPECT_NEAR(soft_value(torch::tensor({{-1000.0, -1000.0}}, torch::kFloat64), 3.0).item<double>(), -1000.0, 1e-9);
}

// The estimate's level, not only its ranking: with many posterior samples it converges to the exact
// V_t(x) = (1/lambda) log E[exp(lambda r(z)) | x], which lies above the mean reward by a Jensen gap.
TEST(ValueEstimates, LevelMatchesTheExactValue) {
  Scene s;
  at::Generator gen = make_generator(21);
  const double t = 0.5, lambda = 2.0;
  const double a = s.schedule->alpha(t), sg = s.schedule->sigma(t);
  const torch::Tensor x = s.mixture.sample_noisy(200, a, sg, gen).to(torch::kFloat64);
  const torch::Tensor exact = exact_log_values(s.mixture, x, a, sg, lambda) / lambda;
  const torch::Tensor exact_mean = exact_log_values(s.mixture, x, a, sg, 1e-9) / 1e-9;  // E[r | x]
  const ValueEstimate v = estimate_value(*s.model, *s.reward, x, full_times(1, t), lambda, ValueOptions{256, 32}, gen);
  // The same estimator on exact posterior draws: its own finite-sample bias (log of a mean).
  const torch::Tensor xr = x.repeat_interleave(256, 0);
  const torch::Tensor z = s.mixture.sample_posterior(xr, torch::full({xr.size(0)}, a, torch::kFloat64),
                                                     torch::full({xr.size(0)}, sg, torch::kFloat64), gen);
  const torch::Tensor on_exact = soft_value((*s.reward)(z).reshape({200, 256}), lambda);
  const double gap = (exact - exact_mean).mean().item<double>();
  const double bias = (v.value - exact).mean().item<double>(), bias_exact = (on_exact - exact).mean().item<double>();
  std::printf("[value level] mean exact V %.4f, mean E[r|x] %.4f, Jensen gap %.4f, bias %.4f (on exact draws %.4f)\n",
              exact.mean().item<double>(), exact_mean.mean().item<double>(), gap, bias, bias_exact);
  // A mean of rewards in place of the log-mean-exp would be off by the whole gap; GLASS's posterior
  // (M = 32) adds 0.045 to the estimator's own bias here (0.12 at M = 8, 0.026 at M = 128).
  EXPECT_GT(gap, 0.5);
  EXPECT_LT(std::abs(bias_exact), gap / 10);
  EXPECT_LT(std::abs(bias - bias_exact), gap / 8);
}

TEST(ValueEstimates, GradientMatchesFiniteDifferencesThroughTheGlassSteps) {
  Scene s;
  const torch::Tensor x = torch::tensor({{0.3, -0.2}, {1.0, 0.5}, {-0.7, 1.2}}, torch::kFloat64);
  const torch::Tensor t = full_times(3, 0.4);
  const ValueOptions o{4, 6};
  const double lambda = 1.5;
  at::Generator gen = make_generator(77);
  const ValueEstimate v = estimate_value(*s.model, *s.reward, x, t, lambda, o, gen, true);
  const double h = 1e-5;
  for (int64_t j = 0; j < 2; ++j) {
    torch::Tensor e = torch::zeros_like(x);
    e.select(1, j).fill_(h);
    // The same seed gives the same inner noise: V is then a smooth function of x.
    at::Generator g1 = make_generator(77), g2 = make_generator(77);
    const torch::Tensor up = estimate_value(*s.model, *s.reward, x + e, t, lambda, o, g1).value;
    const torch::Tensor down = estimate_value(*s.model, *s.reward, x - e, t, lambda, o, g2).value;
    const torch::Tensor fd = (up - down) * lambda / (2 * h);
    EXPECT_LT((fd - v.gradient.select(1, j)).abs().max().item<double>(), 1e-4) << "coordinate " << j;
  }
}

TEST(DenoiserGuidance, RaisesTheRewardInEveryKernel) {
  Scene s;
  const std::vector<double> grid = uniform_grid(8);
  const int64_t n = 2000;
  for (const std::string kind : {"ode", "sde", "glass"}) {
    for (bool detached : {false, true}) {
      GuidedFlowModel guided_model(*s.model, DenoiserGuidance{s.reward, {2.0, 0.1, 0.9}, detached});
      const auto make = [&](FlowModel& m) -> std::unique_ptr<TransitionKernel> {
        if (kind == "ode") return std::make_unique<OdeTransition>(m, OdeMethod::Euler);
        if (kind == "sde") return std::make_unique<SdeTransition>(m, SdeOptions{Diffusion::Sigma, 1.0, 1});
        return std::make_unique<GlassTransition>(m, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
      };
      at::Generator gen = make_generator(31);
      const double plain = mean_reward(*s.reward, run_chain(*make(*s.model), prior_noise(n, {2}, gen), grid, gen).x);
      s.model->reset_cost();
      gen = make_generator(31);
      const double guided =
          mean_reward(*s.reward, run_chain(*make(guided_model), prior_noise(n, {2}, gen), grid, gen).x);
      // The reward's spread over the mixture is several units; a tilt of 2 moves the mean by > 0.5.
      EXPECT_GT(guided, plain + 0.5) << kind << (detached ? " detached" : " full");
      // The wrapper's calls count on the plain model: full guidance costs one backward pass per
      // guided call, detached guidance none.
      EXPECT_EQ(guided_model.cost().calls, s.model->cost().calls);
      EXPECT_GT(s.model->cost().calls, 0);
      if (detached) {
        EXPECT_EQ(s.model->cost().gradient_calls, 0);
      } else {
        EXPECT_GT(s.model->cost().gradient_calls, 0);
        EXPECT_LE(s.model->cost().gradient_calls, s.model->cost().calls);
      }
    }
  }
}

TEST(DenoiserGuidance, OutsideItsWindowChangesNothing) {
  Scene s;
  GlassTransition kernel(*s.model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  // GLASS inner times t* of a step from 0 to 0.5 stay below 0.5; a window at [0.99, 1] never fires.
  GuidedFlowModel guided_model(*s.model, DenoiserGuidance{s.reward, {5.0, 0.99, 1.0}, false});
  GlassTransition guided(guided_model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  at::Generator gen = make_generator(5);
  const torch::Tensor x = prior_noise(100, {2}, gen);
  const torch::Tensor first = guided.step(x, full_times(100, 0.0), full_times(100, 0.5), gen).x;
  at::Generator gen2 = make_generator(5);
  const torch::Tensor x2 = prior_noise(100, {2}, gen2);
  EXPECT_TRUE(torch::equal(first, kernel.step(x2, full_times(100, 0.0), full_times(100, 0.5), gen2).x));
  EXPECT_THROW(GuidedFlowModel(*s.model, DenoiserGuidance{s.reward, {1.0, 0.7, 0.2}, false}), std::invalid_argument);
  EXPECT_THROW(GuidedFlowModel(*s.model, DenoiserGuidance{nullptr, {1.0, 0.0, 1.0}, false}), std::invalid_argument);
}

// The default window is the paper's [0.2, 0.7]: near t = 0 the factor sigma^2 / alpha is unbounded.
TEST(DenoiserGuidance, DefaultWindowKeepsTheFactorBounded) {
  Scene s;
  const DenoiserGuidance guidance{s.reward, GuidanceScale{1.0}, true};
  const std::vector<double> c = guidance.coefficients(*s.schedule, {1e-6, 0.1, 0.2, 0.5, 0.7, 0.9});
  EXPECT_EQ(c[0], 0.0);
  EXPECT_EQ(c[1], 0.0);
  EXPECT_NEAR(c[2], 0.8 * 0.8 / 0.2, 1e-12);
  EXPECT_NEAR(c[3], 0.5 * 0.5 / 0.5, 1e-12);
  EXPECT_NEAR(c[4], 0.3 * 0.3 / 0.7, 1e-12);
  EXPECT_EQ(c[5], 0.0);
}

TEST(ValueGuidance, RaisesTheReward) {
  Scene s;
  GlassTransition glass(*s.model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  const std::vector<double> grid = uniform_grid(5);
  at::Generator gen = make_generator(13);
  const double plain = mean_reward(*s.reward, run_chain(glass, prior_noise(1000, {2}, gen), grid, gen).x);
  ValueGuidedKernel guided(glass, *s.model, ValueGuidanceOptions{s.reward, 1.0, ValueOptions{4, 4}, {1.0, 0.0, 1.0}});
  gen = make_generator(13);
  s.model->reset_cost();
  const SampleResult r = run_chain(guided, prior_noise(1000, {2}, gen), grid, gen);
  EXPECT_GT(mean_reward(*s.reward, r.x), plain + 0.5);
  // 5 GLASS steps of 4 calls, and a 4 x 4 value estimate after each of the first 4.
  EXPECT_EQ(s.model->cost().rows, 1000 * (5 * 4) + 4000 * (4 * 4));
  // NFE per particle counts each particle's 4 posterior samples: 5 * 4 + 4 * (4 * 4), what the
  // kernel's nfe_per_step() budgets.
  EXPECT_EQ(r.nfe, 5 * 4 + 4 * (4 * 4));
  EXPECT_EQ(guided.nfe_per_step(), 4 + 4 * 4);
}
