// The SDE kernel's exact sub-step against independent numerics and against the DDIM and DDPM
// kernels (written apart from it), and full chains on a coarse grid with every diffusion.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

// A denoiser that ignores x: D = c for every particle and time.
class ConstantDenoiser : public Network {
 public:
  explicit ConstantDenoiser(torch::Tensor c) : c_(std::move(c)) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override {
    return c_.to(x.scalar_type()).expand_as(x).clone();
  }
  std::string describe() const override { return "constant denoiser"; }

 private:
  torch::Tensor c_;
};

std::unique_ptr<FlowModel> constant_model(const SchedulePtr& s, const torch::Tensor& c) {
  return std::make_unique<NetworkFlowModel>(std::make_shared<ConstantDenoiser>(c), s,
                                            ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
}

// The SDE with the denoiser frozen at D is linear: dx = (a x + b D) dt + g dW with
//   a = sigma'/sigma - k,  b = alpha' - alpha sigma'/sigma + k alpha,  g^2 = 2 k sigma^2,
// so x_t1 = cx x_t0 + cd D + std xi with cx' = a cx, cd' = a cd + b, var' = 2 a var + g^2.
// Integrated here by RK4 from the SDE itself, not from the kernel's closed form.
SdeStepCoefficients rk4_reference(const Schedule& s, Diffusion d, double eta, double t0, double t1) {
  const auto k_of = [&](double t) {
    const double e2 = eta * eta;
    switch (d) {
      case Diffusion::Sigma: return 0.5 * e2;
      case Diffusion::Constant: return 0.5 * e2 / (s.sigma(t) * s.sigma(t));
      case Diffusion::Ddpm: return e2 * (s.d_alpha(t) / s.alpha(t) - s.d_sigma(t) / s.sigma(t));
    }
    return 0.0;
  };
  const auto rhs = [&](double t, const std::array<double, 3>& y) {
    const double k = k_of(t), r = s.d_sigma(t) / s.sigma(t);
    const double a = r - k, b = s.d_alpha(t) - s.alpha(t) * r + k * s.alpha(t), g2 = 2 * k * s.sigma(t) * s.sigma(t);
    return std::array<double, 3>{a * y[0], a * y[1] + b, 2 * a * y[2] + g2};
  };
  std::array<double, 3> y{1.0, 0.0, 0.0};
  const int steps = 20000;
  const double h = (t1 - t0) / steps;
  for (int i = 0; i < steps; ++i) {
    const double t = t0 + i * h;
    const auto add = [](const std::array<double, 3>& u, const std::array<double, 3>& v, double f) {
      return std::array<double, 3>{u[0] + f * v[0], u[1] + f * v[1], u[2] + f * v[2]};
    };
    const auto k1 = rhs(t, y), k2 = rhs(t + h / 2, add(y, k1, h / 2)), k3 = rhs(t + h / 2, add(y, k2, h / 2)),
               k4 = rhs(t + h, add(y, k3, h));
    for (int j = 0; j < 3; ++j) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
  }
  return {y[0], y[1], std::sqrt(y[2])};
}

TEST(SdeTransition, ExactSubStepMatchesTheFrozenDenoiserSde) {
  const torch::Tensor c = torch::tensor({0.7, -1.2}, torch::kFloat64);
  for (const char* schedule : {"condot", "cosine"}) {
    const SchedulePtr s = make_schedule(schedule);
    auto model = constant_model(s, c);
    for (Diffusion d : {Diffusion::Sigma, Diffusion::Constant, Diffusion::Ddpm}) {
      for (double eta : {0.5, 1.0, 2.0}) {
        SdeTransition sde(*model, SdeOptions{d, eta, 1});
        for (auto [t0, t1] : std::vector<std::pair<double, double>>{{0.05, 0.3}, {0.3, 0.7}, {0.6, 0.95}}) {
          const SdeStepCoefficients got = sde.coefficients(t0, t1), want = rk4_reference(*s, d, eta, t0, t1);
          const std::string where = std::string(schedule) + " " + to_string(d) + " eta=" + std::to_string(eta) + " " +
                                    std::to_string(t0) + "->" + std::to_string(t1);
          EXPECT_NEAR(got.x_coef, want.x_coef, 1e-7 * (1 + std::abs(want.x_coef))) << where;
          EXPECT_NEAR(got.d_coef, want.d_coef, 1e-7 * (1 + std::abs(want.d_coef))) << where;
          EXPECT_NEAR(got.noise_std, want.noise_std, 1e-7) << where;
          // The step applies them: x_t1 = cx x + cd D + std xi, xi the generator's next draw.
          const torch::Tensor x = torch::tensor({{1.5, -0.5}, {-3.0, 4.0}}, torch::kFloat64);
          at::Generator g1 = make_generator(3), g2 = make_generator(3);
          const torch::Tensor stepped = sde.step(x, full_times(2, t0), full_times(2, t1), g1).x;
          const torch::Tensor expected = got.x_coef * x + got.d_coef * c + got.noise_std * randn_like_on(x, g2);
          EXPECT_LT((stepped - expected).abs().max().item<double>(), 1e-12) << where;
        }
      }
    }
  }
}

TEST(SdeTransition, CoarseStepsStayBetweenDdimAndAFreshDraw) {
  // The last step of the default 5-step CondOT grid: Euler-Maruyama put 1 + h (sigma'/sigma - k)
  // = -2.5 on x for the constant diffusion; the exact step lands on the data: cx = 0, cd = 1.
  const SchedulePtr s = make_schedule("condot");
  auto model = constant_model(s, torch::zeros({2}, torch::kFloat64));
  for (Diffusion d : {Diffusion::Sigma, Diffusion::Constant, Diffusion::Ddpm}) {
    SdeTransition sde(*model, SdeOptions{d, 1.0, 1});
    const std::vector<double> grid = uniform_grid(5);
    for (size_t i = 0; i + 1 < grid.size(); ++i) {
      const SdeStepCoefficients c = sde.coefficients(grid[i], grid[i + 1]);
      const double ddim_x = s->sigma(grid[i + 1]) / s->sigma(grid[i]);
      EXPECT_GE(c.x_coef, 0.0) << to_string(d) << " step " << i;
      EXPECT_LE(c.x_coef, ddim_x + 1e-15) << to_string(d) << " step " << i;
      EXPECT_LE(c.noise_std, s->sigma(grid[i + 1]) + 1e-15) << to_string(d) << " step " << i;
    }
    const SdeStepCoefficients last = sde.coefficients(0.8, 1.0);
    EXPECT_EQ(last.x_coef, 0.0) << to_string(d);
    EXPECT_NEAR(last.d_coef, 1.0, 1e-15) << to_string(d);
    EXPECT_EQ(last.noise_std, 0.0) << to_string(d);
  }
  // The ddpm diffusion from pure noise (alpha_0 = 0) is a fresh draw alpha D + sigma xi.
  SdeTransition ddpm_sde(*model, SdeOptions{Diffusion::Ddpm, 1.0, 1});
  const SdeStepCoefficients first = ddpm_sde.coefficients(0.0, 0.2);
  EXPECT_EQ(first.x_coef, 0.0);
  EXPECT_NEAR(first.d_coef, 0.2, 1e-15);
  EXPECT_NEAR(first.noise_std, 0.8, 1e-15);
}

TEST(SdeTransition, IsDdimWithoutNoiseAndDdpmWithItsDiffusion) {
  // The DDPM kernel computes its step from rho_DDPM and GLASS's coefficients, apart from the SDE.
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  for (const char* schedule : {"condot", "cosine"}) {
    const SchedulePtr s = make_schedule(schedule);
    auto model = test::mixture_model(g, s);
    at::Generator data = make_generator(5);
    const torch::Tensor x = torch::randn({64, 2}, data, torch::kFloat64) * 2;
    DdpmTransition ddim(*model, 0.0), ddpm(*model, 1.0);
    SdeTransition sde_ode(*model, SdeOptions{Diffusion::Sigma, 0.0, 1});
    SdeTransition sde_ddpm(*model, SdeOptions{Diffusion::Ddpm, 1.0, 1});
    for (auto [t0, t1] : std::vector<std::pair<double, double>>{{0.0, 0.2}, {0.2, 0.5}, {0.5, 0.9}, {0.8, 1.0}}) {
      const torch::Tensor a = full_times(64, t0), b = full_times(64, t1);
      at::Generator g1 = make_generator(9), g2 = make_generator(9);
      EXPECT_LT((sde_ode.step(x, a, b, g1).x - ddim.step(x, a, b, g2).x).abs().max().item<double>(), 1e-9)
          << schedule << " " << t0;
      at::Generator g3 = make_generator(9), g4 = make_generator(9);
      EXPECT_LT((sde_ddpm.step(x, a, b, g3).x - ddpm.step(x, a, b, g4).x).abs().max().item<double>(), 1e-9)
          << schedule << " " << t0;
    }
  }
}

class SdeChains : public ::testing::TestWithParam<Diffusion> {};

// Noise to data on the default 5-step grid with one call a step. Euler-Maruyama's constant
// diffusion ended with x_1 = -2.5 x + 3 D + 0.45 xi, about 0.67 std of extra noise: the narrow
// components came out 1.6x and 1.9x too wide. Exact steps add no noise beyond the marginal's; with
// D frozen over 0.2 of time they under-disperse as DDPM's 5 steps do (measured 0.8-1.0x). Every
// component's std must lie within [0.7, 1.1] of the truth (its sampling error is 2-3% here); 40
// sub-steps reach the mixture itself.
TEST_P(SdeChains, ReachTheMixtureOnACoarseGrid) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(31);
  const int64_t n = 4000;
  SdeTransition coarse(*model, SdeOptions{GetParam(), 1.0, 1});
  const torch::Tensor x = run_chain(coarse, prior_noise(n, {2}, gen), uniform_grid(5), gen).x.to(torch::kFloat64);
  const torch::Tensor label =
      g.responsibilities(x, torch::ones({1}, torch::kFloat64), torch::zeros({1}, torch::kFloat64)).argmax(1);
  for (int64_t k = 0; k < g.components(); ++k) {
    const torch::Tensor members = x.index_select(0, (label == k).nonzero().squeeze(1));
    const double ratio = members.std(0).mean().item<double>() / g.stds()[k].item<double>();
    EXPECT_GT(ratio, 0.7) << coarse.name() << " component " << k;
    EXPECT_LT(ratio, 1.1) << coarse.name() << " component " << k;
  }
  SdeTransition fine(*model, SdeOptions{GetParam(), 1.0, 40});
  test::expect_mixture_fit(run_chain(fine, prior_noise(n, {2}, gen), uniform_grid(5), gen).x, g, gen);
}

INSTANTIATE_TEST_SUITE_P(Diffusions, SdeChains,
                         ::testing::Values(Diffusion::Sigma, Diffusion::Constant, Diffusion::Ddpm),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
