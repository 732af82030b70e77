// GLASS and DDPM transitions against the exact transitions of Gaussian mixtures.
#include <gtest/gtest.h>

#include <cmath>

#include "convention_networks.h"
#include "glass/schedules/ddpm_table.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_coefficients.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

// Sample sizes: with n = 3000 per set the energy-distance floor is about 2e-3 in 2-D, while the
// M = 1 GLASS error is above 0.1: the test separates "converged" from "not" by two decades.
constexpr int64_t kN = 3000;

torch::Tensor repeat_point(const torch::Tensor& point, int64_t n) {
  return point.reshape({1, -1}).expand({n, point.numel()}).contiguous();
}

struct TransitionCase {
  const char* preset;
  const char* schedule;
  double t, t_next;
  const char* rho;
};

std::ostream& operator<<(std::ostream& os, const TransitionCase& c) {
  return os << c.preset << "/" << c.schedule << " t=" << c.t << "->" << c.t_next << " rho=" << c.rho;
}

class GlassVsExact : public ::testing::TestWithParam<TransitionCase> {};

TEST_P(GlassVsExact, DistanceFallsWithInnerStepsToTheNoiseFloor) {
  const TransitionCase c = GetParam();
  const GaussianMixture g = GaussianMixture::preset(c.preset);
  const SchedulePtr s = make_schedule(c.schedule);
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(1234);
  // One x_t drawn from p_t, repeated: the transition from a single point.
  const torch::Tensor x0 = g.sample_noisy(1, s->alpha(c.t), s->sigma(c.t), gen).to(torch::kFloat32);
  const torch::Tensor x = repeat_point(x0, kN);
  const torch::Tensor t = full_times(1, c.t), tn = full_times(1, c.t_next);
  ExactMixtureTransition exact(g, s, RhoSchedule::parse(c.rho));
  const torch::Tensor reference = exact.step(x, t, tn, gen).x;
  const double floor = test::noise_floor([&] { return exact.step(x, t, tn, gen).x; });

  std::vector<double> dist;
  for (int M : {1, 2, 4, 8, 16}) {
    GlassTransition kernel(*model, GlassOptions{RhoSchedule::parse(c.rho), M, 1.0});
    model->reset_cost();
    const StepResult r = kernel.step(x, t, tn, gen);
    EXPECT_EQ(r.nfe, M);
    EXPECT_EQ(model->cost().calls, M);
    dist.push_back(energy_distance(r.x, reference));
  }
  ::testing::Message msg;
  msg << "floor " << floor << ", distances M=1..16:";
  for (double d : dist) msg << " " << d;
  SCOPED_TRACE(msg);
  // Falls as M grows (up to sampling noise once converged) ...
  for (size_t i = 1; i < dist.size(); ++i) EXPECT_LT(dist[i], dist[i - 1] + 2 * floor);
  // ... its excess over the floor shrinks 50-fold from M = 1 to M = 16 (Euler is first order;
  // the distance is quadratic in a small bias) ...
  EXPECT_LT(dist.back() - floor, (dist.front() - floor) / 50);
  // ... and at M = 16 sits within a small factor of the exact-vs-exact floor.
  EXPECT_LT(dist.back(), 4 * floor);
}

INSTANTIATE_TEST_SUITE_P(Mixtures, GlassVsExact,
                         ::testing::Values(TransitionCase{"gmm2d", "condot", 0.3, 0.7, "0.4"},
                                           TransitionCase{"gmm2d", "condot", 0.1, 0.5, "0"},
                                           TransitionCase{"gmm2d", "condot", 0.5, 0.9, "0.8"},
                                           TransitionCase{"gmm2d", "condot", 0.3, 0.7, "ddpm"},
                                           TransitionCase{"ring8", "cosine", 0.2, 0.6, "-0.3"},
                                           TransitionCase{"ring8", "vp", 0.4, 0.8, "0.4"},
                                           TransitionCase{"gmm16d", "condot", 0.3, 0.7, "0.4"},
                                           TransitionCase{"gmm2d", "condot", 0.4, 1.0, "0.4"}));

