#pragma once
// Networks built natively by glass (MLP, U-Net): their architecture description (the JSON sidecar
// saved next to the weights), construction from it, and weight files.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glass/models/model_spec.h"
#include "glass/models/network.h"

namespace glass {

struct NativeNetConfig {
  std::string arch = "unet";  // "unet" | "mlp"
  std::vector<int64_t> sample_shape{1, 28, 28};
  int64_t width = 32;   // U-Net base channels, or MLP hidden width
  int64_t depth = 3;    // MLP hidden layers (unused by the U-Net)
  int64_t classes = 0;  // U-Net: > 0 class-conditional (labels 0..classes-1, null label `classes`)
  // How samplers read it (written into the sidecar so a model file is self-describing).
  Prediction prediction = Prediction::Velocity;
  TimeConvention time = TimeConvention::FlowTime;
  double time_scale = 1.0;
  std::string schedule = "condot";
  std::string data;  // the training data, for the record

  nlohmann::json to_json() const;
  static NativeNetConfig from_json(const nlohmann::json& j, const std::string& source);
};

// A native network as the trainer and the sampler need it: its parameters, forward(x, t), and for
// a class-conditional one forward_labelled(x, t, labels) (forward is then the null label's).
struct NativeNet {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)> forward_labelled;
};

NativeNet make_native_net(const NativeNetConfig& config);

// Weights: a file of named tensors (parameters and buffers).
void save_weights(torch::nn::Module& module, const std::string& path);
void load_weights(torch::nn::Module& module, const std::string& path);
// Initialises `module` from `source`'s parameters, which must be a subset of its own (an
// unconditional U-Net's for a class-conditional one); the others keep their values.
void copy_weights_from(torch::nn::Module& module, const torch::nn::Module& source, const std::string& what);

// The Network the samplers call, in evaluation mode and without autograd. A class-conditional
// U-Net takes the labels (int64 [N] or [1]) as its conditioning; without them it is the null
// label's, the unconditional model it was trained to be with label dropout.
class NativeNetwork final : public ConditionalNetwork {
 public:
  NativeNetwork(NativeNet net, std::string description);
  torch::Tensor forward_conditioned(const torch::Tensor& x, const torch::Tensor& timestep,
                                    const std::vector<torch::Tensor>& conditioning) override;
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
