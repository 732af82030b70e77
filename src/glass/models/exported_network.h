#pragma once
// A user's network exported from PyTorch (TorchScript .pt or AOTInductor .pt2, exported_module.h):
// forward(x, timestep[, conditioning...]). Conditioning tensors with batch size 1 are broadcast
// to the batch; others must have the batch size of x.
#include <memory>
#include <string>
#include <vector>

#include "glass/models/exported_module.h"
#include "glass/models/network.h"

namespace glass {

class ExportedNetwork final : public ConditionalNetwork {
 public:
  // Throws std::invalid_argument naming the file when it is missing or cannot be loaded.
  explicit ExportedNetwork(const std::string& path, const Placement& placement = {});
  torch::Tensor forward_conditioned(const torch::Tensor& x, const torch::Tensor& timestep,
                                    const std::vector<torch::Tensor>& conditioning) override;
  std::string describe() const override { return module_->format() + " " + module_->path(); }
  void place(const Placement& placement) override;

 private:
  std::unique_ptr<ExportedModule> module_;
};

}  // namespace glass
