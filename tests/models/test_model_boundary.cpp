// The model boundary: every parameterisation and time convention gives the same denoiser, and
// network calls are counted; bad network outputs are clear errors.
#include <gtest/gtest.h>

#include "convention_networks.h"
#include "glass/models/mixture_network.h"
#include "glass/models/network_flow_model.h"
#include "glass/schedules/ddpm_table.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

using ReparameterisedNetwork = test::ConventionMixtureNetwork;

struct BoundaryCase {
  const char* schedule;
  Prediction prediction;
  TimeConvention time;
  double scale;
};

class BoundaryTest : public ::testing::TestWithParam<BoundaryCase> {};

TEST_P(BoundaryTest, DenoiserAndVelocityAgreeWithTheExactMixture) {
  const BoundaryCase c = GetParam();
  const SchedulePtr s = make_schedule(c.schedule);
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const ModelSpec spec{c.prediction, c.time, c.scale};
  NetworkFlowModel model(std::make_shared<ReparameterisedNetwork>(g, s, spec), s, spec);
  auto exact = test::mixture_model(g, s);

  at::Generator gen = make_generator(3);
  const torch::Tensor x = torch::randn({64, 2}, gen, torch::kFloat64) * 2.0;
  // Per-particle times inside (0, 1), away from the ends where noise/velocity conversions are singular.
  const torch::Tensor t = torch::linspace(0.05, 0.95, 64, torch::kFloat64);
  std::vector<double> t_eff;
  for (double v : particle_values(t, 64, "t")) t_eff.push_back(model.effective_time(v));
  const torch::Tensor te = times_tensor(t_eff);

  EXPECT_TRUE(torch::allclose(model.denoise(x, t), exact->denoise(x, te), 1e-6, 1e-8));
  EXPECT_TRUE(torch::allclose(model.velocity(x, t), exact->velocity(x, te), 1e-6, 1e-8));
  EXPECT_EQ(model.cost().calls, 2);
  EXPECT_EQ(model.cost().rows, 128);
}

INSTANTIATE_TEST_SUITE_P(
    Conventions, BoundaryTest,
    ::testing::Values(BoundaryCase{"condot", Prediction::Velocity, TimeConvention::FlowTime, 1.0},
                      BoundaryCase{"condot", Prediction::Velocity, TimeConvention::Sigma, 1000.0},
                      BoundaryCase{"condot", Prediction::Noise, TimeConvention::FlowTime, 1000.0},
                      BoundaryCase{"cosine", Prediction::Denoiser, TimeConvention::Sigma, 1.0},
                      BoundaryCase{"vp", Prediction::Noise, TimeConvention::FlowTime, 1.0},
                      BoundaryCase{"ddpm", Prediction::Noise, TimeConvention::DdpmStep, 1.0},
                      BoundaryCase{"ddpm:100", Prediction::VPrediction, TimeConvention::DdpmStep, 1.0},
                      BoundaryCase{"ddpm:1000:scaled_linear", Prediction::VPrediction, TimeConvention::DdpmStep, 1.0},
                      BoundaryCase{"vp", Prediction::VPrediction, TimeConvention::FlowTime, 1000.0},
                      BoundaryCase{"cosine", Prediction::VPrediction, TimeConvention::Sigma, 1.0},
                      // alpha^2 + sigma^2 != 1: v = alpha eps - sigma z decodes through the norm
                      // alpha^2 + sigma^2, which VP schedules (every case above) hide.
                      BoundaryCase{"condot", Prediction::VPrediction, TimeConvention::FlowTime, 1.0},
                      BoundaryCase{"poly:2", Prediction::VPrediction, TimeConvention::Sigma, 1000.0},
                      BoundaryCase{"cosine", Prediction::Velocity, TimeConvention::Sigma, 1.0}));

std::ostream& operator<<(std::ostream& os, const BoundaryCase& c) {
  return os << c.schedule << " " << to_string(c.prediction) << " time=" << to_string(c.time) << "*" << c.scale;
}

