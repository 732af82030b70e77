// Rewards: values, counting, error paths, the text form.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/classifier_reward.h"
#include "glass/rewards/reward_spec.h"
#include "glass/rewards/weighted_sum_reward.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

// A reward that returns fixed values, for the error paths.
class FixedReward final : public Reward {
 public:
  explicit FixedReward(double v) : v_(v) {}
  std::string name() const override { return "fixed"; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override { return torch::full({z.size(0)}, v_, z.options()); }

 private:
  double v_;
};

}  // namespace

TEST(Rewards, QuadraticAndBoxValuesAndGradients) {
  QuadraticReward q(2.0, torch::tensor({1.0, -1.0}));
  const torch::Tensor z = torch::tensor({{1.0, -1.0}, {2.0, 1.0}}, torch::kFloat32).requires_grad_(true);
  const torch::Tensor r = q(z);
  EXPECT_NEAR(r[0].item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(r[1].item<double>(), -0.5 * 2.0 * (1.0 + 4.0), 1e-6);
  const torch::Tensor g = torch::autograd::grad({r.sum()}, {z})[0];
  // d/dz -kappa |z - c|^2 / 2 = -kappa (z - c)
  EXPECT_NEAR(g[1][0].item<double>(), -2.0, 1e-6);
  EXPECT_NEAR(g[1][1].item<double>(), -4.0, 1e-6);

  BoxReward box(torch::tensor({-1.0, -1.0}), torch::tensor({1.0, 1.0}), 4.0);
  const torch::Tensor rb = box(torch::tensor({{0.5, -0.5}, {3.0, 0.0}, {-2.0, 2.0}}));
  EXPECT_EQ(rb[0].item<double>(), 0.0);
  EXPECT_NEAR(rb[1].item<double>(), -0.5 * 4.0 * 4.0, 1e-9);
  EXPECT_NEAR(rb[2].item<double>(), -0.5 * 4.0 * 2.0, 1e-9);
  EXPECT_EQ(q.cost().calls, 1);
  EXPECT_EQ(q.cost().rows, 2);
}

TEST(Rewards, WeightedSumAddsTermsAndCountsEach) {
  auto a = std::make_shared<QuadraticReward>(1.0, torch::tensor({0.0, 0.0}));
  auto b = std::make_shared<FixedReward>(3.0);
  WeightedSumReward sum({{2.0, a}, {-1.0, b}});
  const torch::Tensor z = torch::tensor({{1.0, 1.0}, {0.0, 0.0}});
  const torch::Tensor r = sum(z);
  EXPECT_NEAR(r[0].item<double>(), 2.0 * -1.0 - 3.0, 1e-9);
  EXPECT_NEAR(r[1].item<double>(), -3.0, 1e-9);
  EXPECT_EQ(a->cost().rows, 2);
  EXPECT_EQ(b->cost().calls, 1);
  EXPECT_EQ(sum.cost().calls, 1);
}

TEST(Rewards, BadOutputsAreErrors) {
  FixedReward nan_reward(std::numeric_limits<double>::quiet_NaN());
  try {
    nan_reward(torch::zeros({3, 2}));
    FAIL() << "NaN reward accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("returned nan"), std::string::npos) << e.what();
  }
  FixedReward plus_inf(std::numeric_limits<double>::infinity());
  EXPECT_THROW(plus_inf(torch::zeros({3, 2})), std::runtime_error);
  // -inf is a hard constraint, allowed.
  FixedReward minus_inf(-std::numeric_limits<double>::infinity());
  EXPECT_TRUE(torch::isneginf(minus_inf(torch::zeros({3, 2}))).all().item<bool>());
  QuadraticReward q(1.0, torch::tensor({0.0, 0.0}));
  EXPECT_THROW(q(torch::zeros({3, 5})), std::invalid_argument);
  EXPECT_THROW(QuadraticReward(-1.0, torch::tensor({0.0})), std::invalid_argument);
  EXPECT_THROW(BoxReward(torch::tensor({1.0}), torch::tensor({0.0}), 1.0), std::invalid_argument);
}

TEST(Rewards, TextFormBuildsTheRewardsAndRejectsBadSpecs) {
  const RewardContext ctx{GLASS_SOURCE_DIR "/models/fashion-mnist-classifier"};
  const torch::Tensor z = torch::tensor({{1.0, 2.0}});
  EXPECT_NEAR((*make_reward("quadratic:kappa=2:center=0,0", ctx))(z)[0].item<double>(), -5.0, 1e-9);
  EXPECT_NEAR((*make_reward("box:lo=0,0:hi=1,1:kappa=2", ctx))(z)[0].item<double>(), -1.0, 1e-9);
  EXPECT_NEAR((*make_reward("0.5*quadratic:center=0,0+2*quadratic:center=1,2", ctx))(z)[0].item<double>(), -1.25, 1e-9);
  // An exponent's sign is not a sum: 1e+2 and 2.5E+0 are numbers, the middle '+' adds two terms.
  EXPECT_NEAR(
      (*make_reward("1e+2*quadratic:center=0,0+2.5E+0*quadratic:kappa=1e+0:center=1,1", ctx))(z)[0].item<double>(),
      100 * -2.5 + 2.5 * -0.5, 1e-9);
  for (const char* bad : {"", "nope", "quadratic", "quadratic:center=0,x", "quadratic:center=0,0:bogus=1", "class:3.5",
                          "class:12", "script:/nonexistent.pt", "quadratic:center=0:center=1", "+"}) {
    EXPECT_THROW(make_reward(bad, ctx), std::invalid_argument) << bad;
  }
}

TEST(Rewards, ClassifierRewardIsALogProbability) {
  const RewardContext ctx{GLASS_SOURCE_DIR "/models/fashion-mnist-classifier"};
  const torch::Tensor images = torch::rand({4, 1, 28, 28}) * 2 - 1;
  std::vector<torch::Tensor> per_class;
  for (int k = 0; k < 10; ++k) per_class.push_back((*make_reward("class:" + std::to_string(k), ctx))(images));
  const torch::Tensor all = torch::stack(per_class, 1);
  EXPECT_TRUE((all <= 0).all().item<bool>());
  // log-probabilities of all classes sum (in probability) to one
  EXPECT_LT((all.logsumexp(1)).abs().max().item<double>(), 1e-4);
  EXPECT_THROW((*make_reward("class:0", ctx))(torch::zeros({2, 2})), std::invalid_argument);
  // Pixels outside [-1, 1] score as the clamped image that is saved and measured.
  const torch::Tensor loud = images * 3;
  const RewardPtr dress = make_reward("class:3", ctx);
  EXPECT_LT(((*dress)(loud) - (*dress)(loud.clamp(-1, 1))).abs().max().item<double>(), 1e-6);
}

TEST(Rewards, ScoreFloat32SamplesInFloat64) {
  // At lambda = 1e6 a reward rounded to float32 (7 digits) moves log-weights by about a nat; the
  // reward of a float32 sample must be the float64 value of that very sample.
  QuadraticReward q(0.5, torch::tensor({2.0, 1.0}));
  BoxReward box(torch::tensor({-1.0, -1.0}), torch::tensor({1.0, 1.0}), 3.0);
  at::Generator gen = make_generator(4);
  const torch::Tensor z = (torch::randn({1000, 2}, gen, torch::kFloat64) * 4).to(torch::kFloat32);
  const torch::Tensor zd = z.to(torch::kFloat64);
  const torch::Tensor want_q = -0.25 * ((zd.select(1, 0) - 2).pow(2) + (zd.select(1, 1) - 1).pow(2));
  const torch::Tensor out = (zd - zd.clamp(-1.0, 1.0)).pow(2).sum(1) * -1.5;
  for (const auto& [reward, want] : {std::pair<Reward*, torch::Tensor>{&q, want_q}, {&box, out}}) {
    const torch::Tensor r = (*reward)(z);
    EXPECT_EQ(r.scalar_type(), torch::kFloat64) << reward->name();
    EXPECT_LT(((r - want).abs() / (want.abs() + 1)).max().item<double>() * 1e6, 1e-6) << reward->name();
  }
  // A float32 reward is widened, so the interface's promise holds for every reward.
  FixedReward fixed(1.0);
  EXPECT_EQ(fixed(z).scalar_type(), torch::kFloat64);
}
