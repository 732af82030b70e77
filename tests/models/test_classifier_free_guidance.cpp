// Classifier-free guidance (models/classifier_free_guidance.h) on a conditional Gaussian mixture,
// where every answer is closed-form: class k is component k, the null label the whole mixture. The
// guided denoiser is D_u + w (D_c - D_u) for any w whatever the network predicts; at w = 1 the
// guided target is the class's component exactly, at w = 0 the mixture, which GLASS must reach.
#include <gtest/gtest.h>

#include "glass/alignment/alignment_methods.h"
#include "glass/alignment/smc.h"
#include "glass/models/classifier_free_guidance.h"
#include "glass/models/parameterisation.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

GaussianMixture component(const GaussianMixture& g, int64_t k) {
  return GaussianMixture(g.means().narrow(0, k, 1), g.stds().narrow(0, k, 1), torch::ones({1}, torch::kFloat64));
}

// net(x, t, label): label k < K answers for component k, label K (the null label) for the mixture;
// in the chosen parameterisation (the x0 prediction, or epsilon = (x - alpha D) / sigma).
class ConditionalMixtureNetwork final : public ConditionalNetwork {
 public:
  ConditionalMixtureNetwork(GaussianMixture g, SchedulePtr s, Prediction prediction)
      : g_(std::move(g)), s_(std::move(s)), prediction_(prediction) {}
  torch::Tensor forward_conditioned(const torch::Tensor& x, const torch::Tensor& t,
                                    const std::vector<torch::Tensor>& conditioning) override {
    if (conditioning.empty()) throw std::invalid_argument("the conditional mixture needs its label");
    const int64_t n = x.size(0);
    const torch::Tensor labels = conditioning.at(0).to(torch::kInt64).expand({n});
    const std::vector<double> ts = particle_values(t, n, "time");
    std::vector<double> a(ts.size()), sg(ts.size());
    for (size_t i = 0; i < ts.size(); ++i) {
      a[i] = s_->alpha(ts[i]);
      sg[i] = s_->sigma(ts[i]);
    }
    const torch::Tensor alpha = times_tensor(a), sigma = times_tensor(sg);
    torch::Tensor d = torch::empty_like(x, torch::kFloat64);
    for (int64_t k = 0; k <= g_.components(); ++k) {
      const torch::Tensor rows = (labels == k).nonzero().squeeze(1);
      if (rows.numel() == 0) continue;
      const GaussianMixture which = k == g_.components() ? g_ : component(g_, k);
      d.index_copy_(0, rows,
                    which.denoise(x.index_select(0, rows), alpha.index_select(0, rows), sigma.index_select(0, rows))
                        .to(torch::kFloat64));
    }
    ++calls;
    rows_seen += n;
    if (prediction_ == Prediction::Denoiser) return d.to(x.scalar_type());
    return ((x.to(torch::kFloat64) - alpha.unsqueeze(1) * d) / sigma.unsqueeze(1)).to(x.scalar_type());
  }
  std::string describe() const override { return "conditional mixture"; }
  int64_t calls = 0, rows_seen = 0;

 private:
  GaussianMixture g_;
  SchedulePtr s_;
  Prediction prediction_;
};

constexpr int64_t kClass = 1;

std::unique_ptr<NetworkFlowModel> guided_model(const GaussianMixture& g, const SchedulePtr& s, double w,
                                               Prediction prediction,
                                               std::shared_ptr<ConditionalMixtureNetwork>* out = nullptr) {
  auto net = std::make_shared<ConditionalMixtureNetwork>(g, s, prediction);
  if (out) *out = net;
  auto cfg = std::make_shared<ClassifierFreeGuidance>(net, std::vector<torch::Tensor>{torch::tensor({kClass})},
                                                      std::vector<torch::Tensor>{torch::tensor({g.components()})}, w);
  return std::make_unique<NetworkFlowModel>(cfg, s, ModelSpec{prediction, TimeConvention::FlowTime, 1.0});
}

TEST(ClassifierFreeGuidance, TheGuidedDenoiserIsTheClosedFormForAnyScaleAndParameterisation) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  const GaussianMixture c = component(g, kClass);
  at::Generator gen = make_generator(2);
  const torch::Tensor x = 2.0 * torch::randn({64, 2}, gen, torch::kFloat64);
  const std::vector<double> tv{0.1, 0.4, 0.7, 0.95};
  for (Prediction prediction : {Prediction::Denoiser, Prediction::Noise}) {
    for (double w : {0.0, 0.5, 1.0, 3.0}) {
      for (double t : tv) {
        std::shared_ptr<ConditionalMixtureNetwork> net;
        auto model = guided_model(g, s, w, prediction, &net);
        const torch::Tensor a = torch::full({64}, s->alpha(t), torch::kFloat64),
                            sg = torch::full({64}, s->sigma(t), torch::kFloat64);
        const torch::Tensor du = g.denoise(x, a, sg), dc = c.denoise(x, a, sg);
        const torch::Tensor expected = du + w * (dc - du);
        const torch::Tensor d = model->denoise(x, full_times(1, t));
        EXPECT_LT((d - expected).abs().max().item<double>(), 1e-9) << to_string(prediction) << " w " << w << " t " << t;
        // One network call of 2N rows: the conditional and unconditional halves together.
        EXPECT_EQ(model->cost().calls, 1);
        EXPECT_EQ(model->cost().rows, 128);
        EXPECT_EQ(net->calls, 1);
        EXPECT_EQ(net->rows_seen, 128);
      }
    }
  }
}

