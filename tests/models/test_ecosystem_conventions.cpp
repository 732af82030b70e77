// Models in the ecosystem's own conventions. (1) glass's kernels on the same exported networks,
// grids and noise give the same samples as the ecosystem's update rules, written separately in
// Python (tests/python/ecosystem_samplers.py): FlowMatchEuler on a sigma-time velocity network,
// DDIM and DDPM on an epsilon network, DDIM on a v-prediction network. (2) A FLUX-style network
// exact for a Gaussian samples that Gaussian. (3) Networks exact for a mixture in each convention
// reach the mixture with ODE, DDIM, DDPM, SDE and GLASS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "convention_networks.h"
#include "glass/io/tensor_files.h"
#include "glass/models/model_file.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSeed = 31;
constexpr int64_t kRows = 256;
constexpr int kNoiseSteps = 50;

class EcosystemReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("glass_test_ecosystem_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // The draws a chain makes from make_generator(kSeed): the prior, then one per step.
    at::Generator gen = make_generator(kSeed);
    write_npy((dir_ / "x_init.npy").string(), prior_noise(kRows, {2}, gen));
    std::vector<torch::Tensor> noise;
    for (int k = 0; k < kNoiseSteps; ++k) noise.push_back(randn({kRows, 2}, gen));
    write_npy((dir_ / "noise.npy").string(), torch::stack(noise));
    const std::string cmd =
        GLASS_PYTHON_PATH " " GLASS_SOURCE_DIR "/tests/python/ecosystem_samplers.py " + dir_.string();
    python_ok_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void SetUp() override { ASSERT_TRUE(python_ok_) << "the Python reference failed (is python3-torch installed?)"; }

  static std::string file(const std::string& name) { return (dir_ / name).string(); }

  // glass's chain from the same prior draw and step noise as the reference.
  static torch::Tensor run(TransitionKernel& kernel, const std::vector<double>& grid) {
    at::Generator gen = make_generator(kSeed);
    const torch::Tensor x = prior_noise(kRows, {2}, gen);
    return run_chain(kernel, x, grid, gen).x;
  }

  static void expect_same(const torch::Tensor& glass_x, const std::string& reference) {
    const torch::Tensor ref = read_npy(file(reference + ".npy")).to(torch::kFloat32);
    ASSERT_EQ(glass_x.sizes(), ref.sizes());
    const double diff = (glass_x - ref).abs().max().item<double>();
    const double scale = ref.abs().max().item<double>();
    EXPECT_LT(diff, 2e-4 * std::max(1.0, scale)) << reference << ": largest difference " << diff;
    EXPECT_GT(scale, 0.1) << reference << ": degenerate reference";
  }

  // The reference's integer timesteps are exactly glass's default grid for the table model.
  static void expect_grid_on_steps(const FlowModel& model, const std::vector<double>& grid,
                                   const std::string& reference) {
    const torch::Tensor steps = read_npy(file(reference + "_grid.npy"));
    const auto& table = dynamic_cast<const DdpmTableSchedule&>(model.schedule());
    ASSERT_EQ(static_cast<int64_t>(grid.size()), steps.size(0) + 1);
    for (int64_t i = 0; i < steps.size(0); ++i)
      EXPECT_NEAR(table.step_of_time(grid[i]), steps[i].item<double>(), 1e-9) << reference << " step " << i;
    EXPECT_EQ(grid.back(), 1.0);
  }

  static inline fs::path dir_;
  static inline bool python_ok_ = false;
};

TEST_F(EcosystemReference, FlowMatchEulerOnASigmaTimeVelocityNetwork) {
  LoadedModelFile m = load_model_file(file("flow.pt"));
  // diffusers' sigmas run 1 -> 0; library time is t = 1 - sigma.
  const torch::Tensor sigmas = read_npy(file("flow_euler_grid.npy"));
  std::vector<double> grid;
  for (int64_t i = 0; i < sigmas.size(0); ++i) grid.push_back(1.0 - sigmas[i].item<double>());
  OdeTransition euler(*m.model, OdeMethod::Euler);
  expect_same(run(euler, grid), "flow_euler");
}

TEST_F(EcosystemReference, DdimAndDdpmOnAnEpsilonNetwork) {
  LoadedModelFile m = load_model_file(file("eps.pt"));
  const auto& table = dynamic_cast<const DdpmTableSchedule&>(m.model->schedule());
  const std::vector<double> grid50 = table_step_grid(table, 50, TableSpacing::Leading),
                            grid25 = table_step_grid(table, 25, TableSpacing::Leading);
  expect_grid_on_steps(*m.model, grid50, "ddim_eps");
  expect_grid_on_steps(*m.model, grid25, "ddim_eps_eta");
  DdpmTransition ddim(*m.model, 0.0), ddim_half(*m.model, 0.5), ddpm(*m.model, 1.0);
  EXPECT_FALSE(ddim.stochastic());
  expect_same(run(ddim, grid50), "ddim_eps");
  expect_same(run(ddim_half, grid25), "ddim_eps_eta");
  expect_same(run(ddpm, grid50), "ddpm_eps");
}

