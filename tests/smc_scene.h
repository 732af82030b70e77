#pragma once
// The SMC tests' scene, shared by the single-process and the sharded tests: gmm2d under CondOT,
// GLASS moves (rho 0.4, 8 inner steps), and the quadratic reward whose tilted target the mixture
// gives exactly. Sharded tests make one per rank (network calls are counted per object).
#include <torch/torch.h>

#include "glass/rewards/analytic_rewards.h"
#include "glass/transitions/glass_transition.h"
#include "test_helpers.h"

namespace glass::test {

inline const torch::Tensor kSmcRewardCenter = torch::tensor({2.0, 1.0}, torch::kFloat64);
constexpr double kSmcRewardKappa = 0.5;

struct SmcScene {
  GaussianMixture mixture = GaussianMixture::preset("gmm2d");
  SchedulePtr schedule = make_schedule("condot");
  std::unique_ptr<FlowModel> model = mixture_model(mixture, schedule);
  GlassTransition kernel{*model, GlassOptions{RhoSchedule::constant(0.4), 8, 1.0}};
  QuadraticReward reward{kSmcRewardKappa, kSmcRewardCenter};
};

}  // namespace glass::test