class MarginalPreservation : public ::testing::TestWithParam<const char*> {};

TEST_P(MarginalPreservation, GlassMovesPtToPtPrime) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(77);
  const double t = 0.25, tn = 0.65;
  // M = 32 keeps the solver's error well under the floor, so what is tested is preservation.
  GlassTransition kernel(*model, GlassOptions{RhoSchedule::parse(GetParam()), 32, 1.0});
  const auto draw = [&] { return g.sample_noisy(kN, s->alpha(tn), s->sigma(tn), gen); };
  const double floor = test::noise_floor(draw);
  // Averaged over 3 start sets x_t ~ p_t: one set's distance scatters by a few floors, whatever
  // the solver (Euler with M = 512 gives the same distances).
  double d = 0.0;
  torch::Tensor xt;
  for (int i = 0; i < 3; ++i) {
    xt = g.sample_noisy(kN, s->alpha(t), s->sigma(t), gen).to(torch::kFloat32);
    d += energy_distance(kernel.step(xt, full_times(1, t), full_times(1, tn), gen).x, draw()) / 3;
  }
  EXPECT_LT(d, 3 * floor) << "floor " << floor;
  // Not vacuous: the unmoved particles are far from p_t'.
  EXPECT_GT(energy_distance(xt, draw()), 20 * floor);
}

INSTANTIATE_TEST_SUITE_P(Rhos, MarginalPreservation, ::testing::Values("0", "0.4", "0.9", "-0.5", "ddpm"));

// A per-step rho schedule gives each particle the rho of its own start time: one batch with half
// its particles moving 0.1 -> 0.4 (rho 0.9: the first of two steps) and half 0.6 -> 0.9 (rho -0.5),
// each half against the exact transition with that constant rho.
TEST(PerStepRho, EachParticleMovesWithTheRhoOfItsStartTime) {
  const RhoSchedule rho = RhoSchedule::parse("0.9,-0.5");
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  EXPECT_DOUBLE_EQ(rho(*s, 0.0, 0.3), 0.9);
  EXPECT_DOUBLE_EQ(rho(*s, 0.49, 0.7), 0.9);
  EXPECT_DOUBLE_EQ(rho(*s, 0.5, 0.7), -0.5);
  EXPECT_DOUBLE_EQ(rho(*s, 1.0, 1.0), -0.5);
  EXPECT_THROW(RhoSchedule::parse("0.5,1.0"), std::invalid_argument);
  EXPECT_THROW(RhoSchedule::per_step({}), std::invalid_argument);

  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(99);
  const torch::Tensor x = repeat_point(torch::tensor({0.5f, 0.2f}), 2 * kN);
  const torch::Tensor t = torch::cat({full_times(kN, 0.1), full_times(kN, 0.6)});
  const torch::Tensor tn = torch::cat({full_times(kN, 0.4), full_times(kN, 0.9)});
  GlassTransition kernel(*model, GlassOptions{rho, 16, 1.0});
  const torch::Tensor moved = kernel.step(x, t, tn, gen).x;
  const torch::Tensor x_half = x.narrow(0, 0, kN);
  const auto exact = [&](double r, double from, double to) {
    ExactMixtureTransition e(g, s, RhoSchedule::constant(r));
    return e.step(x_half, full_times(1, from), full_times(1, to), gen).x;
  };
  const double floor = test::noise_floor([&] { return exact(0.9, 0.1, 0.4); });
  EXPECT_LT(energy_distance(moved.narrow(0, 0, kN), exact(0.9, 0.1, 0.4)), 4 * floor) << "floor " << floor;
  EXPECT_LT(energy_distance(moved.narrow(0, kN, kN), exact(-0.5, 0.6, 0.9)), 4 * floor) << "floor " << floor;
  // Not vacuous: the other rho moves the same points to a visibly different law.
  EXPECT_GT(energy_distance(exact(-0.5, 0.1, 0.4), exact(0.9, 0.1, 0.4)), 20 * floor);
  EXPECT_GT(energy_distance(exact(0.9, 0.6, 0.9), exact(-0.5, 0.6, 0.9)), 20 * floor);
}