TEST(ModelBoundary, ASigmaTimeVelocityIsTheDerivativeInSigma) {
  // FLUX / SD3 / diffusers: x_sigma = (1 - sigma) z + sigma eps and the network returns eps - z.
  // For a point mass at z = c the library velocity is dx/dt = z - eps = (c - x) / (1 - t).
  class PointMassFlux : public Network {
   public:
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& ts) override {
      const torch::Tensor sigma = (ts.to(torch::kFloat64) / 1000.0).reshape({-1, 1});
      const torch::Tensor c = torch::tensor({2.0, -1.0}, torch::kFloat64);
      const torch::Tensor eps = (x.to(torch::kFloat64) - (1 - sigma) * c) / sigma;
      return (eps - c).to(x.scalar_type());
    }
    std::string describe() const override { return "point mass"; }
  };
  const SchedulePtr s = make_schedule("condot");
  NetworkFlowModel model(std::make_shared<PointMassFlux>(), s,
                         ModelSpec{Prediction::Velocity, TimeConvention::Sigma, 1000.0});
  const torch::Tensor x = torch::tensor({{0.5, 0.5}, {-1.0, 3.0}}, torch::kFloat64);
  const torch::Tensor t = torch::tensor({0.25, 0.6}, torch::kFloat64);
  const torch::Tensor expected = (torch::tensor({2.0, -1.0}, torch::kFloat64) - x) / (1 - t).reshape({-1, 1});
  EXPECT_TRUE(torch::allclose(model.velocity(x, t), expected, 1e-9, 1e-9));
  EXPECT_TRUE(
      torch::allclose(model.denoise(x, t), torch::tensor({2.0, -1.0}, torch::kFloat64).expand({2, 2}), 1e-9, 1e-9));
}

TEST(ModelBoundary, ConventionNamesOfTheEcosystem) {
  EXPECT_EQ(parse_prediction("epsilon"), Prediction::Noise);
  EXPECT_EQ(parse_prediction("sample"), Prediction::Denoiser);
  EXPECT_EQ(parse_prediction("v_prediction"), Prediction::VPrediction);
  EXPECT_EQ(parse_prediction("flow_prediction"), Prediction::Velocity);
  EXPECT_THROW(parse_prediction("v"), std::invalid_argument);  // ambiguous between the two
  const SchedulePtr s = make_schedule("ddpm:100");
  auto net = std::make_shared<MixtureNetwork>(GaussianMixture::preset("gmm2d"), s);
  EXPECT_THROW(NetworkFlowModel(net, s, ModelSpec{Prediction::Velocity, TimeConvention::DdpmStep, 1.0}),
               std::invalid_argument);
}

TEST(ModelBoundary, DdpmStepsAreIntegersOnTheGrid) {
  const SchedulePtr s = make_schedule("ddpm");
  const ModelSpec spec{Prediction::Noise, TimeConvention::DdpmStep, 1.0};
  auto net = std::make_shared<ReparameterisedNetwork>(GaussianMixture::preset("gmm2d"), s, spec);
  NetworkFlowModel model(net, s, spec);
  model.denoise(torch::zeros({3, 2}), torch::tensor({0.0, 0.5, 0.9999}, torch::kFloat64));
  ASSERT_EQ(net->last_timestep.scalar_type(), torch::kInt64);
  const auto k = net->last_timestep.to(torch::kCPU);
  EXPECT_EQ(k[0].item<int64_t>(), 999);  // t = 0 is beyond the noisiest step: clamped to it
  EXPECT_EQ(k[1].item<int64_t>(), 500);  // 1000 - 0.5 * 1001 = 499.5 rounds to 500
  EXPECT_EQ(k[2].item<int64_t>(), 0);
}

TEST(ModelBoundary, DdpmConventionNeedsADdpmSchedule) {
  const SchedulePtr s = make_schedule("condot");
  auto net = std::make_shared<MixtureNetwork>(GaussianMixture::preset("gmm2d"), s);
  EXPECT_THROW(NetworkFlowModel(net, s, ModelSpec{Prediction::Noise, TimeConvention::DdpmStep, 1.0}),
               std::invalid_argument);
}

class FixedOutputNetwork : public Network {
 public:
  explicit FixedOutputNetwork(std::function<torch::Tensor(const torch::Tensor&)> f) : f_(std::move(f)) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override { return f_(x); }
  std::string describe() const override { return "fixed"; }

 private:
  std::function<torch::Tensor(const torch::Tensor&)> f_;
};

