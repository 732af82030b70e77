#pragma once
// Chains a transition kernel over an outer time grid: x_{t_0} -> x_{t_1} -> ... -> x_{t_K}.
#include <functional>

#include "glass/transitions/transition.h"

namespace glass {

struct SampleResult {
  torch::Tensor x;
  int64_t nfe = 0;  // network calls per particle over the whole grid
};

// Called after each outer step k (1-based) of K.
using StepCallback = std::function<void(int k, int K, const torch::Tensor& x)>;

SampleResult run_chain(TransitionKernel& kernel, torch::Tensor x, const std::vector<double>& grid, at::Generator& gen,
                       const StepCallback& on_step = {});

// Standard normal float32 draws of shape [n, shape...]: the t = 0 prior (alpha_0 = 0, sigma_0 = 1),
// drawn on the CPU and put on `device` (the model's: FlowModel::device).
torch::Tensor prior_noise(int64_t n, at::IntArrayRef sample_shape, at::Generator& gen,
                          torch::Device device = torch::kCPU);

}  // namespace glass
