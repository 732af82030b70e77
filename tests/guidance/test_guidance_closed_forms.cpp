// Denoiser guidance against closed forms. With one Gaussian component z ~ N(m, s^2 I) the denoiser
// is affine, D_t(x) = m + A_t (x - alpha_t m) with A_t = alpha_t s^2 / (alpha_t^2 s^2 + sigma_t^2),
// and with the quadratic reward r(z) = -kappa |z - c|^2 / 2 the guided denoiser is
//   full:     D + scale(t) lambda (sigma_t^2 / alpha_t) A_t (-kappa (D - c))   (gradient through D)
//   detached: D + scale(t) lambda (sigma_t^2 / alpha_t) (-kappa (D - c))       (gradient w.r.t. D)
// (lambda the target's tilt, which the scale multiplies, as for value guidance)
// A network written here serves that formula directly; FlowModel's guidance (autograd through the
// model, the window at the time the model is asked about) must give the same numbers, through the
// denoiser, through a velocity model's ODE, and inside GLASS's inner flow, where the guided
// denoiser is asked at t* > t.
#include <gtest/gtest.h>

#include "convention_networks.h"
#include "glass/guidance/guided_flow_model.h"
#include "glass/guidance/value_guided_kernel.h"
#include "glass/models/network_flow_model.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

constexpr double kKappa = 0.5, kStd = 0.7, kScale = 1.5, kLambda = 1.7, kWindowLow = 0.2, kWindowHigh = 0.7;
const std::vector<double> kMean = {0.5, -1.0}, kCenter = {2.0, 1.0};

class ClosedFormGuidedNetwork : public Network {
 public:
  explicit ClosedFormGuidedNetwork(bool detached) : detached_(detached) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override {
    const std::vector<double> ts = particle_values(timestep, x.size(0), "timestep");
    torch::Tensor out = torch::empty_like(x, torch::kFloat64);
    const torch::Tensor xd = x.to(torch::kFloat64);
    for (int64_t i = 0; i < x.size(0); ++i) {
      const double t = ts[static_cast<size_t>(i)], a = t, sg = 1.0 - t;  // CondOT
      const double gain = a * kStd * kStd / (a * a * kStd * kStd + sg * sg);
      const double in_window = t >= kWindowLow && t <= kWindowHigh && a > 0.0 ? 1.0 : 0.0;
      const double coef = in_window * kScale * kLambda * sg * sg / std::max(a, 1e-300) * (detached_ ? 1.0 : gain);
      for (int64_t k = 0; k < 2; ++k) {
        const double d = kMean[k] + gain * (xd[i][k].item<double>() - a * kMean[k]);
        out[i][k] = d + coef * (-kKappa * (d - kCenter[k]));
      }
    }
    return out.to(x.scalar_type());
  }
  std::string describe() const override { return "closed-form guided Gaussian denoiser"; }

 private:
  bool detached_;
};

GaussianMixture one_gaussian() {
  return GaussianMixture(torch::tensor(kMean, torch::kFloat64).reshape({1, 2}), torch::full({1}, kStd, torch::kFloat64),
                         torch::ones({1}, torch::kFloat64));
}

// The plain model and its guided wrapper.
struct Guided {
  std::unique_ptr<FlowModel> plain;
  std::unique_ptr<GuidedFlowModel> model;
};

Guided guided(Prediction prediction, bool detached) {
  const SchedulePtr s = make_schedule("condot");
  const ModelSpec spec{prediction, TimeConvention::FlowTime, 1.0};
  Guided g;
  g.plain = std::make_unique<NetworkFlowModel>(
      std::make_shared<test::ConventionMixtureNetwork>(one_gaussian(), s, spec), s, spec);
  auto reward = std::make_shared<QuadraticReward>(kKappa, torch::tensor(kCenter, torch::kFloat64));
  g.model = std::make_unique<GuidedFlowModel>(
      *g.plain, DenoiserGuidance{reward, GuidanceScale{kScale, kWindowLow, kWindowHigh}, detached, kLambda});
  return g;
}

std::unique_ptr<FlowModel> closed_form(bool detached) {
  return std::make_unique<NetworkFlowModel>(std::make_shared<ClosedFormGuidedNetwork>(detached),
                                            make_schedule("condot"),
                                            ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
}

class GuidanceClosedForm : public ::testing::TestWithParam<bool> {};  // detached?

TEST_P(GuidanceClosedForm, GuidedDenoiserInAndOutOfTheWindow) {
  auto g = guided(Prediction::Denoiser, GetParam());
  auto expected = closed_form(GetParam());
  at::Generator gen = make_generator(1);
  const torch::Tensor x = torch::randn({6, 2}, gen, torch::kFloat64) * 2.0;
  // 0.1 and 0.85 lie outside the window; per-particle times too.
  for (double t : {0.1, 0.25, 0.5, 0.7, 0.85}) {
    const torch::Tensor got = g.model->denoise(x, full_times(1, t)), want = expected->denoise(x, full_times(1, t));
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-10) << "t = " << t;
  }
  const torch::Tensor t = times_tensor({0.1, 0.3, 0.45, 0.6, 0.69, 0.9});
  EXPECT_LT((g.model->denoise(x, t) - expected->denoise(x, t)).abs().max().item<double>(), 1e-10);
}