TEST(DdpmIsGlass, ManySmallAncestralStepsAndGlassDdpmReachTheExactTransition) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(4321);
  const double t = 0.3, tn = 0.7;
  const torch::Tensor x = repeat_point(torch::tensor({0.6f, 0.1f}), kN);
  ExactMixtureTransition exact(g, s, RhoSchedule::ddpm());
  const auto draw = [&] { return exact.step(x, full_times(1, t), full_times(1, tn), gen).x; };
  const torch::Tensor reference = draw();
  const double floor = test::noise_floor(draw);

  GlassTransition glass_ddpm(*model, GlassOptions{RhoSchedule::ddpm(), 16, 1.0});
  const double d_glass = energy_distance(glass_ddpm.step(x, full_times(1, t), full_times(1, tn), gen).x, reference);

  DdpmTransition ddpm(*model);
  torch::Tensor chain = x;
  const int steps = 200;
  for (int k = 0; k < steps; ++k) {
    const double a = t + (tn - t) * k / steps, b = t + (tn - t) * (k + 1) / steps;
    chain = ddpm.step(chain, full_times(1, a), full_times(1, b), gen).x;
  }
  const double d_chain = energy_distance(chain, reference);
  const double d_one = energy_distance(ddpm.step(x, full_times(1, t), full_times(1, tn), gen).x, reference);
  SCOPED_TRACE(::testing::Message() << "floor " << floor << " glass " << d_glass << " chain " << d_chain << " one "
                                    << d_one);
  EXPECT_LT(d_glass, 2.5 * floor);
  EXPECT_LT(d_chain, 2.5 * floor);
  // One ancestral step replaces z by its mean: visibly wrong, which shows the test can fail.
  EXPECT_GT(d_one, 10 * floor);
}

TEST(DdpmIsGlass, RhoDdpmComposes) {
  for (const char* name : {"condot", "cosine", "vp"}) {
    const SchedulePtr s = make_schedule(name);
    EXPECT_NEAR(rho_ddpm(*s, 0.2, 0.9), rho_ddpm(*s, 0.2, 0.5) * rho_ddpm(*s, 0.5, 0.9), 1e-12) << name;
  }
}

TEST(Posterior, GlassPosteriorSamplesMatchTheExactPosterior) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(99);
  for (double t : {0.2, 0.5, 0.8}) {
    const torch::Tensor x = repeat_point(g.sample_noisy(1, s->alpha(t), s->sigma(t), gen).to(torch::kFloat32), kN);
    const torch::Tensor a = full_times(1, s->alpha(t)), sg = full_times(1, s->sigma(t));
    const auto draw = [&] { return g.sample_posterior(x, a, sg, gen); };
    const double floor = test::noise_floor(draw);
    // The inner flow to t' = 1 ends at a singular point (sbar_s -> 0) and converges more slowly
    // than to t' < 1: measured here, M = 16 leaves 3-17x the floor, M = 64 under 4x.
    const StepResult r = sample_posterior(*model, x, full_times(1, t), 64, gen);
    EXPECT_EQ(r.nfe, 64);
    EXPECT_LT(energy_distance(r.x, draw()), 5 * floor) << "t = " << t << ", floor " << floor;
  }
}