// At w = 1 the guided model is the class's own flow: GLASS from noise draws the component; at
// w = 0 it is the unconditional flow and draws the mixture. Either half swapped for the other, or
// the scale applied to the wrong one, lands on the other distribution.
TEST(ClassifierFreeGuidance, GlassReachesTheClassAtScaleOneAndTheMixtureAtZero) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  for (double w : {1.0, 0.0}) {
    auto model = guided_model(g, s, w, Prediction::Denoiser);
    GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 8, 1.0});
    at::Generator gen = make_generator(11);
    const torch::Tensor x = run_chain(kernel, prior_noise(3000, {2}, gen), uniform_grid(6), gen).x;
    SCOPED_TRACE(::testing::Message() << "w " << w);
    test::expect_mixture_fit(x, w == 1.0 ? component(g, kClass) : g, gen);
  }
}

// SMC on the guided model at w = 1 tilts the class's component: the exact tilted Gaussian.
TEST(ClassifierFreeGuidance, SmcOnTheGuidedModelReachesTheTiltedClass) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = guided_model(g, s, 1.0, Prediction::Denoiser);
  GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 8, 1.0});
  const torch::Tensor center = torch::tensor({3.0, 0.0}, torch::kFloat64);
  QuadraticReward reward(0.5, center);
  const GaussianMixture::Tilted target = component(g, kClass).tilted(0.5, center, 1.0);
  SmcOptions o;
  o.particles = 8;
  at::Generator gen = make_generator(21);
  const SmcResult r = run_smc(*model, kernel, reward, uniform_grid(5), 2000, {2}, o, gen);
  const double floor = test::noise_floor([&] { return target.mixture.sample(2000, gen); });
  EXPECT_LT(energy_distance(r.samples, target.mixture.sample(2000, gen)), 3 * floor) << "floor " << floor;
  // Not vacuous: the untilted class is far from the tilted one.
  EXPECT_GT(energy_distance(component(g, kClass).sample(2000, gen), target.mixture.sample(2000, gen)), 5 * floor);
  // Rows count both halves: twice the calls' particles.
  EXPECT_EQ(r.cost.network_rows, 2 * r.cost.network_calls * 2000 * 8);
}

// A budget counts network rows, as the cost does: under guidance a chain costs twice its calls, so
// SMC at equal compute gets half the particles, and what it spends is what it planned.
TEST(ClassifierFreeGuidance, BudgetsCountBothHalvesOfAGuidedCall) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  QuadraticReward reward(0.5, torch::tensor({3.0, 0.0}, torch::kFloat64));
  KernelChoice glass;
  glass.kind = KernelKind::Glass;
  glass.glass = GlassOptions{RhoSchedule::constant(0.4), 4, 1.0};
  AlignmentSettings a;
  a.max_nfe = 400;
  int64_t plain_particles = 0;
  for (double w : {1.0, 2.0}) {
    auto model = guided_model(g, s, w, Prediction::Denoiser);
    if (w == 1.0)
      model = std::make_unique<NetworkFlowModel>(
          with_conditioning(std::make_shared<ConditionalMixtureNetwork>(g, s, Prediction::Denoiser),
                            Conditioning{{torch::tensor({kClass})}, {}, std::nullopt}),
          s, ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
    Aligner aligner(*model, glass, std::make_shared<QuadraticReward>(reward), uniform_grid(5), {2}, a);
    const MethodPlan plan = aligner.plan(AlignmentMethod::Smc);
    SCOPED_TRACE(::testing::Message() << "w " << w << ", " << plan.particles << " particles of "
                                      << plan.nfe_per_particle << " calls");
    EXPECT_EQ(plan.rows_per_call, w == 1.0 ? 1 : 2);
    EXPECT_LE(plan.nfe_per_output(), 400);
    EXPECT_GT(plan.nfe_per_output() + plan.nfe_per_particle * plan.rows_per_call, 400);  // as many as fit
    if (w == 1.0) plain_particles = plan.particles;
    else EXPECT_EQ(plan.particles, plain_particles / 2);
    at::Generator gen = make_generator(3);
    const AlignmentRun r = aligner.run(plan, 4, gen);
    EXPECT_DOUBLE_EQ(r.cost.nfe_per_output(), static_cast<double>(plan.nfe_per_output()));
  }
}

TEST(ClassifierFreeGuidance, MismatchedOrMissingInputsAreOneLineErrors) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  auto net = std::make_shared<ConditionalMixtureNetwork>(g, make_schedule("condot"), Prediction::Denoiser);
  const std::vector<torch::Tensor> label{torch::tensor({kClass})};
  EXPECT_THROW(ClassifierFreeGuidance(net, label, {}, 2.0), std::invalid_argument);
  EXPECT_THROW(ClassifierFreeGuidance(net, label, {torch::zeros({1, 3})}, 2.0), std::invalid_argument);
  EXPECT_THROW(ClassifierFreeGuidance(net, label, {torch::tensor({4})}, -1.0), std::invalid_argument);
  ClassifierFreeGuidance per_particle(net, {torch::tensor({1, 2, 3})}, {torch::tensor({4})}, 2.0);
  EXPECT_THROW(per_particle.forward(torch::zeros({5, 2}), torch::full({5}, 0.5)), std::invalid_argument);
}

}  // namespace