// A velocity model's ODE: the guidance shift of D moves the velocity by alpha' - alpha sigma'/sigma.
TEST_P(GuidanceClosedForm, OdeOfAVelocityModel) {
  auto g = guided(Prediction::Velocity, GetParam());
  auto expected = closed_form(GetParam());
  at::Generator gen = make_generator(2), g1 = make_generator(3), g2 = make_generator(3);
  const torch::Tensor x = torch::randn({8, 2}, gen, torch::kFloat64);
  OdeTransition a(*g.model, OdeMethod::Heun), b(*expected, OdeMethod::Heun);
  const torch::Tensor ta = full_times(1, 0.15), tb = full_times(1, 0.65);
  const double err = (a.step(x, ta, tb, g1).x - b.step(x, ta, tb, g2).x).abs().max().item<double>();
  EXPECT_LT(err, 1e-10);
}

// GLASS from t = 0.1 (outside the window): its later inner calls ask at t* inside it, where the
// guided denoiser must act; the inner flow is linear in D, so the two must agree exactly.
TEST_P(GuidanceClosedForm, GlassInnerFlowGuidedAtTStar) {
  auto g = guided(Prediction::Denoiser, GetParam());
  auto expected = closed_form(GetParam());
  at::Generator gen = make_generator(4), g1 = make_generator(5), g2 = make_generator(5);
  const torch::Tensor x = torch::randn({8, 2}, gen, torch::kFloat64) * 0.5;
  GlassTransition a(*g.model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  GlassTransition b(*expected, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  const torch::Tensor t = full_times(1, 0.1), tn = full_times(1, 0.6);
  const torch::Tensor got = a.step(x, t, tn, g1).x, want = b.step(x, t, tn, g2).x;
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-10);
  // Not vacuous: without guidance the transition lands elsewhere.
  GlassTransition plain(*g.plain, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  at::Generator g3 = make_generator(5);
  EXPECT_GT((plain.step(x, t, tn, g3).x - want).abs().max().item<double>(), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Gradients, GuidanceClosedForm, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("detached") : std::string("full"); });

// r(z) = a . z: its value V_t(x) = log E[exp(lambda a . z) | x_t = x] has the gradient
// lambda A_t a exactly (A_t = dE[z | x]/dx, the Gaussian's gain), and the Monte Carlo estimate
// log mean_j exp(lambda a . z_j) has that same gradient for any k samples, since dz_j/dx = A_t for
// each reparameterised posterior sample. So value guidance's step is known in closed form.
class LinearReward final : public Reward {
 public:
  std::string name() const override { return "linear"; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override {
    return z.to(torch::kFloat64).matmul(torch::tensor({0.8, -0.6}, torch::kFloat64));
  }
};

// Value guidance moves x_t' by scale sigma_t'^2 grad V_t'(x_t') (value_guided_kernel.h): here
// scale sigma_t'^2 lambda A_t' a, against the same transition unguided from the same noise.
TEST(ValueGuidanceClosedForm, TheStepIsScaleTimesSigmaSquaredTimesTheValueGradient) {
  const SchedulePtr s = make_schedule("condot");
  const ModelSpec spec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0};
  NetworkFlowModel model(std::make_shared<test::ConventionMixtureNetwork>(one_gaussian(), s, spec), s, spec);
  GlassTransition glass(model, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0});
  const double scale = 0.7, t = 0.2, tn = 0.55;
  ValueGuidanceOptions o{std::make_shared<LinearReward>(), kLambda, ValueOptions{3, 16},
                         GuidanceScale{scale, 0.0, 1.0}};
  ValueGuidedKernel guided(glass, model, o);
  at::Generator gen = make_generator(6), g1 = make_generator(7), g2 = make_generator(7);
  const torch::Tensor x = torch::randn({6, 2}, gen, torch::kFloat64);
  const torch::Tensor got = guided.step(x, full_times(1, t), full_times(1, tn), g1).x;
  const torch::Tensor plain = glass.step(x, full_times(1, t), full_times(1, tn), g2).x;
  const double a = tn, sg = 1.0 - tn, gain = a * kStd * kStd / (a * a * kStd * kStd + sg * sg);
  const torch::Tensor expected = plain + scale * sg * sg * kLambda * gain * torch::tensor({0.8, -0.6}, torch::kFloat64);
  // The GLASS posterior samples' dz/dx is the gain up to the inner solver's error (16 pc3 steps).
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-4) << got << expected;
  EXPECT_GT((got - plain).abs().max().item<double>(), 0.05);  // not vacuous: the step moved them
}

}  // namespace