TEST(GlassTransition, PerParticleTimesMatchTheirOwnExactTransitions) {
  // Half the particles go 0.2 -> 0.5, half 0.5 -> 0.9, in one batch (one network call per step).
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(8);
  const int64_t h = kN;
  const torch::Tensor x =
      torch::cat({repeat_point(torch::tensor({0.3f, -0.2f}), h), repeat_point(torch::tensor({1.0f, 0.5f}), h)});
  std::vector<double> t(2 * h, 0.2), tn(2 * h, 0.5);
  std::fill(t.begin() + h, t.end(), 0.5);
  std::fill(tn.begin() + h, tn.end(), 0.9);
  GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 32, 1.0});
  model->reset_cost();
  const torch::Tensor out = kernel.step(x, times_tensor(t), times_tensor(tn), gen).x;
  EXPECT_EQ(model->cost().calls, 32);
  ExactMixtureTransition exact(g, s, RhoSchedule::constant(0.4));
  for (int part = 0; part < 2; ++part) {
    const torch::Tensor xs = x.narrow(0, part * h, h);
    const torch::Tensor ts = full_times(1, t[part * h]), tns = full_times(1, tn[part * h]);
    const auto draw = [&] { return exact.step(xs, ts, tns, gen).x; };
    const double floor = test::noise_floor(draw);
    EXPECT_LT(energy_distance(out.narrow(0, part * h, h), draw()), 3 * floor) << "part " << part;
  }
}

TEST(GlassTransition, OneInnerStepIsTheOneCallDdpmLikeStep) {
  // M = 1: x_t' = gam x_t + abar D_t(x_t) + sbar eps, exactly.
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("cosine");
  auto model = test::mixture_model(g, s);
  const torch::Tensor x = torch::tensor({{0.3, -0.2}, {1.0, 2.0}}, torch::kFloat64);
  const double t = 0.3, tn = 0.6, rho = 0.4;
  at::Generator gen1 = make_generator(5), gen2 = make_generator(5);
  GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(rho), 1, 1.0});
  const torch::Tensor out = kernel.step(x, full_times(1, t), full_times(1, tn), gen1).x;
  const torch::Tensor eps = randn_like_on(x, gen2);
  const double gam = rho * s->sigma(tn) / s->sigma(t), abar = s->alpha(tn) - gam * s->alpha(t);
  const double sbar = s->sigma(tn) * std::sqrt(1 - rho * rho);
  const torch::Tensor expected = gam * x + abar * model->denoise(x, full_times(1, t)) + sbar * eps;
  EXPECT_TRUE(torch::allclose(out, expected, 1e-10, 1e-10));
}

// A denoiser that records what it is asked: input and time of every call, and answers with a fixed
// affine map, so the inner flow can be followed by hand.
class RecordingDenoiser : public Network {
 public:
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override {
    inputs.push_back(x.clone());
    times.push_back(timestep.to(torch::kFloat64).clone());
    return 0.5 * x + 0.1;
  }
  std::string describe() const override { return "recording denoiser"; }
  std::vector<torch::Tensor> inputs, times;
};

