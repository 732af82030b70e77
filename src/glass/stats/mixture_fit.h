#pragma once
// How well samples match a Gaussian mixture: the share of samples each component claims (by its
// posterior responsibility under the data law), per-component means, and the energy distance to
// fresh exact draws of the same size.
#include <torch/torch.h>

#include "glass/models/gaussian_mixture.h"

namespace glass {

struct MixtureFit {
  torch::Tensor fractions;        // [K] share of samples assigned to each component
  torch::Tensor component_means;  // [K, d] mean of the samples assigned to each component
  double max_weight_error = 0.0;  // max_k |fraction_k - weight_k|
  double energy_distance = 0.0;   // to exact samples of the same size
};

MixtureFit assess_mixture_fit(const torch::Tensor& samples, const GaussianMixture& mixture, at::Generator& gen);

}  // namespace glass
