#pragma once
// Builds a reward from a short text, as typed on the command line:
//   quadratic:kappa=1:center=2,0       r = -kappa |z - center|^2 / 2
//   box:lo=-1,-1:hi=1,1:kappa=10       r = -kappa dist(z, box)^2 / 2
//   class:3   or   class:label=3:model=PATH   log p(class | z) under the Fashion-MNIST classifier
//   script:PATH                         a TorchScript module z -> r
//   0.5*class:3+1*quadratic:center=0,0  weighted sums of the above
#include <string>

#include "glass/rewards/reward.h"

namespace glass {

struct RewardContext {
  std::string default_classifier;      // used by class:N when no model= is given
  torch::Device device = torch::kCPU;  // where networks in rewards run: the model's (FlowModel::device)
};

RewardPtr make_reward(const std::string& spec, const RewardContext& context);

}  // namespace glass