// The GLASS coefficients written out from the spec (sections 3-4) for CondOT, apart from the
// library: gam, abar, sbar; at each inner node the pooled precision lam, t* = g^{-1}(1/lam), the two
// coefficients of S and the velocity weights w1, w2, w3; Euler with M = 2, so the second call sees
// a state the first call moved. x_t rows up to |x| = 4 (a dropped gam x_t is invisible near 0), and
// sbar_init 0.5, 1 and 2.
TEST(GlassTransition, InnerCallsFollowTheSpecsCoefficients) {
  const double t = 0.3, tn = 0.8, rho = 0.4;
  const torch::Tensor x = torch::tensor({{0.2, -0.1}, {3.0, -4.0}, {-2.5, 3.5}}, torch::kFloat64);
  for (double s0 : {0.5, 1.0, 2.0}) {
    auto net = std::make_shared<RecordingDenoiser>();
    NetworkFlowModel model(net, make_schedule("condot"),
                           ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
    GlassOptions o{RhoSchedule::constant(rho), 2, s0};
    o.solver = InnerSolver::Euler;
    GlassTransition kernel(model, o);
    at::Generator gen = make_generator(8), same = make_generator(8);
    const torch::Tensor out = kernel.step(x, full_times(1, t), full_times(1, tn), gen).x;
    const torch::Tensor eps = randn_like_on(x, same);

    const double a = t, sg = 1 - t;  // alpha_t, sigma_t
    const double gam = rho * (1 - tn) / sg, abar = tn - gam * a, sbar = (1 - tn) * std::sqrt(1 - rho * rho);
    const auto D = [](const torch::Tensor& in) { return 0.5 * in + 0.1; };
    torch::Tensor xbar = gam * x + s0 * eps;
    ASSERT_EQ(net->inputs.size(), 2u);
    for (int j = 0; j < 2; ++j) {
      const double sj = 0.5 * j, abar_s = sj * abar, sbar_s = (1 - sj) * s0 + sj * sbar;
      const double lam = a * a / (sg * sg) + abar_s * abar_s / (sbar_s * sbar_s);
      const double t_star = 1.0 / (1.0 + std::sqrt(1.0 / lam));  // CondOT: g^{-1}(r) = 1 / (1 + sqrt r)
      const double cx = (a / (sg * sg)) / lam, cy = (abar_s / (sbar_s * sbar_s)) / lam;
      const torch::Tensor pooled = t_star * (cx * x + cy * (xbar - gam * x));  // alpha_{t*} S
      EXPECT_NEAR(net->times[j][0].item<double>(), t_star, 1e-12) << "s0 " << s0 << " call " << j;
      EXPECT_LT((net->inputs[j] - pooled).abs().max().item<double>(), 1e-12) << "s0 " << s0 << " call " << j;
      const double w1 = (sbar - s0) / sbar_s, w2 = abar - w1 * abar_s, w3 = -w1 * gam;  // abar'_s = abar
      xbar = xbar + 0.5 * (w1 * xbar + w2 * D(pooled) + w3 * x);
    }
    EXPECT_LT((out - xbar).abs().max().item<double>(), 1e-12) << "s0 " << s0;
  }
}

TEST(GlassTransition, RejectsImpossibleParameters) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(0);
  EXPECT_THROW(RhoSchedule::constant(1.0), std::invalid_argument);
  EXPECT_THROW(RhoSchedule::constant(-1.5), std::invalid_argument);
  EXPECT_THROW(RhoSchedule::parse("abc"), std::invalid_argument);
  RhoSchedule bad_fn("bad", [](const Schedule&, double, double) { return 1.2; });
  GlassTransition bad(*model, GlassOptions{bad_fn, 4, 1.0});
  const torch::Tensor x = torch::zeros({4, 2});
  EXPECT_THROW(bad.step(x, full_times(1, 0.2), full_times(1, 0.5), gen), std::invalid_argument);
  EXPECT_THROW(GlassTransition(*model, GlassOptions{RhoSchedule::constant(0.4), 0, 1.0}), std::invalid_argument);
  EXPECT_THROW(GlassTransition(*model, GlassOptions{RhoSchedule::constant(0.4), 4, 0.0}), std::invalid_argument);
  GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  EXPECT_THROW(kernel.step(x, full_times(1, 0.5), full_times(1, 0.5), gen), std::invalid_argument);  // t' = t
  EXPECT_THROW(kernel.step(x, full_times(1, 0.6), full_times(1, 0.5), gen), std::invalid_argument);  // t' < t
  EXPECT_THROW(kernel.step(x, full_times(1, -0.1), full_times(1, 0.5), gen), std::invalid_argument);
  EXPECT_THROW(kernel.step(torch::zeros({4}), full_times(1, 0.2), full_times(1, 0.5), gen), std::invalid_argument);
  EXPECT_THROW(kernel.step(torch::zeros({4, 3}), full_times(1, 0.2), full_times(1, 0.5), gen), std::invalid_argument);
  EXPECT_THROW(kernel.step(x, full_times(3, 0.2), full_times(1, 0.5), gen), std::invalid_argument);
}