TEST_F(EcosystemReference, DdimOnAVPredictionNetwork) {
  LoadedModelFile m = load_model_file(file("vpred.pt"));
  EXPECT_EQ(m.model->spec().prediction, Prediction::VPrediction);
  const std::vector<double> grid =
      table_step_grid(dynamic_cast<const DdpmTableSchedule&>(m.model->schedule()), 50, TableSpacing::Trailing);
  expect_grid_on_steps(*m.model, grid, "ddim_v");
  DdpmTransition ddim(*m.model, 0.0);
  expect_same(run(ddim, grid), "ddim_v");
}

TEST_F(EcosystemReference, AFluxStyleNetworkSamplesItsGaussian) {
  // The README's sidecar for such a network: velocity, time sigma, time_scale 1000.
  LoadedModelFile m = load_model_file(file("gauss_flux.pt"));
  const int64_t n = 4000;
  OdeTransition ode(*m.model, OdeMethod::Heun);
  GlassTransition glass(*m.model, GlassOptions{RhoSchedule::constant(0.4), 10, 1.0});
  for (auto [kernel, steps, std_tol] :
       {std::tuple<TransitionKernel*, int, double>{&ode, 25, 0.02}, {&glass, 5, 0.06}}) {
    at::Generator gen = make_generator(5);
    const torch::Tensor x =
        run_chain(*kernel, prior_noise(n, {2}, gen), uniform_grid(steps), gen).x.to(torch::kFloat64);
    // Mean within 4 standard errors (0.5 / sqrt(n)); the std within the kernel's discretisation
    // (GLASS's inner Euler shrinks the spread by a few percent at M = 10).
    const torch::Tensor mean = x.mean(0), sd = x.std(0);
    EXPECT_NEAR(mean[0].item<double>(), 2.0, 4 * 0.5 / std::sqrt(n)) << kernel->name();
    EXPECT_NEAR(mean[1].item<double>(), -1.0, 4 * 0.5 / std::sqrt(n)) << kernel->name();
    EXPECT_NEAR(sd[0].item<double>(), 0.5, std_tol) << kernel->name();
    EXPECT_NEAR(sd[1].item<double>(), 0.5, std_tol) << kernel->name();
  }
}

// (3) Exact mixture networks in each convention.
struct ConventionCase {
  const char* label;
  const char* schedule;
  Prediction prediction;
  TimeConvention time;
  double scale;
  const char* kernel;
  int steps;
};

std::ostream& operator<<(std::ostream& os, const ConventionCase& c) { return os << c.label << " " << c.kernel; }

