#pragma once
// What a user brings: a network mapping (x, timestep) to a prediction, in the network's own
// time convention and parameterisation. NetworkFlowModel (network_flow_model.h) is the only place that converts.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "glass/models/placement.h"

namespace glass {

class Network {
 public:
  virtual ~Network() = default;
  // x: [N, ...]; timestep: [N] in the network's convention. Returns a tensor shaped like x.
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) = 0;
  virtual std::string describe() const = 0;
  // Moves the weights to placement.device in placement.network_dtype; the model boundary then
  // hands the network its inputs there, in that dtype. Networks without weights (closed forms,
  // Python callables, which place themselves) compute wherever their inputs are.
  virtual void place(const Placement& placement) { (void)placement; }
  // Rows the network evaluates per particle in one call: 2 under classifier-free guidance (the
  // conditional and the unconditional prediction in one batch), else 1. The cost counts them.
  virtual int64_t rows_per_particle() const { return 1; }
};

using NetworkPtr = std::shared_ptr<Network>;

// A network with extra inputs after (x, t) (class labels, text embeddings), given per call. Tensors
// of batch 1 are broadcast to the batch; others must have the batch size of x. forward(x, t) runs
// with the conditioning set by set_conditioning (none by default).
class ConditionalNetwork : public Network {
 public:
  virtual torch::Tensor forward_conditioned(const torch::Tensor& x, const torch::Tensor& timestep,
                                            const std::vector<torch::Tensor>& conditioning) = 0;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) final {
    return forward_conditioned(x, timestep, conditioning_);
  }
  void set_conditioning(std::vector<torch::Tensor> conditioning) { conditioning_ = std::move(conditioning); }

 private:
  std::vector<torch::Tensor> conditioning_;
};

}  // namespace glass
