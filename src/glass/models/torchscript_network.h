#pragma once
// A user's TorchScript module (exported from PyTorch with torch.jit.script or trace) as a Network:
// forward(x, timestep[, conditioning...]). Conditioning tensors with batch size 1 are broadcast
// to the batch; others must have the batch size of x.
#include <torch/script.h>

#include <string>
#include <vector>

#include "glass/models/network.h"

namespace glass {

class TorchScriptNetwork final : public Network {
 public:
  // Throws std::invalid_argument naming the file when it is missing or not a TorchScript archive.
  TorchScriptNetwork(const std::string& path, torch::Device device = torch::kCPU);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override;
  std::string describe() const override { return "TorchScript " + path_; }
  void set_conditioning(std::vector<torch::Tensor> conditioning) { conditioning_ = std::move(conditioning); }

 private:
  std::string path_;
  torch::jit::script::Module module_;
  torch::Device device_;
  std::vector<torch::Tensor> conditioning_;
};

}  // namespace glass
