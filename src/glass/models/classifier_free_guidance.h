#pragma once
// Classifier-free guidance at the model boundary: a conditional network's prediction with its
// conditioning and with the null one, in one batched call of 2N rows, combined as
// P_w = P_u + w (P_c - P_u). Each parameterisation (velocity, x0, epsilon, v) maps to the denoiser
// with coefficients that do not depend on the conditioning, so this is D_w = D_u + w (D_c - D_u):
// every kernel, SMC, guidance and value estimate then moves with the guided denoiser. A call costs
// one network call of 2N rows (NetworkCost counts both); w = 1 is the conditional model itself,
// which model files run without the unconditional half (model_file.h).
#include <memory>
#include <optional>
#include <vector>

#include "glass/models/network.h"

namespace glass {

class ClassifierFreeGuidance final : public Network {
 public:
  // cond and uncond: one tensor per extra input, in the same order; batch 1 or the particles'.
  ClassifierFreeGuidance(std::shared_ptr<ConditionalNetwork> network, std::vector<torch::Tensor> cond,
                         std::vector<torch::Tensor> uncond, double scale);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override;
  std::string describe() const override;
  void place(const Placement& placement) override { network_->place(placement); }
  int64_t rows_per_particle() const override { return 2; }
  double scale() const { return scale_; }

 private:
  std::shared_ptr<ConditionalNetwork> network_;
  std::vector<torch::Tensor> cond_, uncond_;
  double scale_;
};

// Extra inputs a conditional network takes after (x, t): class labels, text embeddings. Batch 1 is
// broadcast to every particle. With a guidance scale, classifier-free guidance runs `cond` against
// `uncond` (the null label, the empty prompt's embedding) in one call.
struct Conditioning {
  std::vector<torch::Tensor> cond, uncond;
  std::optional<double> guidance_scale;
  bool empty() const { return cond.empty() && uncond.empty() && !guidance_scale; }
};

// `c` for a batch of n: batch 1 is broadcast, batch n kept, anything else a one-line error.
torch::Tensor conditioning_for_batch(const torch::Tensor& c, int64_t n);

// `network` with its conditioning: under classifier-free guidance when a scale is given, except
// w = 1, which is the conditional network itself and runs as such (one call of N rows).
NetworkPtr with_conditioning(std::shared_ptr<ConditionalNetwork> network, const Conditioning& conditioning);

}  // namespace glass
