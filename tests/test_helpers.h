#pragma once
// Shared pieces of the statistical tests.
#include <torch/torch.h>

#include <functional>

#include "glass/models/flow_model.h"
#include "glass/models/mixture_network.h"
#include "glass/stats/energy_distance.h"

namespace glass::test {

inline std::unique_ptr<FlowModel> mixture_model(const GaussianMixture& g, const SchedulePtr& s) {
  return std::make_unique<FlowModel>(std::make_shared<MixtureNetwork>(g, s), s,
                                     ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
}

// The sampling-noise floor of the energy distance at this sample size: the mean distance between
// independent pairs of exact sample sets. A kernel "matches" when it comes within a small factor.
inline double noise_floor(const std::function<torch::Tensor()>& draw_exact, int pairs = 4) {
  double total = 0.0;
  for (int i = 0; i < pairs; ++i) total += energy_distance(draw_exact(), draw_exact());
  return total / pairs;
}

}  // namespace glass::test
