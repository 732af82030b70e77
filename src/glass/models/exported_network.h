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

class ExportedNetwork final : public Network {
 public:
  // Throws std::invalid_argument naming the file when it is missing or cannot be loaded.
  explicit ExportedNetwork(const std::string& path, torch::Device device = torch::kCPU);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override;
  std::string describe() const override { return module_->format() + " " + module_->path(); }
  void set_conditioning(std::vector<torch::Tensor> conditioning) { conditioning_ = std::move(conditioning); }

 private:
  std::unique_ptr<ExportedModule> module_;
  std::vector<torch::Tensor> conditioning_;
};

}  // namespace glass
