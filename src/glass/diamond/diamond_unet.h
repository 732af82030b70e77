#pragma once
// The Diamond student for images: the flow model's U-Net (models/unet.h), fed what the GLASS
// teacher sees plus what it does not. Per particle it pools x_t and xbar_s into the input of the
// GLASS posterior denoiser, x* = cx x_t + cy xbar at time t* (inner_posterior.h), and runs the
// U-Net on the channels [x*, xbar, x_t] at time t*, with an embedding of t, s and s' - s added to
// the time embedding. The body's output is read as the flow network's prediction at (x*, t*).
//
// Started from the flow network's weights (the extra input channels and the extra embedding at
// zero), psi is exactly the teacher's posterior denoiser E[z | x_t, xbar_s] for every s' - s: the
// diagonal loss starts at its minimum and training spends itself on the self-distillation, on
// learning how far apart s and s' are.
#include <torch/torch.h>

#include "glass/diamond/diamond_network.h"
#include "glass/models/unet.h"

namespace glass {

struct NativeModelFile;

class DiamondUnetImpl : public torch::nn::Module {
 public:
  DiamondUnetImpl(const DiamondNetConfig& config, SchedulePtr schedule);
  // xbar, x_t: [N, C, H, W]; t, s, ds: one per particle (0 <= t, s < 1).
  torch::Tensor forward(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                        const std::vector<double>& s, const std::vector<double>& ds,
                        const DsTangent* ds_tangent = nullptr);

 private:
  DiamondNetConfig config_;
  SchedulePtr schedule_;
  torch::Tensor frequencies_;
  Unet body_{nullptr};
  torch::nn::Sequential condition_{nullptr};
};
TORCH_MODULE(DiamondUnet);

// Copies a flow U-Net (a native model file: arch unet, flow time t, scale 1) into the student's
// body: the stem's x* channels take the flow stem, the xbar and x_t channels start at zero. Throws
// when the two do not match (shape, width, prediction, time convention).
void initialise_from_flow_unet(torch::nn::Module& student, const DiamondNetConfig& config, const NativeModelFile& flow);

}  // namespace glass
