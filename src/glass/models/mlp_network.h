#pragma once
// A small time-conditioned MLP (sinusoidal time features, SiLU), the network for low-dimensional
// data. Untrained it still has the cost profile of a real one, which is what the benchmarks need.
#include <torch/torch.h>

#include "glass/models/network.h"

namespace glass {

struct MlpOptions {
  int64_t data_dim = 2;
  int64_t hidden = 256;
  int64_t layers = 3;          // hidden layers
  int64_t time_features = 16;  // sin/cos pairs of the time input
};

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(MlpOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t);
  const MlpOptions& options() const { return options_; }

 private:
  MlpOptions options_;
  torch::Tensor frequencies_;
  torch::nn::Sequential body_{nullptr};
};
TORCH_MODULE(Mlp);

class MlpNetwork final : public Network {
 public:
  explicit MlpNetwork(Mlp module) : module_(std::move(module)) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override;
  std::string describe() const override;
  Mlp& module() { return module_; }
  void place(const Placement& placement) override {
    if (placement.network_dtype) module_->to(placement.device, *placement.network_dtype);
    else module_->to(placement.device);
  }

 private:
  Mlp module_;
};

}  // namespace glass
