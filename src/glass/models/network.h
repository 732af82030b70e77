#pragma once
// What a user brings: a network mapping (x, timestep) to a prediction, in the network's own
// time convention and parameterisation. NetworkFlowModel (network_flow_model.h) is the only place that converts.
#include <torch/torch.h>

#include <memory>
#include <string>

namespace glass {

class Network {
 public:
  virtual ~Network() = default;
  // x: [N, ...]; timestep: [N] in the network's convention. Returns a tensor shaped like x.
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) = 0;
  virtual std::string describe() const = 0;
};

using NetworkPtr = std::shared_ptr<Network>;

}  // namespace glass
