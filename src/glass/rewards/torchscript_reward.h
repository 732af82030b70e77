#pragma once
// Any TorchScript module mapping samples [N, ...] to rewards [N] (or [N, 1]).
#include <torch/script.h>

#include "glass/rewards/reward.h"

namespace glass {

class TorchScriptReward final : public Reward {
 public:
  explicit TorchScriptReward(const std::string& path);
  std::string name() const override { return "script(" + path_ + ")"; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  std::string path_;
  torch::jit::script::Module module_;
};

}  // namespace glass