TEST(ModelBoundary, NaNAndWrongShapesFromTheNetworkAreErrors) {
  const SchedulePtr s = make_schedule("condot");
  const ModelSpec spec{Prediction::Velocity, TimeConvention::FlowTime, 1.0};
  NetworkFlowModel nan_model(std::make_shared<FixedOutputNetwork>([](const torch::Tensor& x) { return x * NAN; }), s,
                             spec);
  NetworkFlowModel shape_model(std::make_shared<FixedOutputNetwork>([](const torch::Tensor& x) { return x.sum(1); }), s,
                               spec);
  const torch::Tensor x = torch::ones({4, 2});
  const torch::Tensor t = torch::full({4}, 0.5, torch::kFloat64);
  try {
    nan_model.denoise(x, t);
    FAIL() << "NaN output accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos);
  }
  EXPECT_THROW(shape_model.denoise(x, t), std::runtime_error);
  EXPECT_THROW(nan_model.denoise(x, torch::full({3}, 0.5, torch::kFloat64)), std::invalid_argument);
  EXPECT_THROW(nan_model.denoise(x, torch::full({4}, 1.5, torch::kFloat64)), std::invalid_argument);
}

TEST(ModelBoundary, NoiseModelsHaveNoDenoiserAtPureNoise) {
  const SchedulePtr s = make_schedule("condot");
  const ModelSpec spec{Prediction::Noise, TimeConvention::FlowTime, 1.0};
  NetworkFlowModel model(std::make_shared<FixedOutputNetwork>([](const torch::Tensor& x) { return x; }), s, spec);
  EXPECT_THROW(model.denoise(torch::ones({2, 2}), torch::zeros({2}, torch::kFloat64)), std::runtime_error);
}

}  // namespace

#include "glass/alignment/smc.h"
#include "glass/models/model_file.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/transitions/glass_transition.h"

namespace {

// Chunked network calls (--max-batch) change neither the samples nor the NFE count, only how
// many rows meet the network at once.
TEST(ModelBoundary, ChunkedCallsGiveBitIdenticalChainsAndSmc) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto whole = test::mixture_model(g, s), chunked = test::mixture_model(g, s);
  chunked->set_max_batch(7);
  GlassTransition kw(*whole, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  GlassTransition kc(*chunked, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  at::Generator ga = make_generator(3), gb = make_generator(3);
  const torch::Tensor a = run_chain(kw, prior_noise(100, {2}, ga), uniform_grid(3), ga).x;
  const torch::Tensor b = run_chain(kc, prior_noise(100, {2}, gb), uniform_grid(3), gb).x;
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(whole->cost().calls, chunked->cost().calls);
  EXPECT_EQ(whole->cost().rows, chunked->cost().rows);

  QuadraticReward reward(0.5, torch::tensor({2.0, 1.0}, torch::kFloat64));
  SmcOptions o;
  o.particles = 10;
  o.lambda = 2.0;
  at::Generator gc = make_generator(4), gd = make_generator(4);
  const SmcResult sa = run_smc(*whole, kw, reward, uniform_grid(3), 5, {2}, o, gc);
  const SmcResult sb = run_smc(*chunked, kc, reward, uniform_grid(3), 5, {2}, o, gd);
  EXPECT_TRUE(torch::equal(sa.samples, sb.samples));
  EXPECT_TRUE(torch::equal(sa.log_weights, sb.log_weights));
  EXPECT_THROW(chunked->set_max_batch(-1), std::invalid_argument);
}

TEST(ModelBoundary, ChunkedCallsOfTheShippedUnetAgreeToRounding) {
  // oneDNN picks its convolution kernels by batch size, so a row's float32 result may differ in
  // the last bits with the chunk it was in (measured: up to 1e-6): equal to rounding, not bitwise.
  torch::set_num_threads(2);
  LoadedModelFile whole = load_model_file(GLASS_SOURCE_DIR "/models/fashion-mnist-unet/model.json");
  LoadedModelFile chunked = load_model_file(GLASS_SOURCE_DIR "/models/fashion-mnist-unet/model.json");
  chunked.model->set_max_batch(5);
  at::Generator gen = make_generator(1);
  const torch::Tensor x = prior_noise(23, {1, 28, 28}, gen);
  const torch::Tensor t = torch::linspace(0.1, 0.9, 23, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const torch::Tensor a = whole.model->denoise(x, t), b = chunked.model->denoise(x, t);
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5)) << "largest difference " << (a - b).abs().max().item<double>();
  EXPECT_EQ(whole.model->cost().calls, chunked.model->cost().calls);
}

}  // namespace
