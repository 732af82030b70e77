// Full sampling from t = 0 with each kernel reaches the mixture; a seed reproduces a run.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "glass/values/chain_posterior_sampler.h"
#include "test_helpers.h"

using namespace glass;

namespace {

constexpr int64_t kN = 4000;

struct SamplerCase {
  const char* kernel;
  int steps;
};

std::ostream& operator<<(std::ostream& os, const SamplerCase& c) { return os << c.kernel << " K=" << c.steps; }

std::unique_ptr<TransitionKernel> make(const std::string& name, FlowModel& m) {
  if (name == "ode") return std::make_unique<OdeTransition>(m, OdeMethod::Heun);
  if (name == "ddpm") return std::make_unique<DdpmTransition>(m);
  if (name == "sde") return std::make_unique<SdeTransition>(m, SdeOptions{Diffusion::Sigma, 1.0, 1});
  if (name == "glass-0.4")
    return std::make_unique<GlassTransition>(m, GlassOptions{RhoSchedule::constant(0.4), 10, 1.0});
  return std::make_unique<GlassTransition>(m, GlassOptions{RhoSchedule::ddpm(), 10, 1.0});
}

class FullSampling : public ::testing::TestWithParam<SamplerCase> {};

TEST_P(FullSampling, ReachesTheMixture) {
  const SamplerCase c = GetParam();
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  auto kernel = make(c.kernel, *model);
  at::Generator gen = make_generator(2024);
  const SampleResult r = run_chain(*kernel, prior_noise(kN, {2}, gen), uniform_grid(c.steps), gen);
  EXPECT_EQ(r.nfe, model->cost().calls);
  test::expect_mixture_fit(r.x, g, gen);
}

INSTANTIATE_TEST_SUITE_P(Kernels, FullSampling,
                         ::testing::Values(SamplerCase{"ode", 20}, SamplerCase{"ddpm", 200}, SamplerCase{"sde", 200},
                                           SamplerCase{"glass-0.4", 5}, SamplerCase{"glass-ddpm", 5}));

// A chain of DDPM steps from each particle's own t to 1 draws from the exact posterior p(z | x_t);
// one step is the denoiser (the last DDPM step to t = 1 adds no noise).
TEST(ChainPosteriorSampler, DdpmChainDrawsTheExactPosteriorFromPerParticleTimes) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  constexpr int64_t n = 2000;
  at::Generator gen = make_generator(31);
  const double ta = 0.3, tb = 0.6;
  const torch::Tensor xa = g.sample_noisy(1, s->alpha(ta), s->sigma(ta), gen).expand({n, 2});
  const torch::Tensor xb = g.sample_noisy(1, s->alpha(tb), s->sigma(tb), gen).expand({n, 2});
  const torch::Tensor x = torch::cat({xa, xb}).to(torch::kFloat32);
  const torch::Tensor t = torch::cat({full_times(n, ta), full_times(n, tb)});
  ChainPosteriorSampler chain(std::make_unique<DdpmTransition>(*model), 100);
  EXPECT_EQ(chain.nfe(), 100);
  const torch::Tensor z = chain.sample(x, t, gen);
  EXPECT_EQ(model->cost().calls, 100);
  auto exact = [&](const torch::Tensor& xs, double tt) {
    return g.sample_posterior(xs.to(torch::kFloat64), full_times(n, s->alpha(tt)), full_times(n, s->sigma(tt)), gen);
  };
  for (const auto& [rows, xs, tt] : {std::tuple{0, xa, ta}, std::tuple{1, xb, tb}}) {
    const torch::Tensor part = z.narrow(0, rows * n, n);
    const double floor = test::noise_floor([&] { return exact(xs, tt); });
    EXPECT_LT(energy_distance(part, exact(xs, tt)), 3 * floor) << "t = " << tt << ", floor " << floor;
  }
  ChainPosteriorSampler one(std::make_unique<DdpmTransition>(*model), 1);
  EXPECT_TRUE(torch::allclose(one.sample(x, t, gen), model->denoise(x, t), 1e-5, 1e-5));
  EXPECT_THROW(ChainPosteriorSampler(std::make_unique<DdpmTransition>(*model), 0), std::invalid_argument);
}

TEST(Reproducibility, SameSeedSameSamplesOtherSeedOtherSamples) {
  const GaussianMixture g = GaussianMixture::preset("ring8");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  auto run = [&](uint64_t seed) {
    at::Generator gen = make_generator(seed);
    return run_chain(kernel, prior_noise(256, {2}, gen), uniform_grid(3), gen).x;
  };
  EXPECT_TRUE(torch::equal(run(5), run(5)));
  EXPECT_FALSE(torch::equal(run(5), run(6)));
}

TEST(TimeGrid, ValidatesGrids) {
  EXPECT_EQ(uniform_grid(4).size(), 5u);
  EXPECT_DOUBLE_EQ(uniform_grid(3).back(), 1.0);
  EXPECT_EQ(parse_grid("0,0.5,1").size(), 3u);
  for (const char* bad : {"0", "0,0.5,0.5", "0.5,0.2", "0,1.5", "0,x", ""})
    EXPECT_THROW(parse_grid(bad), std::invalid_argument) << bad;
  EXPECT_THROW(uniform_grid(0), std::invalid_argument);
}

}  // namespace
