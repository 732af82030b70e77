#pragma once
// Any module exported from PyTorch (TorchScript .pt or AOTInductor .pt2, models/exported_module.h)
// mapping samples [N, ...] to rewards [N] (or [N, 1]). An AOTInductor reward has no gradient.
#include <memory>

#include "glass/models/exported_module.h"
#include "glass/rewards/reward.h"

namespace glass {

class ExportedReward final : public Reward {
 public:
  // Runs on `device`, in float32 (rewards are never reduced precision: see models/placement.h).
  explicit ExportedReward(const std::string& path, torch::Device device = torch::kCPU);
  std::string name() const override { return "script(" + module_->path() + ")"; }
  bool differentiable() const override { return module_->differentiable(); }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  std::unique_ptr<ExportedModule> module_;
};

}  // namespace glass