// "label_kernel" (or the label alone) with every other character made '_', for gtest's names.
std::string case_name(const ConventionCase& c, bool with_kernel) {
  std::string name = std::string(c.label) + (with_kernel ? std::string("_") + c.kernel : "");
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

std::unique_ptr<TransitionKernel> make_kernel(const std::string& name, FlowModel& m) {
  if (name == "ode") return std::make_unique<OdeTransition>(m, OdeMethod::Heun);
  if (name == "ddim") return std::make_unique<DdpmTransition>(m, 0.0);
  if (name == "ddpm") return std::make_unique<DdpmTransition>(m, 1.0);
  if (name == "sde") return std::make_unique<SdeTransition>(m, SdeOptions{Diffusion::Sigma, 1.0, 1});
  return std::make_unique<GlassTransition>(m, GlassOptions{RhoSchedule::constant(0.4), 10, 1.0});
}

// A model whose network serves gmm2d exactly in the case's convention.
std::unique_ptr<FlowModel> convention_model(const ConventionCase& c, const GaussianMixture& g) {
  const SchedulePtr s = make_schedule(c.schedule);
  const ModelSpec spec{c.prediction, c.time, c.scale};
  return std::make_unique<NetworkFlowModel>(std::make_shared<test::ConventionMixtureNetwork>(g, s, spec), s, spec);
}

class ConventionSampling : public ::testing::TestWithParam<ConventionCase> {};

TEST_P(ConventionSampling, ReachesTheMixture) {
  const ConventionCase c = GetParam();
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const auto owned = convention_model(c, g);
  FlowModel& model = *owned;
  const Schedule* s = &model.schedule();
  auto kernel = make_kernel(c.kernel, model);
  const std::vector<double> grid = default_grid(model, c.steps);
  const int64_t n = 4000;
  at::Generator gen = make_generator(11);
  // Start from the exact marginal at the grid's first time (a DDPM table's noisiest step still
  // holds some signal: alpha = 0.068 for Stable Diffusion's table).
  const double t0 = grid.front();
  const torch::Tensor x0 =
      s->alpha(t0) * g.sample(n, gen).to(torch::kFloat32) + s->sigma(t0) * prior_noise(n, {2}, gen);
  const SampleResult r = run_chain(*kernel, x0, grid, gen);
  EXPECT_EQ(r.nfe, model.cost().calls);
  test::expect_mixture_fit(r.x, g, gen);
}

#define CONVENTION(label, schedule, prediction, time, scale)                 \
  ConventionCase{label, schedule, prediction, time, scale, "ode", 20},       \
      ConventionCase{label, schedule, prediction, time, scale, "ddim", 50},  \
      ConventionCase{label, schedule, prediction, time, scale, "ddpm", 200}, \
      ConventionCase{label, schedule, prediction, time, scale, "sde", 200},  \
      ConventionCase{label, schedule, prediction, time, scale, "glass", 5}

INSTANTIATE_TEST_SUITE_P(
    Conventions, ConventionSampling,
    ::testing::Values(CONVENTION("flux-velocity-sigma", "condot", Prediction::Velocity, TimeConvention::Sigma, 1000.0),
                      CONVENTION("x0-cosine", "cosine", Prediction::Denoiser, TimeConvention::FlowTime, 1.0),
                      CONVENTION("eps-vp", "vp", Prediction::Noise, TimeConvention::FlowTime, 1000.0),
                      CONVENTION("eps-ddpm-linear", "ddpm:1000", Prediction::Noise, TimeConvention::DdpmStep, 1.0),
                      CONVENTION("v-ddpm-scaled-linear", "ddpm:1000:scaled_linear", Prediction::VPrediction,
                                 TimeConvention::DdpmStep, 1.0)),
    [](const ::testing::TestParamInfo<ConventionCase>& info) { return case_name(info.param, true); });

}  // namespace

#include "glass/alignment/smc.h"
#include "glass/rewards/analytic_rewards.h"

namespace {

// SMC with GLASS moves on networks in the ecosystem's conventions reaches the exact reward-tilted
// mixture (the same bounds as the library-convention SMC test at N = 512).
class ConventionSmc : public ::testing::TestWithParam<ConventionCase> {};

TEST_P(ConventionSmc, ReachesTheExactTiltedMixture) {
  const ConventionCase c = GetParam();
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const auto owned = convention_model(c, g);
  FlowModel& model = *owned;
  GlassTransition kernel(model, GlassOptions{RhoSchedule::constant(0.4), 8, 1.0});
  const torch::Tensor center = torch::tensor({2.0, 1.0}, torch::kFloat64);
  QuadraticReward reward(0.5, center);
  const auto exact = g.tilted(0.5, center, 1.0);
  SmcOptions o;
  o.lambda = 1.0;
  o.particles = 512;
  at::Generator gen = make_generator(7);
  const SmcResult r = run_smc(model, kernel, reward, default_grid(model, c.steps), 16, {2}, o, gen);
  // 4000 unweighted draws from the 16 groups' weighted particles.
  const torch::Tensor w = (torch::softmax(r.log_weights, 1) / 16.0).reshape({-1});
  const torch::Tensor draws = r.particles.index_select(0, at::multinomial(w, 4000, true, gen)).to(torch::kFloat64);
  const MixtureFit fit = assess_mixture_fit(draws, exact.mixture, gen);
  EXPECT_LT(fit.max_weight_error, 0.05);
  EXPECT_LT(fit.energy_distance, 0.02);
  double mean_logz = 0.0;
  for (double v : r.log_z) mean_logz += v / 16.0;
  EXPECT_NEAR(mean_logz, exact.log_z, 0.05);
}

INSTANTIATE_TEST_SUITE_P(
    Conventions, ConventionSmc,
    ::testing::Values(ConventionCase{"flux-velocity-sigma", "condot", Prediction::Velocity, TimeConvention::Sigma,
                                     1000.0, "glass", 5},
                      ConventionCase{"eps-ddpm-linear", "ddpm:1000", Prediction::Noise, TimeConvention::DdpmStep, 1.0,
                                     "glass", 5},
                      ConventionCase{"v-ddpm-scaled-linear", "ddpm:1000:scaled_linear", Prediction::VPrediction,
                                     TimeConvention::DdpmStep, 1.0, "glass", 5}),
    [](const ::testing::TestParamInfo<ConventionCase>& info) { return case_name(info.param, false); });

}  // namespace