TEST(DdpmTransition, ReportsTheLogDensityOfItsGaussianStep) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(3);
  DdpmTransition ddpm(*model);
  const torch::Tensor x = torch::randn({16, 2}, gen, torch::kFloat64);
  const torch::Tensor t = full_times(1, 0.3), tn = full_times(1, 0.6);
  const StepResult r = ddpm.step(x, t, tn, gen);
  ASSERT_TRUE(r.log_prob.has_value());
  EXPECT_TRUE(torch::allclose(*r.log_prob, ddpm.log_density(x, t, r.x, tn), 1e-9, 1e-9));
  // Against the closed form N(mean, sbar^2 I).
  const double rho = rho_ddpm(*s, 0.3, 0.6);
  const double gam = rho * s->sigma(0.6) / s->sigma(0.3), abar = s->alpha(0.6) - gam * s->alpha(0.3);
  const double sbar = s->sigma(0.6) * std::sqrt(1 - rho * rho);
  const torch::Tensor mean = gam * x + abar * model->denoise(x, t);
  const torch::Tensor expected =
      -(r.x - mean).pow(2).sum(1) / (2 * sbar * sbar) - 2 * std::log(sbar) - std::log(2 * M_PI);
  EXPECT_TRUE(torch::allclose(*r.log_prob, expected, 1e-9, 1e-9));
}

TEST(SdeTransition, PreservesMarginalsWithManySubsteps) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(21);
  const double t = 0.3, tn = 0.7;
  const torch::Tensor xt = g.sample_noisy(kN, s->alpha(t), s->sigma(t), gen).to(torch::kFloat32);
  const auto draw = [&] { return g.sample_noisy(kN, s->alpha(tn), s->sigma(tn), gen); };
  const double floor = test::noise_floor(draw);
  for (Diffusion d : {Diffusion::Sigma, Diffusion::Constant, Diffusion::Ddpm}) {
    SdeTransition sde(*model, SdeOptions{d, 1.0, 100});
    const StepResult r = sde.step(xt, full_times(1, t), full_times(1, tn), gen);
    EXPECT_EQ(r.nfe, 100);
    EXPECT_LT(energy_distance(r.x, draw()), 2.5 * floor) << sde.name();
  }
}

}  // namespace

namespace {

// A model on integer DDPM steps (epsilon prediction, exact for gmm2d) and GLASS with its inner
// nodes on the table (spec 6) or with t* snapped to the nearest step. Returns the mean energy
// distance to exact transitions over three starts, and the exact-vs-exact floor.
struct TableGridDistances {
  double on_table, snapped, floor;
  double on_table_rounding, snapped_rounding;  // the largest distance of a call from a table step
};

TableGridDistances table_grid_distances(int table_steps, int M) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("ddpm:" + std::to_string(table_steps));
  const auto& table = dynamic_cast<const DdpmTableSchedule&>(*s);
  const ModelSpec spec{Prediction::Noise, TimeConvention::DdpmStep, 1.0};
  NetworkFlowModel model(std::make_shared<test::ConventionMixtureNetwork>(g, s, spec), s, spec);
  const double t = table.time_of_step(table_steps * 7 / 10), tn = table.time_of_step(table_steps * 3 / 10);
  GlassTransition on_table(model, GlassOptions{RhoSchedule::constant(0.4), M, 1.0, true});
  GlassTransition snapped(model, GlassOptions{RhoSchedule::constant(0.4), M, 1.0, false});
  ExactMixtureTransition exact(g, s, RhoSchedule::constant(0.4));
  at::Generator gen = make_generator(8);
  const int64_t n = 3000;
  TableGridDistances d{0, 0, 0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    const torch::Tensor x =
        g.sample_noisy(1, s->alpha(t), s->sigma(t), gen).to(torch::kFloat32).expand({n, 2}).contiguous();
    const torch::Tensor tt = full_times(1, t), ttn = full_times(1, tn);
    const torch::Tensor ref = exact.step(x, tt, ttn, gen).x;
    model.reset_cost();
    d.on_table += energy_distance(on_table.step(x, tt, ttn, gen).x, ref) / 3;
    d.on_table_rounding = std::max(d.on_table_rounding, model.cost().max_step_rounding);
    model.reset_cost();
    d.snapped += energy_distance(snapped.step(x, tt, ttn, gen).x, ref) / 3;
    d.snapped_rounding = std::max(d.snapped_rounding, model.cost().max_step_rounding);
    d.floor += energy_distance(exact.step(x, tt, ttn, gen).x, ref) / 3;
  }
  std::printf(
      "[table inner grid] table %d steps, M = %d: on the table %.5f, snapped %.5f, floor %.5f "
      "(largest rounding to a step: %.3g vs %.3g)\n",
      table_steps, M, d.on_table, d.snapped, d.floor, d.on_table_rounding, d.snapped_rounding);
  return d;
}

}  // namespace

