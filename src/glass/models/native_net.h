#pragma once
// Networks built natively by glass (MLP, U-Net): their architecture description (the JSON sidecar
// saved next to the weights), construction from it, and weight files.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "glass/models/model_spec.h"
#include "glass/models/network.h"

namespace glass {

struct NativeNetConfig {
  std::string arch = "unet";                  // "unet" | "mlp"
  std::vector<int64_t> sample_shape{1, 28, 28};
  int64_t width = 32;                         // U-Net base channels, or MLP hidden width
  int64_t depth = 3;                          // MLP hidden layers (unused by the U-Net)
  // How samplers read it (written into the sidecar so a model file is self-describing).
  Prediction prediction = Prediction::Velocity;
  TimeConvention time = TimeConvention::FlowTime;
  double time_scale = 1.0;
  std::string schedule = "condot";
  std::string data;                           // the training data, for the record

  nlohmann::json to_json() const;
  static NativeNetConfig from_json(const nlohmann::json& j, const std::string& source);
};

// A native network as the trainer and the sampler need it: its parameters and forward(x, t).
struct NativeNet {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward;
};

NativeNet make_native_net(const NativeNetConfig& config);

// Weights: a file of named tensors (parameters and buffers).
void save_weights(torch::nn::Module& module, const std::string& path);
void load_weights(torch::nn::Module& module, const std::string& path);

// The Network the samplers call, in evaluation mode and without autograd.
class NativeNetwork final : public Network {
 public:
  NativeNetwork(NativeNet net, std::string description);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override;
  std::string describe() const override { return description_; }
  void place(const Placement& placement) override { 
    if (placement.network_dtype) net_.module->to(placement.device, *placement.network_dtype);
    else net_.module->to(placement.device);
  }

 private:
  NativeNet net_;
  std::string description_;
};

}  // namespace glass