TEST(GlassTransition, InnerNodesOnTheDdpmTableReachTheExactTransition) {
  // Measured at M = 4 too (docs/benchmarks.md); asserted where the inner Euler error is small.
  for (int steps : {50, 1000}) {
    const TableGridDistances d = table_grid_distances(steps, 16);
    EXPECT_LT(d.on_table, 4 * d.floor) << steps << " table steps";
    EXPECT_LT(d.on_table_rounding, 1e-6) << "a call fell between table steps";
    EXPECT_GT(d.snapped_rounding, 0.1) << "snapping never rounded: the comparison shows nothing";
  }
}

// sbar_init sets the inner ODE's starting noise (xbar_0 = gam x_t + sbar_init epsbar), not the
// transition: any value reaches the exact transition (the rest of the suite uses 1).
TEST(GlassTransition, AnyInitialInnerNoiseReachesTheExactTransition) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(314);
  const torch::Tensor x = repeat_point(torch::tensor({0.4f, -0.3f}), kN);
  const torch::Tensor t = full_times(1, 0.3), tn = full_times(1, 0.7);
  ExactMixtureTransition exact(g, s, RhoSchedule::constant(0.4));
  const double floor = test::noise_floor([&] { return exact.step(x, t, tn, gen).x; });
  for (double sbar_init : {0.5, 2.0}) {
    GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 16, sbar_init});
    EXPECT_LT(energy_distance(kernel.step(x, t, tn, gen).x, exact.step(x, t, tn, gen).x), 4 * floor)
        << "sbar_init " << sbar_init << ", floor " << floor;
  }
}

// The coefficients of x_t' = gam x_t + abar z + sbar eps keep the marginals for every rho:
// alpha_t' = gam alpha_t + abar and sigma_t'^2 = gam^2 sigma_t^2 + sbar^2 (with gam = rho sigma_t' / sigma_t).
TEST(GlassCoefficients, KeepTheMarginalMeanAndVarianceForEveryRho) {
  for (const char* name : {"condot", "cosine", "vp"}) {
    const SchedulePtr s = make_schedule(name);
    for (double rho : {-0.5, 0.0, 0.4, 0.9})
      for (auto [t, tn] : {std::pair<double, double>{0.1, 0.5}, {0.3, 0.7}, {0.6, 0.95}}) {
        const GlassCoefficients c = glass_coefficients(*s, t, tn, rho);
        EXPECT_NEAR(c.gam, rho * s->sigma(tn) / s->sigma(t), 1e-12) << name << " rho " << rho;
        EXPECT_NEAR(c.gam * s->alpha(t) + c.abar, s->alpha(tn), 1e-12) << name << " rho " << rho;
        EXPECT_NEAR(c.gam * c.gam * s->sigma(t) * s->sigma(t) + c.sbar * c.sbar, s->sigma(tn) * s->sigma(tn), 1e-12)
            << name << " rho " << rho << " t " << t;
      }
  }
}
